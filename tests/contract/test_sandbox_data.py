"""The sandbox's generated store: deterministic, varied, and adding up like WooCommerce."""

from collections import Counter
from datetime import UTC, datetime

from shipcrowd_woo.converters.woocommerce import order_from_json
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.sandbox.data import STATUSES
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.fakes import FakeClock

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def store(seed: int = 5) -> SandboxStore:
    return SandboxStore(seed=seed, products=100, orders=2000, clock=lambda: NOW)


def test_the_same_seed_gives_the_same_store():
    """Orders and products are reproducible from the seed, and differ with another seed."""
    first, second, other = store(), store(), store(6)
    assert first.orders == second.orders
    assert first.products == second.products
    assert first.orders != other.orders


def test_every_generated_order_transforms_and_its_totals_reconcile(context):
    """2,000 orders through the real transformation: no rejection, no rounding gap."""
    sandbox = store()
    for order_id in sandbox.orders:
        order = order_from_json(sandbox.order_json(order_id), context)
        assert isinstance(order, Order), order
        assert order.totals_gap == 0, order_id


def test_the_generated_orders_cover_what_real_stores_send():
    """Every core status, every gateway (COD included), foreign and zero-decimal currencies,
    guest checkouts without a shipping address, refunds, coupons, variations."""
    sandbox = store()
    orders = list(sandbox.orders.values())
    assert set(Counter(o["status"] for o in orders)) == set(STATUSES)
    assert {"cod", "bacs", "cheque", "stripe", "ppcp-gateway"} <= {
        o["payment_method"] for o in orders
    }
    assert {"USD", "EUR", "JPY"} <= {o["currency"] for o in orders}
    assert any(o["customer_id"] == 0 and not o["shipping"]["address_1"] for o in orders)
    assert any(o["refunds"] for o in orders)
    assert any(o["coupon_lines"] for o in orders)
    assert any(line["variation_id"] for o in orders for line in o["line_items"])
    skus = [p["sku"] for p in sandbox.products.values()]
    assert len(skus) == len(set(skus))


def test_a_busy_store_moves_orders_along_and_their_modification_time_with_them():
    """advance_orders changes statuses and date_modified_gmt, for incremental syncs to find."""
    clock = FakeClock(NOW)
    sandbox = SandboxStore(seed=5, products=20, orders=200, clock=clock.now)
    before = {i: dict(o) for i, o in sandbox.orders.items()}
    clock.advance(hours=1)
    changed = sandbox.advance_orders(10)
    assert len(changed) == 10
    for order_id in changed:
        assert sandbox.orders[order_id]["status"] != before[order_id]["status"]
        assert sandbox.orders[order_id]["date_modified_gmt"] == "2026-11-25T13:00:00"
