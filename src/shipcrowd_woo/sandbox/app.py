"""The sandbox's REST API: a WSGI app answering like WooCommerce 10.0.2.

Rules and their sources:
- Errors are WP_Error JSON `{"code", "message", "data": {"status"}}` (WP_REST_Server).
- Authentication errors come first, then parameter validation, then the controller's
  permission check (WP_REST_Server::respond_to_request), which answers 401 without credentials.
- Lists take `page`, `per_page` (1-100, else 400 rest_invalid_param / rest_out_of_bounds),
  `orderby`, `order`, and answer X-WP-Total, X-WP-TotalPages and a Link header with prev/next
  (class-wc-rest-crud-controller.php).
- Orders filter on `status`, `modified_after`/`modified_before`, `after`/`before` (exclusive),
  `dates_are_gmt`, `include`; `_fields` trims the representation (rest_filter_response_fields).
- Batches take at most 100 items across create+update+delete, else 413
  woocommerce_rest_request_entity_too_large (check_batch_limit); per-item errors come back
  inside a 200; `products/batch` refuses variation ids.
- DELETE without force trashes an order (order.deleted fires); force=true deletes it for good
  (no webhook); webhooks cannot be trashed (501).
"""

import json
import time
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug import Request, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from shipcrowd_woo.sandbox.auth import AuthFailure, authenticate, check_permission
from shipcrowd_woo.sandbox.delivery import Deliverer
from shipcrowd_woo.sandbox.faults import Fault, FaultPlan
from shipcrowd_woo.sandbox.latency import LatencyModel
from shipcrowd_woo.sandbox.store import TOPICS, TRACKING_NAMESPACE, ApiKey, SandboxStore

API = "/wp-json/wc/v3"
BATCH_LIMIT = 100
ORDER_STATUSES = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
    "trash",
]
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
CANNOT_CREATE = (
    "woocommerce_rest_cannot_create",
    "Sorry, you are not allowed to create resources.",
)
# What WooCommerce answers a key without read permission (or no key).
CANNOT_VIEW = "woocommerce_rest_cannot_view"
# How many orders a request rendered, for the latency model (latency.py).
ORDERS_RENDERED = "sandbox.orders_rendered"


class WooError(Exception):
    """An error answered as WooCommerce's JSON."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def response(self) -> Response:
        return _json(
            {
                "code": self.code,
                "message": self.message,
                "data": {"status": self.status, **self.data},
            },
            self.status,
        )


def _invalid_param(name: str, message: str, code: str = "rest_invalid_param") -> WooError:
    return WooError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        params={name: message},
        details={name: {"code": code, "message": message, "data": None}},
    )


def redirect_home(store: SandboxStore, request: Request) -> Response:
    """What a web server sending other host names or plain HTTP to the home URL answers."""
    target = f"{store.base_url}{request.full_path.rstrip('?')}"
    return Response("", 301, headers={"Location": target})


class SandboxApp:
    """WSGI callable over a SandboxStore, with a Deliverer for webhooks and a FaultPlan."""

    def __init__(
        self,
        store: SandboxStore,
        deliverer: Deliverer,
        faults: FaultPlan,
        latency: LatencyModel | None = None,
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.faults = faults
        self.latency = latency or LatencyModel()
        self.requests = 0
        self._routes = Map(
            [
                Rule("/wp-json/", endpoint="index", methods=["GET"]),
                Rule(f"{API}/system_status", endpoint="system_status", methods=["GET"]),
                Rule(f"{API}/orders", endpoint="orders", methods=["GET"]),
                Rule(
                    f"{API}/orders/<int:item_id>",
                    endpoint="order",
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
                Rule(
                    f"{API}/orders/<int:item_id>/notes",
                    endpoint="order_notes",
                    methods=["GET", "POST"],
                ),
                Rule(
                    f"/wp-json/{TRACKING_NAMESPACE}/orders/<int:item_id>/shipment-trackings",
                    endpoint="shipment_trackings",
                    methods=["GET", "POST"],
                ),
                Rule(f"{API}/products", endpoint="products", methods=["GET"]),
                Rule(
                    f"{API}/products/batch",
                    endpoint="products_batch",
                    methods=["POST", "PUT", "PATCH"],
                ),
                Rule(f"{API}/products/<int:item_id>", endpoint="product", methods=["GET"]),
                Rule(
                    f"{API}/products/<int:item_id>/variations",
                    endpoint="variations",
                    methods=["GET"],
                ),
                Rule(
                    f"{API}/products/<int:item_id>/variations/batch",
                    endpoint="variations_batch",
                    methods=["POST", "PUT", "PATCH"],
                ),
                Rule(f"{API}/webhooks", endpoint="webhooks", methods=["GET", "POST"]),
                Rule(
                    f"{API}/webhooks/<int:item_id>",
                    endpoint="webhook",
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        with self.latency.worker():
            response = self._respond(request)
            self.latency.spend(request.environ.get(ORDERS_RENDERED, 0))
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        home = urlsplit(self.store.base_url)
        if self.store.canonical_redirect and request.host != home.netloc:
            return redirect_home(self.store, request)
        route = request.args.get("rest_route") if request.path in ("/", "/index.php") else None
        if route is not None:
            path = "/wp-json/" + route.strip("/")
        elif request.path.startswith("/wp-json") and not self.store.plain_permalinks:
            path = request.path
        else:
            return Response("<p>Page not found</p>", 404, content_type="text/html")
        self.requests += 1
        try:
            endpoint, arguments = self._routes.bind_to_environ(request.environ).match(
                path_info=path
            )
        except (NotFound, MethodNotAllowed):
            return WooError(
                404, "rest_no_route", "No route was found matching the URL and request method."
            ).response()
        except HTTPException as error:
            return Response(str(error), error.code or 500)
        fault = self.faults.draw() if path.startswith(API) else None
        if fault is Fault.SERVER_ERROR:
            return Response(
                "<p>There has been a critical error on this website.</p>",
                500,
                content_type="text/html; charset=UTF-8",
            )
        if fault is Fault.THROTTLED:
            return Response(
                "Too Many Requests",
                429,
                headers={"Retry-After": str(self.faults.retry_after_seconds)},
            )
        if fault is Fault.SLOW:
            time.sleep(self.faults.slow_seconds)
        try:
            key = authenticate(request, self.store) if endpoint != "index" else None
            handler: Callable[..., Response] = getattr(self, f"_{endpoint}")
            response = handler(request, key, **arguments)
        except AuthFailure as failure:
            response = WooError(failure.status, failure.code, failure.message).response()
            if failure.basic_challenge:
                response.headers["WWW-Authenticate"] = (
                    'Basic realm="WooCommerce API. Use a consumer key in the username field '
                    'and a consumer secret in the password field."'
                )
        except WooError as error:
            response = error.response()
        if endpoint != "index" and "Link" not in response.headers:
            response.headers["Link"] = f'<{self.store.base_url}/wp-json/>; rel="https://api.w.org/"'
        if fault is Fault.TRUNCATED and response.status_code == 200:
            body = response.get_data()
            response.set_data(body[: max(1, len(body) // 2)])
        return response

    # Endpoints --------------------------------------------------------------------------

    def _index(self, request: Request, key: ApiKey | None) -> Response:
        offset = datetime.now(zoneinfo.ZoneInfo(self.store.timezone)).utcoffset()
        hours = offset.total_seconds() / 3600 if offset else 0
        document = {
            "name": "Sandbox Store",
            "description": "A WooCommerce sandbox",
            "url": self.store.base_url,
            "home": self.store.base_url,
            "gmt_offset": f"{hours:g}",
            "timezone_string": self.store.timezone,
            "namespaces": list(self.store.rest_namespaces),
            "authentication": [],
            "routes": {},
        }
        return _json(_fields(request, document))

    def _system_status(self, request: Request, key: ApiKey | None) -> Response:
        self._permit_listing(key, request)
        store = self.store
        document = {
            "environment": {
                "home_url": store.base_url,
                "site_url": store.base_url,
                "store_id": "00000000-0000-4000-8000-000000000000",
                "version": store.wc_version,
                "log_directory": "/var/www/html/wp-content/uploads/wc-logs/",
                "log_directory_writable": True,
                "wp_version": store.wp_version,
                "wp_multisite": False,
                "wp_memory_limit": 268435456,
                "wp_debug_mode": False,
                "wp_cron": True,
                "language": "en_US",
                "external_object_cache": None,
                "server_info": "shipcrowd-woo sandbox",
                "server_architecture": "sandbox",
                "php_version": "8.2",
                "php_post_max_size": 8388608,
                "php_max_execution_time": 120,
                "php_max_input_vars": 1000,
                "curl_version": "",
                "suhosin_installed": False,
                "max_upload_size": 2097152,
                "mysql_version": "",
                "mysql_version_string": "",
                "default_timezone": "UTC",
                "fsockopen_or_curl_enabled": True,
                "soapclient_enabled": False,
                "domdocument_enabled": True,
                "gzip_enabled": True,
                "mbstring_enabled": True,
                "remote_post_successful": True,
                "remote_post_response": 200,
                "remote_get_successful": True,
                "remote_get_response": 200,
            },
            "database": {},
            "active_plugins": [],
            "inactive_plugins": [],
            "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
            "theme": {},
            "settings": {
                "api_enabled": False,
                "force_ssl": False,
                "currency": store.currency,
                "currency_symbol": "&#36;",
                "currency_position": "left",
                "thousand_separator": ",",
                "decimal_separator": ".",
                "number_of_decimals": store.decimals,
                "geolocation_enabled": False,
                "taxonomies": {},
                "product_visibility_terms": {},
                "woocommerce_com_connected": "no",
                "enforce_approved_download_dirs": True,
                "order_datastore": "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\"
                "OrdersTableDataStore",
                "HPOS_enabled": True,
                "HPOS_sync_enabled": False,
                "enabled_features": [],
            },
            "security": {"secure_connection": request.scheme == "https", "hide_errors": True},
            "pages": [],
            "post_type_counts": [],
            "logging": {},
        }
        return _json(_fields(request, document), allow="GET")

    def _orders(self, request: Request, key: ApiKey | None) -> Response:
        page, per_page, order, orderby = self._paging(request, ORDERBY)
        statuses = self._statuses(request)
        gmt_dates = request.args.get("dates_are_gmt", "false").lower() in ("1", "true")
        dates = {
            name: self._date(request, name, gmt_dates)
            for name in ("modified_after", "modified_before", "after", "before")
        }
        include = self._id_list(request, "include")
        self._permit_listing(key, request)
        ids = self.store.list_orders(
            statuses=statuses,
            modified_after=dates["modified_after"],
            modified_before=dates["modified_before"],
            created_after=dates["after"],
            created_before=dates["before"],
            include=include,
            descending=order == "desc",
            key=orderby if orderby in ("id", "modified") else "date",
        )
        return self._page_of(
            request, ids, page, per_page, self.store.order_json, "GET, POST", rendering_orders=True
        )

    def _order(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        if request.method == "GET":
            self._permit_viewing(key, request)
            self._existing_order(item_id)
            request.environ[ORDERS_RENDERED] = 1
            return _json(
                self.store.order_json(item_id, _field_list(request)),
                allow="GET, POST, PUT, PATCH, DELETE",
            )
        if request.method == "DELETE":
            self._permit(
                key,
                request,
                "woocommerce_rest_cannot_delete",
                "Sorry, you are not allowed to delete this resource.",
            )
            self._existing_order(item_id)
            if request.args.get("force", "false").lower() in ("1", "true"):
                document = self.store.order_json(item_id)
                self.store.delete_order(item_id)
                return _json(document)
            if item_id in self.store.trashed_orders:
                raise WooError(
                    410, "woocommerce_rest_already_trashed", "The order has already been deleted."
                )
            self.store.trash_order(item_id)
            return _json(self.store.order_json(item_id))
        changes = self._json_body(request)
        self._permit(
            key,
            request,
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        )
        self._existing_order(item_id)
        allowed = {
            k: v for k, v in changes.items() if k in ("status", "customer_note", "meta_data")
        }
        if "status" in allowed and str(allowed["status"]).removeprefix("wc-") not in ORDER_STATUSES:
            raise _invalid_param(
                "status",
                f"status is not one of {', '.join(ORDER_STATUSES)}.",
                code="rest_not_in_enum",
            )
        if allowed:
            self.store.update_order(item_id, **allowed)
        return _json(self.store.order_json(item_id))

    def _order_notes(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        if request.method == "GET":
            self._permit_listing(key, request)
            self._existing_order(item_id)
            notes = self.store.order_notes(item_id)
            return _json([self._note_json(item_id, n) for n in notes], allow="GET, POST")
        body = self._json_body(request)
        self._permit(key, request, *CANNOT_CREATE)
        self._existing_order(item_id)
        note = body.get("note")
        if not isinstance(note, str) or not note:
            raise WooError(
                400, "rest_missing_callback_param", "Missing parameter(s): note", params=["note"]
            )
        record = self.store.add_order_note(
            item_id, note, customer_note=bool(body.get("customer_note", False))
        )
        return _json(self._note_json(item_id, record), 201, allow="GET, POST")

    def _note_json(self, order_id: int, note: dict[str, Any]) -> dict[str, Any]:
        base = f"{self.store.api_url}/orders/{order_id}"
        return {
            "id": note["id"],
            "author": note["author"],
            "date_created": note["date_created_gmt"],
            "date_created_gmt": note["date_created_gmt"],
            "note": note["note"],
            "customer_note": note["customer_note"],
            "_links": {
                "self": [
                    {
                        "href": f"{base}/notes/{note['id']}",
                        "targetHints": {"allow": ["GET", "DELETE"]},
                    }
                ],
                "collection": [{"href": f"{base}/notes"}],
                "up": [{"href": base}],
            },
        }

    def _shipment_trackings(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        if not self.store.has_shipment_tracking:
            raise WooError(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        self._permit(key, request, CANNOT_VIEW, "Sorry, you cannot view.")
        self._existing_order(item_id)
        if request.method == "GET":
            items = self.store.order_meta(item_id, "_wc_shipment_tracking_items") or []
            return _json([_tracking_json(item) for item in items], allow="GET, POST")
        body = self._json_body(request)
        if not body.get("tracking_number"):
            raise WooError(
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): tracking_number",
                params=["tracking_number"],
            )
        fields = {k: str(v) for k, v in body.items() if isinstance(v, str | int)}
        item = self.store.add_shipment_tracking(item_id, fields)
        return _json(_tracking_json(item), 201, allow="GET, POST")

    def _products(self, request: Request, key: ApiKey | None) -> Response:
        page, per_page, order, _ = self._paging(request, ORDERBY)
        self._permit_listing(key, request)
        with self.store.lock:
            ids = sorted(
                (i for i, p in self.store.products.items() if p["type"] != "variation"),
                reverse=order == "desc",
            )
        return self._page_of(request, ids, page, per_page, self.store.product_json, "GET, POST")

    def _product(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        self._permit_viewing(key, request)
        if item_id not in self.store.products:
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return _json(
            self.store.product_json(item_id, _field_list(request)),
            allow="GET, POST, PUT, PATCH, DELETE",
        )

    def _variations(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        page, per_page, order, _ = self._paging(request, ORDERBY, default_order="desc")
        self._permit_listing(key, request)
        parent = self.store.products.get(item_id)
        if parent is None:
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        ids = sorted(parent["variations"], reverse=order == "desc")
        return self._page_of(request, ids, page, per_page, self.store.product_json, "GET, POST")

    def _products_batch(self, request: Request, key: ApiKey | None) -> Response:
        return self._batch(request, key, parent_id=None)

    def _variations_batch(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        if item_id not in self.store.products:
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return self._batch(request, key, parent_id=item_id)

    def _batch(self, request: Request, key: ApiKey | None, parent_id: int | None) -> Response:
        body = self._json_body(request)
        parts = {name: body.get(name) or [] for name in ("create", "update", "delete")}
        if sum(len(items) for items in parts.values() if isinstance(items, list)) > BATCH_LIMIT:
            raise WooError(
                413,
                "woocommerce_rest_request_entity_too_large",
                f"Unable to accept more than {BATCH_LIMIT} items for this request.",
            )
        self._permit(
            key,
            request,
            "woocommerce_rest_cannot_batch",
            "Sorry, you are not allowed to batch manipulate this resource.",
        )
        answer: dict[str, list[Any]] = {}
        for name, items in parts.items():
            if not items:
                continue
            answer[name] = [
                self._batch_update(item, parent_id)
                if name == "update"
                else {
                    "id": item.get("id", 0) if isinstance(item, dict) else 0,
                    "error": {
                        "code": "woocommerce_rest_sandbox_unsupported",
                        "message": f"The sandbox does not {name} in batches.",
                        "data": {"status": 400},
                    },
                }
                for item in items
            ]
        return _json(answer, allow="POST, PUT, PATCH")

    def _batch_update(self, item: Any, parent_id: int | None) -> dict[str, Any]:
        item_id = item.get("id") if isinstance(item, dict) else None
        product = self.store.products.get(item_id) if isinstance(item_id, int) else None
        if (
            not isinstance(item_id, int)
            or product is None
            or (parent_id is not None and product["parent_id"] != parent_id)
        ):
            code = (
                "woocommerce_rest_product_variation_invalid_id"
                if parent_id
                else "woocommerce_rest_product_invalid_id"
            )
            return {
                "id": item_id or 0,
                "error": {"code": code, "message": "Invalid ID.", "data": {"status": 400}},
            }
        if parent_id is None and product["type"] == "variation":
            return {
                "id": item_id,
                "error": {
                    "code": "woocommerce_rest_invalid_product_id",
                    "message": "To manipulate product variations you should use the "
                    "/products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.",
                    "data": {"status": 404},
                },
            }
        quantity = item.get("stock_quantity", product["stock_quantity"])
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            return {
                "id": item_id,
                "error": {
                    "code": "rest_invalid_param",
                    "message": "stock_quantity is not of type integer.",
                    "data": {"status": 400},
                },
            }
        self.store.set_stock(item_id, quantity, bool(item.get("manage_stock", True)))
        return self.store.product_json(item_id, edit=True)

    def _webhooks(self, request: Request, key: ApiKey | None) -> Response:
        if request.method == "GET":
            page, per_page, order, _ = self._paging(request, ORDERBY)
            self._permit_listing(key, request)
            with self.store.lock:
                ids = sorted(self.store.webhooks, reverse=order == "desc")
            return self._page_of(
                request,
                ids,
                page,
                per_page,
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
        return _json(document, 201, Location=f"{self.store.api_url}/webhooks/{record.id}")

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
            return _json(document)
        if request.method != "GET":
            changes = self._json_body(request)
            with self.store.lock:
                if changes.get("status") in ("active", "paused", "disabled"):
                    record.status = changes["status"]
                if isinstance(changes.get("delivery_url"), str):
                    record.delivery_url = changes["delivery_url"]
                if isinstance(changes.get("secret"), str):
                    record.secret = changes["secret"]
        return _json(self.store.webhook_json(record), allow="GET, POST, PUT, PATCH, DELETE")

    # Helpers ----------------------------------------------------------------------------

    def _permit_listing(self, key: ApiKey | None, request: Request) -> None:
        self._permit(key, request, CANNOT_VIEW, "Sorry, you cannot list resources.")

    def _permit_viewing(self, key: ApiKey | None, request: Request) -> None:
        self._permit(key, request, CANNOT_VIEW, "Sorry, you cannot view this resource.")

    def _permit(self, key: ApiKey | None, request: Request, code: str, message: str) -> None:
        if key is None:
            raise WooError(401, code, message)
        try:
            check_permission(key, request.method)
        except AuthFailure as failure:
            raise WooError(failure.status, failure.code, failure.message) from None

    def _existing_order(self, order_id: int) -> None:
        if order_id not in self.store.orders:
            raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")

    def _paging(
        self, request: Request, orderby_values: tuple[str, ...], default_order: str = "desc"
    ) -> tuple[int, int, str, str]:
        page = self._integer(request, "page", 1, minimum=1)
        per_page = self._integer(request, "per_page", 10, minimum=1, maximum=100)
        order = request.args.get("order", default_order)
        if order not in ("asc", "desc"):
            raise _invalid_param("order", "order is not one of asc and desc.", "rest_not_in_enum")
        orderby = request.args.get("orderby", "date")
        if orderby not in orderby_values:
            raise _invalid_param(
                "orderby", f"orderby is not one of {', '.join(orderby_values)}.", "rest_not_in_enum"
            )
        return page, per_page, order, orderby

    @staticmethod
    def _integer(
        request: Request, name: str, default: int, *, minimum: int, maximum: int | None = None
    ) -> int:
        raw = request.args.get(name)
        if raw is None:
            return default
        if not raw.strip().lstrip("-").isdecimal():
            raise _invalid_param(name, f"{name} is not of type integer.", "rest_invalid_type")
        value = int(raw)
        if value < minimum or (maximum is not None and value > maximum):
            bounds = (
                f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
                if maximum is not None
                else f"{name} must be greater than or equal to {minimum}"
            )
            raise _invalid_param(name, bounds, "rest_out_of_bounds")
        return value

    @staticmethod
    def _statuses(request: Request) -> set[str] | None:
        raw = [
            value
            for name, value in request.args.items(multi=True)
            if name == "status" or name.startswith("status[")
        ]
        values = {part.strip().removeprefix("wc-") for value in raw for part in value.split(",")}
        values.discard("")
        if not values or "any" in values:
            return None
        for value in values:
            if value not in ORDER_STATUSES:
                raise _invalid_param(
                    "status",
                    f"status[0] is not one of any, {', '.join(ORDER_STATUSES)}.",
                    "rest_not_in_enum",
                )
        return values

    def _date(self, request: Request, name: str, gmt: bool) -> datetime | None:
        raw = request.args.get(name)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid_param(name, "Invalid date.", "rest_invalid_date") from None
        if moment.tzinfo is None:
            zone = UTC if gmt else zoneinfo.ZoneInfo(self.store.timezone)
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)

    @staticmethod
    def _id_list(request: Request, name: str) -> set[int] | None:
        raw = request.args.get(name)
        if not raw:
            return None
        return {int(part) for part in raw.split(",") if part.strip().isdecimal()}

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        if not request.get_data():
            return dict(request.form.items())
        try:
            body = json.loads(request.get_data())
        except (ValueError, RecursionError):
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
        if not isinstance(body, dict):
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
        return body

    def _page_of(
        self,
        request: Request,
        ids: list[int],
        page: int,
        per_page: int,
        render: Callable[[int, list[str] | None], dict[str, Any]],
        allow: str,
        *,
        rendering_orders: bool = False,
    ) -> Response:
        total = len(ids)
        pages = (total + per_page - 1) // per_page
        window = ids[(page - 1) * per_page : page * per_page]
        fields = _field_list(request)
        response = _json([render(item, fields) for item in window], allow=allow)
        if rendering_orders:
            request.environ[ORDERS_RENDERED] = len(window)
        response.headers["X-WP-Total"] = str(total)
        response.headers["X-WP-TotalPages"] = str(pages)
        links = []
        query = {
            k: v
            for k, v in request.args.items(multi=True)
            if not k.startswith(("oauth_", "consumer_"))
        }
        base = f"{self.store.base_url}{request.path}"
        if page > 1:
            links.append(f'<{base}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
        if page < pages:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return response


def _tracking_json(item: dict[str, str]) -> dict[str, str]:
    """An item as the extension's route renders it: the date as a calendar day."""
    day = datetime.fromtimestamp(int(item.get("date_shipped") or 0), UTC).date().isoformat()
    return {**item, "tracking_link": item.get("custom_tracking_link", ""), "date_shipped": day}


def _field_list(request: Request) -> list[str] | None:
    raw = request.args.get("_fields")
    return None if raw is None else [part.strip() for part in raw.split(",")]


def _fields(request: Request, document: dict[str, Any]) -> dict[str, Any]:
    fields = _field_list(request)
    return document if fields is None else {k: v for k, v in document.items() if k in fields}


def _json(payload: Any, status: int = 200, allow: str | None = None, **headers: str) -> Response:
    response = Response(
        json.dumps(payload, default=str),
        status,
        content_type="application/json; charset=UTF-8",
        headers=headers,
    )
    if allow:
        response.headers["Allow"] = allow
    return response
