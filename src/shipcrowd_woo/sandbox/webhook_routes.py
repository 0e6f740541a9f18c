"""The sandbox's webhook routes: listing, creating, reading, updating and deleting."""

from werkzeug import Request, Response

from shipcrowd_woo.sandbox.rest_io import CANNOT_CREATE, RestHandlers, WooError, json_response
from shipcrowd_woo.sandbox.store import TOPICS, ApiKey


class WebhookRoutes(RestHandlers):
    """The sandbox's webhook routes: listing, creating, reading, updating and deleting."""

    def _webhooks(self, request: Request, key: ApiKey | None) -> Response:
        if request.method == "GET":
            paging = self._paging(request)
            self._permit_listing(key, request)
            with self.store.lock:
                ids = sorted(self.store.webhooks, reverse=paging.descending)
            return self._page_of(
                request,
                ids,
                paging,
                lambda i, fields: self.store.webhook_json(self.store.webhooks[i]),
                "GET, POST",
            )
        body = self._json_body(request)
        self._permit(key, request, *CANNOT_CREATE)
        topic = body.get("topic")
        if topic not in TOPICS:
            raise WooError(
                400,
                "woocommerce_rest_webhook_invalid_topic",
                "Webhook topic is required and must be valid.",
            )
        delivery_url = body.get("delivery_url")
        if not isinstance(delivery_url, str) or not delivery_url.startswith(
            ("http://", "https://")
        ):
            raise WooError(
                400,
                "woocommerce_rest_webhook_invalid_delivery_url",
                "Webhook delivery URL must be a valid URL starting with http:// or https://.",
            )
        status = body.get("status", "active")
        record = self.store.add_webhook(
            str(body.get("name") or ""),
            topic,
            delivery_url,
            str(body.get("secret") or ""),
            status if status in ("active", "paused", "disabled") else "active",
        )
        document = self.store.webhook_json(record)
        # create_item() pings the delivery URL and ignores the outcome.
        self.deliverer.ping(record)
        return json_response(document, 201, Location=f"{self.store.api_url}/webhooks/{record.id}")

    def _webhook(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        record = self.store.webhooks.get(item_id)
        if request.method == "GET":
            self._permit_viewing(key, request)
        elif request.method == "DELETE":
            self._permit(
                key,
                request,
                "woocommerce_rest_cannot_delete",
                "Sorry, you are not allowed to delete this resource.",
            )
        else:
            self._permit(
                key,
                request,
                "woocommerce_rest_cannot_edit",
                "Sorry, you are not allowed to edit this resource.",
            )
        if record is None:
            raise WooError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
        if request.method == "DELETE":
            if request.args.get("force", "false").lower() not in ("1", "true"):
                raise WooError(
                    501, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing."
                )
            document = self.store.webhook_json(record)
            with self.store.lock:
                del self.store.webhooks[item_id]
            return json_response(document)
        if request.method != "GET":
            changes = self._json_body(request)
            with self.store.lock:
                if changes.get("status") in ("active", "paused", "disabled"):
                    record.status = changes["status"]
                if isinstance(changes.get("delivery_url"), str):
                    record.delivery_url = changes["delivery_url"]
                if isinstance(changes.get("secret"), str):
                    record.secret = changes["secret"]
        return json_response(self.store.webhook_json(record), allow="GET, POST, PUT, PATCH, DELETE")

    # Helpers ----------------------------------------------------------------------------
