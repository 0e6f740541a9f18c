"""The sandbox answers the requests recorded from a real WooCommerce 10.0.2 in the same shape:
status codes, error codes and bodies, headers, and field names at every level."""

from typing import Any

import httpx
import pytest

from shipcrowd_woo.adapters.woocommerce.auth import OAuth1QueryAuth
from shipcrowd_woo.adapters.woocommerce.redaction import install_redaction
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.fixtures import recorded

API = "/wp-json/wc/v3"
# httpx logs each URL, and OAuth 1.0a puts the consumer key in it: redacted as the app does.
install_redaction()


@pytest.fixture(scope="module")
def sandbox():
    store = SandboxStore(seed=21, products=18, orders=250)
    with SandboxServer(store) as server:
        yield server


@pytest.fixture(scope="module")
def http(sandbox):
    key, secret = sandbox.store.create_api_key()
    with httpx.Client(
        base_url=sandbox.url, auth=OAuth1QueryAuth(Secret(key), Secret(secret))
    ) as client:
        yield client


def keys(document: dict[str, Any]) -> set[str]:
    return set(document)


def same_keys_deep(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Where two documents differ in field names (values are free to differ)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        problems = (
            [f"{path}: missing {sorted(keys(theirs) - keys(ours))}"]
            if keys(theirs) - keys(ours)
            else []
        )
        problems += (
            [f"{path}: extra {sorted(keys(ours) - keys(theirs))}"]
            if keys(ours) - keys(theirs)
            else []
        )
        for name in keys(ours) & keys(theirs):
            if name in ("_links", "meta_data", "taxes", "dimensions"):
                continue
            problems += same_keys_deep(ours[name], theirs[name], f"{path}.{name}")
        return problems
    if isinstance(ours, list) and isinstance(theirs, list) and ours and theirs:
        return same_keys_deep(ours[0], theirs[0], f"{path}[0]")
    return []


def test_system_status_has_the_recorded_sections_and_fields(http):
    """environment and settings carry the same field names."""
    theirs = recorded("system_status")
    ours = http.get(f"{API}/system_status")
    assert ours.status_code == theirs["status"]
    assert keys(ours.json()) == keys(theirs["body"])
    for section in ("environment", "settings", "security"):
        assert keys(ours.json()[section]) == keys(theirs["body"][section]), section


@pytest.mark.parametrize("page", [1, 2])
def test_an_order_page_has_the_recorded_headers_and_fields(http, page):
    """X-WP-Total, X-WP-TotalPages, Link with prev/next, Allow, and every order field."""
    theirs = recorded(f"orders_page{page}_per_page_20")
    ours = http.get(
        f"{API}/orders", params={"per_page": 20, "orderby": "id", "order": "asc", "page": page}
    )
    assert ours.status_code == theirs["status"]
    assert ours.headers["content-type"] == theirs["headers"]["Content-Type"]
    assert ours.headers["allow"] == theirs["headers"]["Allow"]
    assert ours.headers["x-wp-total"] == theirs["headers"]["X-WP-Total"] == "250"
    assert ours.headers["x-wp-totalpages"] == theirs["headers"]["X-WP-TotalPages"] == "13"
    for relation in ("prev", "next"):
        assert (f'rel="{relation}"' in ours.headers["link"]) == (
            f'rel="{relation}"' in theirs["headers"]["Link"]
        )
    richest = max(theirs["body"], key=lambda o: len(o["coupon_lines"]) + len(o["fee_lines"]))
    ours_richest = max(
        ours.json(), key=lambda o: (len(o["coupon_lines"]) > 0) + (len(o["fee_lines"]) > 0)
    )
    assert same_keys_deep(ours_richest, richest) == []


def test_a_refunded_order_has_the_recorded_refund_fields(http, sandbox):
    """GET orders/<id> of an order with a refund."""
    theirs = recorded("order_with_refund")
    refunded = next(i for i, o in sorted(sandbox.store.orders.items()) if o["refunds"])
    ours = http.get(f"{API}/orders/{refunded}")
    assert ours.status_code == 200
    assert ours.headers["allow"] == theirs["headers"]["Allow"]
    assert same_keys_deep(ours.json(), theirs["body"]) == []


def test_products_and_variations_have_the_recorded_fields(http, sandbox):
    """Simple and variable products, and variations."""
    theirs = recorded("products_page1")["body"]
    ours = http.get(f"{API}/products", params={"per_page": 30, "orderby": "id", "order": "asc"})
    assert ours.headers["x-wp-total"] == "18"
    by_type = {p["type"]: p for p in ours.json()}
    for product in theirs:
        assert same_keys_deep(by_type[product["type"]], product) == [], product["type"]
    variable = by_type["variable"]["id"]
    variations = http.get(f"{API}/products/{variable}/variations")
    recorded_variations = recorded("variations_of_first_variable")
    assert variations.headers["x-wp-total"] == recorded_variations["headers"]["X-WP-Total"]
    assert same_keys_deep(variations.json()[0], recorded_variations["body"][0]) == []
    ids = [v["id"] for v in variations.json()]
    assert ids == sorted(ids, reverse=True), "variations list newest first by default"


def test_webhooks_have_the_recorded_fields_and_creation_answers_201(http):
    """Created (201) and listed webhooks carry the recorded fields, never the secret."""
    theirs = recorded("webhook_created")
    created = http.post(
        f"{API}/webhooks",
        json={
            "name": "x",
            "topic": "customer.updated",
            "secret": "s",
            "delivery_url": "http://127.0.0.1:9/never",
        },
    )
    assert created.status_code == theirs["status"] == 201
    assert same_keys_deep(created.json(), theirs["body"]) == []
    listed = http.get(f"{API}/webhooks")
    assert same_keys_deep(listed.json()[0], recorded("webhooks_list")["body"][0]) == []
    assert "secret" not in created.json()


@pytest.mark.parametrize(
    ("name", "method", "path", "params", "body"),
    [
        ("error_per_page_101", "GET", "/orders", {"per_page": 101}, None),
        ("error_order_not_found", "GET", "/orders/987654321", None, None),
        (
            "error_batch_101",
            "POST",
            "/products/batch",
            None,
            {"update": [{"id": i, "stock_quantity": 1} for i in range(101)]},
        ),
    ],
)
def test_errors_are_answered_with_the_recorded_status_code_and_body(
    http, name, method, path, params, body
):
    """The same status and the same WP_Error JSON, word for word."""
    theirs = recorded(name)
    ours = http.request(method, f"{API}{path}", params=params, json=body)
    assert ours.status_code == theirs["status"]
    assert ours.json() == theirs["body"]


def test_a_wrong_secret_is_refused_with_the_recorded_error(sandbox):
    """An OAuth signature made with the wrong secret: 401 and the recorded error body."""
    key, _ = sandbox.store.create_api_key()
    theirs = recorded("error_wrong_secret")
    with httpx.Client(
        base_url=sandbox.url, auth=OAuth1QueryAuth(Secret(key), Secret("cs_wrong"))
    ) as client:
        ours = client.get(f"{API}/orders")
    assert ours.status_code == theirs["status"]
    assert ours.json() == theirs["body"]


def test_batch_item_errors_come_back_inside_a_200_as_recorded(http, sandbox):
    """An unknown id and a variation id sent to products/batch are per-item errors."""
    store = sandbox.store
    simple = next(i for i, p in store.products.items() if p["type"] == "simple")
    variation = next(i for i, p in store.products.items() if p["type"] == "variation")
    unknown = http.post(
        f"{API}/products/batch",
        json={"update": [{"id": simple, "stock_quantity": 3}, {"id": 987654321}]},
    )
    theirs = recorded("batch_with_item_error")["body"]["update"]
    assert unknown.status_code == 200
    assert unknown.json()["update"][1] == theirs[1]
    assert same_keys_deep(unknown.json()["update"][0], theirs[0]) == []
    wrong_endpoint = http.post(
        f"{API}/products/batch", json={"update": [{"id": variation, "stock_quantity": 3}]}
    )
    expected = recorded("products_batch_with_variation_id")["body"]["update"][0]
    assert wrong_endpoint.json()["update"][0] == expected | {"id": variation}
    parent = store.products[variation]["parent_id"]
    through_parent = http.post(
        f"{API}/products/{parent}/variations/batch",
        json={"update": [{"id": variation, "stock_quantity": 5}]},
    )
    assert (
        same_keys_deep(
            through_parent.json()["update"][0], recorded("variations_batch")["body"]["update"][0]
        )
        == []
    )
    assert store.products[variation]["stock_quantity"] == 5


def test_unknown_routes_answer_rest_no_route(http):
    """WordPress's 404 for a route it does not have."""
    response = http.get(f"{API}/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "rest_no_route"


def test_a_request_without_credentials_cannot_list(sandbox):
    """No credentials: the controller's 401 woocommerce_rest_cannot_view."""
    response = httpx.get(f"{sandbox.url}{API}/orders")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_cannot_view"


def test_a_delivery_is_an_http_1_0_request_on_a_connection_of_its_own(sandbox):
    """`deliver()` asks WordPress for `'httpversion' => '1.0'` (class-wc-webhook.php), and
    the recorded deliveries carry `Connection: close`: every delivery opens a connection and
    the answer ends it — so a store's deliveries spread over a server's processes as they
    do in production, rather than riding one kept-alive connection."""
    import socket
    import threading

    requests: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def answer_twice() -> None:
            for _ in range(2):
                connection, _ = listener.accept()
                with connection:
                    received = b""
                    while b"\r\n\r\n" not in received:
                        received += connection.recv(65536)
                    requests.append(received)
                    connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")

        server = threading.Thread(target=answer_twice)
        server.start()
        port = listener.getsockname()[1]
        webhook = sandbox.store.add_webhook(
            "fidelity", "order.updated", f"http://127.0.0.1:{port}/hook", "s3cr3t"
        )
        try:
            order_id = next(iter(sandbox.store.orders))
            statuses = [sandbox.deliverer.deliver_now(webhook, order_id) for _ in range(2)]
        finally:
            sandbox.store.webhooks.pop(webhook.id)
        server.join(timeout=10)
    assert statuses == [200, 200]
    assert len(requests) == 2  # two connections accepted, one request each
    for request in requests:
        request_line, *header_lines = request.split(b"\r\n\r\n")[0].decode().split("\r\n")
        assert request_line == "POST /hook HTTP/1.0"
        headers = dict(line.split(": ", 1) for line in header_lines)
        assert headers["Connection"] == "close"
        assert headers["User-Agent"].startswith("WooCommerce/")
