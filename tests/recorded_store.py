"""An httpx.MockTransport answering with the exchanges recorded from a real WooCommerce
10.0.2, so the client can be run against exactly what a real store sent."""

import json
from typing import Any

import httpx

from tests.fixtures import recorded

WRONG_KEY = "ck_wrong"


def _response(name: str) -> httpx.Response:
    exchange = recorded(name)
    return httpx.Response(
        exchange["status"],
        headers=exchange["headers"],
        content=json.dumps(exchange["body"], default=str).encode(),
    )


def _not_recorded(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        404,
        json={
            "code": "rest_no_route",
            "message": f"not recorded: {request.url.path}",
            "data": {"status": 404},
        },
    )


def recorded_store_handler(request: httpx.Request) -> httpx.Response:
    """Route a request to the recording of the same request."""
    if WRONG_KEY in str(request.url) or WRONG_KEY in request.headers.get("authorization", ""):
        return _response("error_wrong_secret")
    path = request.url.path.removeprefix("/wp-json/wc/v3")
    page = request.url.params.get("page", "1")
    method = request.method
    body: Any = json.loads(request.content) if request.content else {}
    routes = {
        ("GET", "/system_status"): lambda: _response("system_status"),
        ("GET", "/orders"): lambda: (
            _response(f"orders_page{page}_per_page_20")
            if request.url.params.get("per_page") == "101" or page in ("1", "2")
            else _not_recorded(request)
        ),
        ("GET", "/orders/73"): lambda: _response("order_with_refund"),
        ("GET", "/orders/987654321"): lambda: _response("error_order_not_found"),
        ("GET", "/products"): lambda: _response("products_page1"),
        ("GET", "/products/29/variations"): lambda: _response("variations_of_first_variable"),
        ("POST", "/products/29/variations/batch"): lambda: _response("variations_batch"),
        ("GET", "/webhooks"): lambda: _response("webhooks_list"),
        ("POST", "/webhooks"): lambda: _response("webhook_created"),
        # The fulfilment recordings: order 39 as it stood after the tracking save.
        ("GET", "/orders/39"): lambda: _response(
            "fulfilment_order_put_tracking_meta_and_completed"
        ),
        ("PUT", "/orders/39"): lambda: _response(
            "fulfilment_order_put_tracking_meta_and_completed"
        ),
        ("GET", "/orders/39/notes"): lambda: _response("fulfilment_order_notes_list"),
        ("POST", "/orders/39/notes"): lambda: _response("fulfilment_order_note_to_customer"),
        ("PUT", "/orders/323"): lambda: _response("fulfilment_cancelled_order_put_completed"),
    }
    if (method, path) == ("GET", "/orders") and request.url.params.get("per_page") == "101":
        return _response("error_per_page_101")
    if (method, path) == ("POST", "/products/batch"):
        ids = {item.get("id") for item in body.get("update", [])}
        if len(body.get("update", [])) > 100:
            return _response("error_batch_101")
        return _response(
            "products_batch_with_variation_id" if 32 in ids else "batch_with_item_error"
        )
    route = routes.get((method, path))
    return route() if route else _not_recorded(request)
