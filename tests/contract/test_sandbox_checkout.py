"""The sandbox sells as WooCommerce does (issue 32): a paid order placed with `POST orders`
takes its lines' stock, once, as `wc_maybe_reduce_stock_levels` does
(woocommerce/woocommerce plugins/woocommerce/includes/wc-stock-functions.php), and gives it
back when cancelled (`wc_maybe_increase_stock_levels`). An order short of stock is refused
whole with the error of the checkout's stock reservation
(plugins/woocommerce/src/Checkout/Helpers/ReserveStock.php, `reserve_stock_for_order`):
WooCommerce's REST controller itself never refuses, so the sandbox takes the checkout's rule."""

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipcrowd_woo.adapters.woocommerce.auth import OAuth1QueryAuth
from shipcrowd_woo.adapters.woocommerce.redaction import install_redaction
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.stock import StockRefused
from shipcrowd_woo.sandbox.store import SandboxStore

API = "/wp-json/wc/v3"
# OAuth 1.0a puts the consumer key in each URL httpx logs: redacted as the app does.
install_redaction()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxStore(seed=32, products=12, orders=0)) as server:
        yield server


@pytest.fixture(scope="module")
def credentials(sandbox: SandboxServer) -> tuple[str, str]:
    return sandbox.store.create_api_key()


@pytest.fixture(scope="module")
def http(sandbox: SandboxServer, credentials: tuple[str, str]) -> Iterator[httpx.Client]:
    with client(sandbox, credentials) as session:
        yield session


def client(sandbox: SandboxServer, credentials: tuple[str, str]) -> httpx.Client:
    key, secret = credentials
    return httpx.Client(base_url=sandbox.url, auth=OAuth1QueryAuth(Secret(key), Secret(secret)))


def simple_products(sandbox: SandboxServer) -> list[int]:
    return sorted(i for i, p in sandbox.store.products.items() if p["type"] == "simple")


def a_variation(sandbox: SandboxServer) -> tuple[int, int]:
    variation = min(i for i, p in sandbox.store.products.items() if p["type"] == "variation")
    return sandbox.store.products[variation]["parent_id"], variation


def stock_of(http: httpx.Client, product_id: int) -> dict[str, Any]:
    product = http.get(f"{API}/products/{product_id}").json()
    fields = ("manage_stock", "stock_quantity", "stock_status", "backorders", "backordered")
    return {name: product[name] for name in fields}


def order(http: httpx.Client, *lines: dict[str, Any], **fields: Any) -> httpx.Response:
    return http.post(f"{API}/orders", json={"line_items": list(lines), **fields})


def reduced_stock(line: dict[str, Any]) -> list[str]:
    return [m["value"] for m in line["meta_data"] if m["key"] == "_reduced_stock"]


def test_a_paid_order_lowers_the_stock_of_each_managed_line(sandbox, http):
    """`set_paid` completes the payment: pending moves to processing, and each line's product
    (the variation itself for a variation line) loses the line's quantity, recorded on the
    line as `_reduced_stock` (a string, as the recorded orders show it) and in a note."""
    simple = simple_products(sandbox)[0]
    parent, variation = a_variation(sandbox)
    sandbox.store.set_stock(simple, 10)
    sandbox.store.set_stock(variation, 4)

    response = order(
        http,
        {"product_id": simple, "quantity": 3},
        {"product_id": parent, "variation_id": variation, "quantity": 1},
        set_paid=True,
        payment_method="bacs",
    )

    assert response.status_code == 201
    placed = response.json()
    assert response.headers["location"] == f"{sandbox.url}{API}/orders/{placed['id']}"
    assert (placed["status"], placed["created_via"]) == ("processing", "rest-api")
    assert placed["date_paid_gmt"] is not None
    assert [reduced_stock(line) for line in placed["line_items"]] == [["3"], ["1"]]
    assert placed["line_items"][1]["variation_id"] == variation
    assert stock_of(http, simple)["stock_quantity"] == 7
    assert stock_of(http, variation)["stock_quantity"] == 3
    notes = [n["note"] for n in http.get(f"{API}/orders/{placed['id']}/notes").json()]
    assert any(note.startswith("Stock levels reduced: ") and "10&rarr;7" in note for note in notes)


@pytest.mark.parametrize("status", ["processing", "completed", "on-hold"])
def test_reaching_a_stock_taking_status_takes_the_stock(sandbox, http, status):
    """wc_maybe_reduce_stock_levels is hooked on processing, completed and on-hold alike."""
    product = simple_products(sandbox)[1]
    sandbox.store.set_stock(product, 5)
    response = order(http, {"product_id": product, "quantity": 2}, status=status)
    assert (response.status_code, response.json()["status"]) == (201, status)
    assert stock_of(http, product)["stock_quantity"] == 3


def test_a_pending_order_takes_no_stock_and_is_never_refused_for_it(sandbox, http):
    """A pending order has not been paid: no stock hook runs, so nothing is checked either."""
    product = simple_products(sandbox)[1]
    sandbox.store.set_stock(product, 1)
    response = order(http, {"product_id": product, "quantity": 5})
    assert (response.status_code, response.json()["status"]) == (201, "pending")
    assert reduced_stock(response.json()["line_items"][0]) == []
    assert stock_of(http, product)["stock_quantity"] == 1


def test_a_short_order_is_refused_whole_with_the_reservations_error(sandbox, http):
    """ReserveStock's `woocommerce_product_not_enough_stock`, 403, as WP_Error JSON; the line
    that could be served keeps its stock too, and no order is made."""
    plenty, short = simple_products(sandbox)[2:4]
    sandbox.store.set_stock(plenty, 50)
    sandbox.store.set_stock(short, 2)
    orders_before = set(sandbox.store.orders)

    response = order(
        http,
        {"product_id": plenty, "quantity": 1},
        {"product_id": short, "quantity": 3},
        set_paid=True,
    )

    name = sandbox.store.products[short]["name"]
    assert response.status_code == 403
    assert response.json() == {
        "code": "woocommerce_product_not_enough_stock",
        "message": f"Not enough units of {name} are available in stock to fulfil this order.",
        "data": {"status": 403},
    }
    assert set(sandbox.store.orders) == orders_before
    assert stock_of(http, plenty)["stock_quantity"] == 50
    assert stock_of(http, short)["stock_quantity"] == 2


def test_an_out_of_stock_product_is_refused_with_the_out_of_stock_error(sandbox, http):
    """A product already out of stock: `woocommerce_product_out_of_stock`, its name quoted as
    WooCommerce's translation string writes it (`&quot;`)."""
    product = simple_products(sandbox)[4]
    sandbox.store.set_stock(product, 0)
    response = order(http, {"product_id": product, "quantity": 1}, status="processing")
    name = sandbox.store.products[product]["name"]
    assert response.status_code == 403
    assert response.json() == {
        "code": "woocommerce_product_out_of_stock",
        "message": f"&quot;{name}&quot; is out of stock and cannot be purchased.",
        "data": {"status": 403},
    }


def test_lines_of_one_product_are_counted_together(sandbox, http):
    """ReserveStock sums the lines of one product before comparing with its stock."""
    product = simple_products(sandbox)[5]
    sandbox.store.set_stock(product, 3)
    line = {"product_id": product, "quantity": 2}
    response = order(http, line, line, set_paid=True)
    assert response.json()["code"] == "woocommerce_product_not_enough_stock"
    assert stock_of(http, product)["stock_quantity"] == 3


def test_selling_the_last_units_leaves_the_product_out_of_stock(sandbox, http):
    """validate_props: a managed product at 0 without backorders is `outofstock`."""
    product = simple_products(sandbox)[5]
    sandbox.store.set_stock(product, 2)
    assert order(http, {"product_id": product, "quantity": 2}, set_paid=True).status_code == 201
    assert stock_of(http, product) | {"manage_stock": True} == {
        "manage_stock": True,
        "stock_quantity": 0,
        "stock_status": "outofstock",
        "backorders": "no",
        "backordered": False,
    }


def test_a_product_without_stock_management_keeps_its_stock(sandbox, http):
    """wc_reduce_stock_levels skips a product that does not manage its stock."""
    product = simple_products(sandbox)[6]
    sandbox.store.set_stock(product, 5, manage_stock=False)
    response = order(http, {"product_id": product, "quantity": 100}, set_paid=True)
    assert response.status_code == 201
    assert reduced_stock(response.json()["line_items"][0]) == []
    assert stock_of(http, product)["stock_quantity"] == 5
    assert stock_of(http, product)["stock_status"] == "instock"


@pytest.mark.parametrize("backorders", ["notify", "yes"])
def test_with_backorders_allowed_the_stock_goes_below_zero(sandbox, http, backorders):
    """backorders_allowed is "yes" or "notify": the order is taken and the stock goes
    negative, the product on backorder (set over the products batch, as a client would)."""
    product = simple_products(sandbox)[7]
    saved = http.post(
        f"{API}/products/batch",
        json={"update": [{"id": product, "stock_quantity": 1, "backorders": backorders}]},
    )
    assert saved.json()["update"][0]["backorders"] == backorders

    response = order(http, {"product_id": product, "quantity": 3}, set_paid=True)

    assert response.status_code == 201
    assert stock_of(http, product) == {
        "manage_stock": True,
        "stock_quantity": -2,
        "stock_status": "onbackorder",
        "backorders": backorders,
        "backordered": True,
    }


def test_stock_is_taken_once_per_order_and_given_back_when_cancelled(sandbox, http):
    """`_order_stock_reduced` keeps later stock-taking statuses from taking again; cancelling
    runs wc_maybe_increase_stock_levels, which gives back what `_reduced_stock` recorded and
    forgets it; paying again takes the stock again (without a check, as WooCommerce's status
    hooks never refuse)."""
    product = simple_products(sandbox)[8]
    sandbox.store.set_stock(product, 6)
    placed = order(http, {"product_id": product, "quantity": 2}, set_paid=True).json()
    path = f"{API}/orders/{placed['id']}"

    for status in ("completed", "on-hold"):
        http.put(path, json={"status": status})
    assert stock_of(http, product)["stock_quantity"] == 4

    cancelled = http.put(path, json={"status": "cancelled"}).json()
    assert stock_of(http, product)["stock_quantity"] == 6
    assert reduced_stock(cancelled["line_items"][0]) == []
    notes = [n["note"] for n in http.get(f"{path}/notes").json()]
    assert any(note.startswith("Stock levels increased: ") for note in notes)

    http.put(path, json={"status": "processing"})
    assert stock_of(http, product)["stock_quantity"] == 4


def test_each_product_whose_stock_moved_fires_product_updated(sandbox, http):
    """wc_update_product_stock saves the product, and a save fires `product.updated`
    (woocommerce_update_product, woocommerce_update_product_variation)."""
    simple = simple_products(sandbox)[9]
    _, variation = a_variation(sandbox)
    sandbox.store.set_stock(simple, 9)
    sandbox.store.set_stock(variation, 9)
    fired: list[tuple[str, int]] = []
    sandbox.store.listeners.append(lambda topic, item: fired.append((topic, item)))
    try:
        placed = order(
            http,
            {"product_id": simple, "quantity": 1},
            {"variation_id": variation, "quantity": 1},
            set_paid=True,
        ).json()
    finally:
        sandbox.store.listeners.clear()
    assert fired == [
        ("order.created", placed["id"]),
        ("product.updated", simple),
        ("product.updated", variation),
    ]


def test_a_line_naming_no_product_is_refused_as_woocommerce_refuses_it(http):
    """WC_REST_Orders_V2_Controller::get_product_id without a SKU, product or variation."""
    response = order(http, {"quantity": 1}, set_paid=True)
    assert response.status_code == 400
    assert response.json()["code"] == "woocommerce_rest_required_product_reference"


def test_the_benches_checkout_takes_the_routes_path(sandbox, http):
    """SandboxStore.checkout places orders as `POST orders` does: the same stock taken, the
    same refusal, raised as StockRefused."""
    product = simple_products(sandbox)[0]
    sandbox.store.set_stock(product, 2)
    order_id = sandbox.store.checkout([(product, None, 2)])
    assert http.get(f"{API}/orders/{order_id}").json()["status"] == "processing"
    assert stock_of(http, product)["stock_quantity"] == 0
    with pytest.raises(StockRefused) as refused:
        sandbox.store.checkout([(product, None, 1)])
    assert (refused.value.code, refused.value.status) == ("woocommerce_product_out_of_stock", 403)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    stock=st.integers(min_value=0, max_value=8),
    wanted=st.lists(st.integers(min_value=1, max_value=3), min_size=2, max_size=10),
)
def test_concurrent_checkouts_never_sell_more_than_the_stock(sandbox, credentials, stock, wanted):
    """Buyers posting at once for the last units: what is accepted never exceeds the stock,
    the stock left is the stock less what was accepted, and every refused buyer wanted more
    than was left at the end (each check and reduction is one step under the store's lock)."""
    product = simple_products(sandbox)[3]
    sandbox.store.set_stock(product, stock)
    start = threading.Barrier(len(wanted))
    answers: dict[int, httpx.Response] = {}

    def buy(buyer: int, quantity: int) -> None:
        with client(sandbox, credentials) as session:
            start.wait()
            answers[buyer] = order(
                session, {"product_id": product, "quantity": quantity}, set_paid=True
            )

    buyers = [threading.Thread(target=buy, args=item) for item in enumerate(wanted)]
    for buyer in buyers:
        buyer.start()
    for buyer in buyers:
        buyer.join()

    accepted = [wanted[i] for i, answer in answers.items() if answer.status_code == 201]
    refused = [wanted[i] for i, answer in answers.items() if answer.status_code == 403]
    left = sandbox.store.products[product]["stock_quantity"]
    assert len(accepted) + len(refused) == len(wanted)
    assert sum(accepted) <= stock
    assert left == stock - sum(accepted)
    assert all(quantity > left for quantity in refused)
