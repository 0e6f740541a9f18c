"""The sandbox's product routes: listing, one product, variations and the batch endpoints."""

from typing import Any

from werkzeug import Request, Response

from shipcrowd_woo.sandbox.rest_io import BATCH_LIMIT, RestHandlers, WooError, json_response
from shipcrowd_woo.sandbox.stock import BACKORDER_SETTINGS
from shipcrowd_woo.sandbox.store import ApiKey


class CatalogRoutes(RestHandlers):
    """The sandbox's product routes: listing, one product, variations and the batch endpoints."""

    def _products(self, request: Request, key: ApiKey | None) -> Response:
        paging = self._paging(request)
        self._permit_listing(key, request)
        with self.store.lock:
            ids = sorted(
                (i for i, p in self.store.products.items() if p["type"] != "variation"),
                reverse=paging.descending,
            )
        return self._page_of(request, ids, paging, self.store.product_json, "GET, POST")

    def _product(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        self._permit_viewing(key, request)
        self._existing_product(item_id)
        return self._one(request, item_id, self.store.product_json)

    def _variations(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        paging = self._paging(request)
        self._permit_listing(key, request)
        self._existing_product(item_id)
        ids = sorted(self.store.products[item_id]["variations"], reverse=paging.descending)
        return self._page_of(request, ids, paging, self.store.product_json, "GET, POST")

    def _products_batch(self, request: Request, key: ApiKey | None) -> Response:
        return self._batch(request, key, parent_id=None)

    def _variations_batch(self, request: Request, key: ApiKey | None, item_id: int) -> Response:
        self._existing_product(item_id)
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
        return json_response(answer, allow="POST, PUT, PATCH")

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
        backorders = item.get("backorders", product.get("backorders", "no"))
        if backorders not in BACKORDER_SETTINGS:
            return {
                "id": item_id,
                "error": {
                    "code": "rest_invalid_param",
                    "message": "backorders is not one of no, notify, and yes.",
                    "data": {"status": 400},
                },
            }
        self.store.set_stock(
            item_id, quantity, bool(item.get("manage_stock", True)), backorders=backorders
        )
        return self.store.product_json(item_id, edit=True)
