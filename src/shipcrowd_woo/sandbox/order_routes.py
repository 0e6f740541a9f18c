"""The sandbox's order routes: listing, creating (a checkout), one order, its notes and the
Shipment Tracking route."""

from datetime import UTC, datetime
from typing import Any

from werkzeug import Request, Response

from shipcrowd_woo.sandbox.rest_io import (
    CANNOT_CREATE,
    CANNOT_VIEW,
    ORDER_STATUSES,
    ORDERS_RENDERED,
    RestHandlers,
    WooError,
    invalid_param,
    json_response,
)
from shipcrowd_woo.sandbox.stock import StockRefused
from shipcrowd_woo.sandbox.store import ApiKey, CheckoutLine, NewOrder


class OrderRoutes(RestHandlers):
    """The sandbox's order routes: listing, creating (a checkout), one order, its notes and the
    Shipment Tracking route."""

    def _orders(self, request: Request, key: ApiKey | None) -> Response:
        if request.method == "POST":
            return self._new_order(request, key)
        paging = self._paging(request)
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
            descending=paging.descending,
            key=paging.orderby if paging.orderby in ("id", "modified") else "date",
        )
        return self._page_of(
            request, ids, paging, self.store.order_json, "GET, POST", rendering_orders=True
        )

    def _new_order(self, request: Request, key: ApiKey | None) -> Response:
        """`POST orders` (WC_REST_Orders_Controller::create_item): 201 with the order and its
        Location; a checkout short of stock is refused with ReserveStock's 403 (see
        SandboxStore.place_order for why the sandbox refuses at all)."""
        body = self._json_body(request)
        status = self._new_status(body.get("status", "pending"))
        self._permit(key, request, *CANNOT_CREATE)
        new = NewOrder(
            lines=tuple(self._checkout_line(item) for item in _items(body.get("line_items"))),
            status=status,
            set_paid=body.get("set_paid") is True,
            payment_method=str(body.get("payment_method", "")),
            payment_method_title=str(body.get("payment_method_title", "")),
            transaction_id=str(body.get("transaction_id", "")),
            customer_id=_whole(body.get("customer_id", 0), "customer_id"),
            customer_note=str(body.get("customer_note", "")),
            billing=_strings(body.get("billing")),
            shipping=_strings(body.get("shipping")),
        )
        try:
            order_id = self.store.place_order(new)
        except StockRefused as refused:
            raise WooError(refused.status, refused.code, refused.message) from None
        request.environ[ORDERS_RENDERED] = 1
        return json_response(
            self.store.order_json(order_id),
            201,
            allow="GET, POST",
            Location=f"{self.store.api_url}/orders/{order_id}",
        )

    def _checkout_line(self, item: dict[str, Any]) -> CheckoutLine:
        """WC_REST_Orders_V2_Controller::get_product_id: the SKU first, then the variation,
        then the product; without any, 400 woocommerce_rest_required_product_reference."""
        quantity = _whole(item.get("quantity", 1), "line_items")
        if quantity < 0:
            raise invalid_param("line_items", "quantity must be greater than or equal to 0")
        sku = item.get("sku")
        if sku:
            with self.store.lock:
                found = [p["id"] for p in self.store.products.values() if p["sku"] == sku]
            return CheckoutLine(found[0] if found else 0, None, quantity)
        product_id = _whole(item.get("product_id") or 0, "line_items")
        variation_id = _whole(item.get("variation_id") or 0, "line_items")
        if not product_id and not variation_id:
            raise WooError(
                400, "woocommerce_rest_required_product_reference", "Product ID or SKU is required."
            )
        return CheckoutLine(product_id, variation_id or None, quantity)

    @staticmethod
    def _new_status(raw: Any) -> str:
        status = str(raw).removeprefix("wc-")
        if status not in ORDER_STATUSES:
            raise invalid_param(
                "status",
                f"status is not one of {', '.join(ORDER_STATUSES)}.",
                code="rest_not_in_enum",
            )
        return status

    def _order(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        if request.method == "GET":
            self._permit_viewing(key, request)
            self._existing_order(item_id)
            request.environ[ORDERS_RENDERED] = 1
            return self._one(request, item_id, self.store.order_json)
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
                return json_response(document)
            if item_id in self.store.trashed_orders:
                raise WooError(
                    410, "woocommerce_rest_already_trashed", "The order has already been deleted."
                )
            self.store.trash_order(item_id)
            return json_response(self.store.order_json(item_id))
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
            raise invalid_param(
                "status",
                f"status is not one of {', '.join(ORDER_STATUSES)}.",
                code="rest_not_in_enum",
            )
        if allowed:
            self.store.update_order(item_id, **allowed)
        return json_response(self.store.order_json(item_id))

    def _order_notes(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        if request.method == "GET":
            self._permit_listing(key, request)
            self._existing_order(item_id)
            notes = self.store.order_notes(item_id)
            return json_response([self._note_json(item_id, n) for n in notes], allow="GET, POST")
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
        return json_response(self._note_json(item_id, record), 201, allow="GET, POST")

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
            return json_response([_tracking_json(item) for item in items], allow="GET, POST")
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
        return json_response(_tracking_json(item), 201, allow="GET, POST")


def _items(raw: Any) -> list[dict[str, Any]]:
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []


def _strings(raw: Any) -> dict[str, str]:
    """An address as posted: its text fields (WooCommerce's setters ignore the rest)."""
    return {k: v for k, v in raw.items() if isinstance(v, str)} if isinstance(raw, dict) else {}


def _whole(raw: Any, name: str) -> int:
    """An integer parameter; anything else is refused as the schema refuses it."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise invalid_param(name, f"{name} is not of type integer.", "rest_invalid_type")
    return raw


def _tracking_json(item: dict[str, str]) -> dict[str, str]:
    """An item as the extension's route renders it: the date as a calendar day."""
    day = datetime.fromtimestamp(int(item.get("date_shipped") or 0), UTC).date().isoformat()
    return {**item, "tracking_link": item.get("custom_tracking_link", ""), "date_shipped": day}
