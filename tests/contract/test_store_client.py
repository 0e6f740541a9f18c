"""StoreClient contract: the same behaviour from the sandbox over real HTTP with OAuth 1.0a,
over HTTPS with Basic authentication, and from the responses recorded from a real WooCommerce
10.0.2 (served by an httpx.MockTransport)."""

import io
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import httpx
import pytest

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.transport import TransportOptions
from shipcrowd_woo.converters.woocommerce import order_from_json
from shipcrowd_woo.domain.errors import AuthenticationFailed, StoreResourceNotFound
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.transform import transform_order
from shipcrowd_woo.domain.woo_catalog import StockUpdate
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.recorded_store import WRONG_KEY, recorded_store_handler
from tests.sandboxes import client_for

RECORDED_URL = "http://127.0.0.1:8089"


@attrs.frozen
class Subject:
    """A client and what its store is known to hold."""

    make: object  # (key, secret) -> HttpxStoreClient
    key: str
    secret: str
    known_order_id: int
    variable_product_id: int
    variation_id: int
    pages_to_read: int | None


def _sandbox_subject(server) -> Subject:
    key, secret = server.store.create_api_key()
    variable = next(p for p in server.store.products.values() if p["type"] == "variable")
    return Subject(
        make=lambda k, s: client_for(server, k, s),
        key=key,
        secret=secret,
        known_order_id=min(server.store.orders),
        variable_product_id=variable["id"],
        variation_id=variable["variations"][0],
        pages_to_read=None,
    )


def _recorded_subject() -> Subject:
    def make(key: str, secret: str) -> HttpxStoreClient:
        return HttpxStoreClient(
            RECORDED_URL,
            Secret(key),
            Secret(secret),
            ClientOptions(per_page=20, transport=TransportOptions(max_in_flight=1)),
            transport=httpx.MockTransport(recorded_store_handler),
        )

    return Subject(make, "ck_recorded", "cs_recorded", 73, 29, 32, pages_to_read=2)


@pytest.fixture(params=["sandbox-oauth1-http", "sandbox-basic-https", "recorded-10.0.2"])
def subject(request) -> Subject:
    if request.param == "sandbox-oauth1-http":
        return _sandbox_subject(request.getfixturevalue("http_sandbox"))
    if request.param == "sandbox-basic-https":
        return _sandbox_subject(request.getfixturevalue("https_sandbox"))
    return _recorded_subject()


@pytest.fixture
def client(subject) -> Iterator[HttpxStoreClient]:
    with subject.make(subject.key, subject.secret) as client:
        yield client


def test_the_connection_test_reports_versions_currency_and_decimals(client):
    """system_status gives WooCommerce 10.0.2, WordPress 6.8.8, USD with 2 decimals."""
    status = client.system_status()
    assert (status.wc_version, status.wp_version) == ("10.0.2", "6.8.8")
    assert (status.currency, status.decimals) == ("USD", 2)
    assert status.timezone


def test_orders_come_page_by_page_by_ascending_id_and_all_transform(client, subject, context):
    """Every order of every page read is a WooOrder that transforms; ids only go up."""
    pages = list(itertools.islice(client.order_pages(), subject.pages_to_read))
    orders = [order for page in pages for order in page.read()]
    assert all(isinstance(order, WooOrder) for order in orders)
    ids = [order.id for order in orders]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert pages[0].total_pages >= len(pages)
    assert all(isinstance(transform_order(order, context), Order) for order in orders)
    assert len(orders) >= 40


def test_a_single_order_is_fetched_and_a_missing_one_is_not_found(client, subject, context):
    """GET orders/<id> returns the order; an unknown id is StoreResourceNotFound."""
    order = client.get_order(subject.known_order_id)
    assert isinstance(order, WooOrder)
    assert order.id == subject.known_order_id
    with pytest.raises(StoreResourceNotFound, match="woocommerce_rest_shop_order_invalid_id"):
        client.get_order(987654321)


def test_variations_go_through_their_parent_and_per_item_errors_are_surfaced(client, subject):
    """A variation update succeeds through variations/batch; a variation id sent to
    products/batch and an unknown id come back as per-item errors inside a 200."""
    results = client.update_stock(
        [
            StockUpdate(subject.variable_product_id, subject.variation_id, 5),
            StockUpdate(subject.variation_id, None, 5),
        ]
    )
    assert results[0].ok
    assert results[1].error_code == "woocommerce_rest_invalid_product_id"
    [unknown] = client.update_stock([StockUpdate(987654321, None, 1)])
    assert unknown.error_code == "woocommerce_rest_product_invalid_id"


def test_webhooks_are_listed_and_created(client):
    """The store's webhooks list, and creating one returns it with its id and status."""
    created = client.create_webhook(
        "customer.updated",
        "http://127.0.0.1:8765/webhooks/woocommerce/customer/updated",
        Secret("s3cr3t"),
    )
    assert created.id > 0
    assert created.status == "active"
    assert any(webhook.topic == "customer.updated" for webhook in client.webhooks())


def test_wrong_credentials_are_an_authentication_failure(subject):
    """A key the store does not accept gives AuthenticationFailed, never a retry storm."""
    with subject.make(WRONG_KEY, "cs_wrong") as client, pytest.raises(AuthenticationFailed):
        client.system_status()


def test_recorded_orders_transform_through_the_client_exactly_as_from_the_fixture(context):
    """Decoding through the client (Decimal floats) gives the same orders as the fixture."""
    recorded = _recorded_subject()
    with recorded.make(recorded.key, recorded.secret) as client:
        order = client.get_order(73)
    assert isinstance(order, WooOrder)
    result = transform_order(order, context)
    assert isinstance(result, Order)
    from tests.fixtures import recorded as load

    assert result == order_from_json(load("order_with_refund")["body"], context)


# What follows changes what the store holds, and nothing like it was recorded from the real
# store (no PUT orders, no batch over 100 items): these run against sandboxes of their own.


@attrs.define
class Moment:
    """The store's clock, moved by the test; it starts ten minutes back, so moving it to the
    present stays within the window the store allows OAuth timestamps."""

    now: datetime = attrs.Factory(lambda: datetime.now(UTC) - timedelta(minutes=10))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["oauth1-http", "basic-https"])
def own_store(request) -> Iterator[tuple[SandboxServer, Moment, HttpxStoreClient]]:
    """A sandbox of this test's own (simple products only), its clock and a client."""
    clock = Moment()
    store = SandboxStore(seed=21, products=250, orders=120, variable_every=0, clock=clock)
    with SandboxServer(store, tls=request.param == "basic-https") as server:
        key, secret = store.create_api_key()
        with client_for(server, key, secret) as client:
            yield server, clock, client


def test_an_incremental_query_returns_only_orders_modified_after_the_cursor(own_store):
    """modified_after with dates_are_gmt: the three orders saved after the cursor, no other."""
    server, clock, client = own_store
    cursor = clock.now
    clock.now += timedelta(minutes=10)
    changed = sorted(server.store.orders)[5:8]
    for order_id in changed:
        server.store.update_order(order_id, customer_note="changed after the cursor")
    pages = list(client.order_pages(modified_after=cursor))
    assert [order.id for page in pages for order in page.read()] == changed


def test_a_status_filter_lists_only_orders_of_those_statuses(own_store):
    """status=completed,on-hold lists exactly the store's orders in those statuses."""
    server, _, client = own_store
    wanted = {"completed", "on-hold"}
    expected = sorted(i for i, o in server.store.orders.items() if o["status"] in wanted)
    listed = [o.id for page in client.order_pages(statuses=sorted(wanted)) for o in page.read()]
    assert listed == expected
    assert expected


def test_an_order_status_is_set_at_the_store_and_the_order_comes_back(own_store):
    """PUT orders/<id> {"status"}: the store holds the new status and answers the order."""
    server, _, client = own_store
    order_id = next(i for i, o in server.store.orders.items() if o["status"] == "processing")
    updated = client.update_order_status(order_id, "completed")
    assert isinstance(updated, WooOrder)
    assert (updated.id, updated.status) == (order_id, "completed")
    assert server.store.orders[order_id]["status"] == "completed"


def test_more_than_100_stock_updates_go_in_requests_of_at_most_100(own_store):
    """250 simple products: three products/batch requests (100, 100, 50), every one applied,
    results in the order asked."""
    server, _, client = own_store
    sizes: list[int] = []

    def counting(app):
        def counted(environ, start_response):
            if environ["PATH_INFO"].endswith("/products/batch"):
                length = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(length)
                sizes.append(len(json.loads(body)["update"]))
                environ["wsgi.input"] = io.BytesIO(body)
            return app(environ, start_response)

        return counted

    server.wrap(counting)
    products = sorted(server.store.products)
    results = client.update_stock([StockUpdate(p, None, n % 17) for n, p in enumerate(products)])
    assert sorted(sizes, reverse=True) == [100, 100, 50]
    assert [r.id for r in results] == products
    assert all(r.ok for r in results)
    assert [server.store.products[p]["stock_quantity"] for p in products] == [
        n % 17 for n in range(len(products))
    ]
