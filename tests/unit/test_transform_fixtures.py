"""Real and hand-written WooCommerce orders become the Shipcrowd orders they should."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shipcrowd_woo.converters.woocommerce import order_from_json
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.payments import PaymentCategory, PaymentStatus
from shipcrowd_woo.domain.rejections import Rejection
from shipcrowd_woo.domain.statuses import OrderStatus
from tests.fixtures import HAND_WRITTEN_ORDERS, read_json, recorded, recorded_orders

RECORDED = list(recorded_orders())


def transformed(payload, context) -> Order:
    result = order_from_json(payload, context)
    assert isinstance(result, Order), getattr(result, "summary", result)
    return result


@pytest.mark.parametrize("payload", RECORDED, ids=[f"order-{o['id']}" for o in RECORDED])
def test_every_order_recorded_from_a_real_store_transforms_and_adds_up(payload, context):
    """Each of the 41 recorded orders becomes an order whose totals reconcile to the cent."""
    order = transformed(payload, context)
    assert order.key.source_id == payload["id"]
    assert order.totals.total == Decimal(payload["total"])
    assert order.totals_gap == 0


def test_a_guest_order_without_shipping_address_ships_to_the_billing_address(context):
    """The recorded order 38 has an empty shipping block; billing is used instead."""
    order = transformed(recorded("orders_page1_per_page_20")["body"][0], context)
    assert order.shipping_address == order.billing_address
    assert order.shipping_address.line1 == "0 Main St"
    assert order.customer.woo_customer_id is None
    assert (order.customer.first_name, order.customer.last_name) == ("José", "Müller")
    assert order.customer.email == "buyer0@example.com"


def test_a_recorded_cod_order_is_cash_on_delivery_with_its_coupon_and_fee(context):
    """Order 38: COD, a 10% coupon, a gift-wrap fee, created and modified in UTC."""
    order = transformed(recorded("orders_page1_per_page_20")["body"][0], context)
    assert order.is_cash_on_delivery
    assert order.payment_category is PaymentCategory.CASH_ON_DELIVERY
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert [(c.code, c.discount) for c in order.coupons] == [("tenoff", Decimal("3.2"))]
    assert [(f.name, f.total) for f in order.fees] == [("Gift wrap", Decimal("2.50"))]
    assert order.totals.discount == Decimal("3.20")
    assert order.created_at == datetime(2026, 11, 25, 16, 28, 7, tzinfo=UTC)
    assert order.customer_note == "leave at door"


def test_the_recorded_refund_is_counted_and_the_order_partially_refunded(context):
    """Order 73 was refunded 1.00 of 68.95."""
    order = transformed(recorded("order_with_refund")["body"], context)
    assert order.totals.refunded == Decimal("1.00")
    assert order.payment_status is PaymentStatus.PARTIALLY_REFUNDED


def test_recorded_variation_lines_keep_their_variation_id(context):
    """Lines of variable products carry the variation id; simple ones carry None."""
    orders = [transformed(payload, context) for payload in RECORDED]
    lines = [line for order in orders for line in order.lines]
    assert any(line.variation_id for line in lines)
    assert all(line.variation_id is None for line in lines if line.sku.startswith("W-"))


def hand_written(name: str):
    return read_json(HAND_WRITTEN_ORDERS / f"{name}.json")


def test_tax_inclusive_prices_with_entities_in_names(context):
    """EUR order: prices include tax, names arrive HTML-escaped, shipping to a second address."""
    order = transformed(hand_written("tax_inclusive_eur"), context)
    assert order.currency == "EUR"
    assert order.prices_include_tax
    assert order.totals.tax == Decimal("6.08")
    assert order.totals_gap == 0
    assert order.lines[0].name == "Ship Your Idea \u2013 Color: Black"
    assert order.shipping_lines[0].title == "DHL Paket & Versicherung"
    assert order.shipping_address.city == "Bonn"
    assert order.billing_address.city == "Köln"
    assert order.external_order_number == "EU-727"
    assert order.payment_status is PaymentStatus.PAID
    assert order.status is OrderStatus.READY_TO_SHIP
    assert order.lines[0].unit_price == Decimal("8.405")


def test_a_zero_decimal_currency_keeps_whole_amounts(context):
    """JPY has no minor unit: 4800 yen, a 500 yen coupon, and Japanese text intact."""
    order = transformed(hand_written("jpy_zero_decimals"), context)
    assert (order.currency, order.decimals) == ("JPY", 0)
    assert order.totals.total == Decimal(4800)
    assert order.totals_gap == 0
    assert order.lines[0].name == "抹茶セット"
    assert order.payment_category is PaymentCategory.WALLET
    assert order.completed_at == datetime(2026, 5, 3, 9, 12, 44, tzinfo=UTC)


def test_a_three_decimal_currency_keeps_fils(context):
    """KWD has three decimals; a COD order with empty shipping ships to billing."""
    order = transformed(hand_written("kwd_three_decimals"), context)
    assert (order.currency, order.decimals) == ("KWD", 3)
    assert order.totals.total == Decimal("14.125")
    assert order.totals_gap == 0
    assert order.payment_status is PaymentStatus.COLLECT_ON_DELIVERY
    assert order.shipping_address.line1 == "شارع الخليج"


def test_a_partial_refund_of_a_variation(context):
    """GBP order: coupon, tax, a variation line, 16.80 refunded of 47.99."""
    order = transformed(hand_written("partial_refund_variation"), context)
    assert order.totals.refunded == Decimal("16.80")
    assert order.payment_status is PaymentStatus.PARTIALLY_REFUNDED
    assert order.lines[0].variation_id == 203
    assert order.totals_gap == 0
    assert order.shipping_address.phone == "+353 91 000"


def test_an_order_in_the_rest_api_docs_shape_a_guest_paying_by_bank_transfer(context):
    """The shape of the docs' 'Retrieve an order' example (woocommerce-rest-api-docs,
    wp-api-v3/_orders.md): a guest order created via the REST API, `price` as a JSON number,
    one-decimal tax strings, an entity in a variation's name, a line without SKU."""
    order = transformed(hand_written("docs_shape_guest_bank_transfer"), context)
    assert order.customer.woo_customer_id is None
    assert order.payment_category is PaymentCategory.BANK_TRANSFER
    assert (order.status, order.payment_status) == (OrderStatus.READY_TO_SHIP, PaymentStatus.PAID)
    assert order.paid_at == datetime(2026, 4, 14, 13, 41, 23, tzinfo=UTC)
    assert (order.totals.total, order.totals.tax, order.totals_gap) == (
        Decimal("22.98"),
        Decimal("1.08"),
        0,
    )
    mug, jacket = order.lines
    assert (mug.sku, mug.unit_price, mug.variation_id) == ("", Decimal(4), None)
    assert (jacket.name, jacket.variation_id) == ("Field Jacket \u2013 Colour: Olive, Size: L", 64)
    assert order.shipping_address.city == "New York"


@pytest.mark.parametrize(
    ("set_paid", "expected"), [(True, PaymentStatus.PAID), (None, PaymentStatus.AWAITING_PAYMENT)]
)
def test_set_paid_counts_as_paid_when_no_payment_date_came(context, set_paid, expected):
    """An on-hold bank transfer without `date_paid`: paid only when the payload says `set_paid`."""
    payload = hand_written("docs_shape_guest_bank_transfer")
    payload.update(status="on-hold", date_paid=None, date_paid_gmt=None, set_paid=set_paid)
    assert transformed(payload, context).payment_status is expected


def test_a_completed_order_never_marked_paid_with_refunds_in_the_docs_list_shape(context):
    """The shape of the docs' 'List all orders' second example: completed by bank transfer
    with `date_paid` null, refunds listed with negative totals under the old `refund` key."""
    order = transformed(hand_written("docs_shape_completed_unpaid_refunds"), context)
    assert order.status is OrderStatus.COMPLETED
    assert order.paid_at is None
    assert order.completed_at == datetime(2026, 3, 2, 14, 47, 31, tzinfo=UTC)
    assert order.totals.refunded == Decimal("19.50")
    assert order.payment_status is PaymentStatus.PARTIALLY_REFUNDED
    assert (order.customer.first_name, order.billing_address.city) == (
        "Conceição",
        "Florianópolis",
    )
    assert order.shipping_lines[0].method_id == "flat_rate:25"
    assert order.totals_gap == 0


def test_the_quirks_of_older_and_plugin_laden_stores_are_tolerated(context):
    """Numbers as strings, nulls for text, [] for an empty object, an extension status."""
    order = transformed(hand_written("extension_status_and_quirks"), context)
    assert order.key.source_id == 4410
    assert order.external_order_number == "4410"
    assert order.status is OrderStatus.NEEDS_REVIEW
    assert order.woo_status == "wc-awaiting-shipment"
    assert order.currency == "USD"
    assert order.paid_at is None
    assert order.modified_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert order.shipping_address.line1 == "9 Elm Rd"
    assert order.shipping_address.country == "US"
    assert order.customer.email == "lee@example.com"
    assert order.lines[0].product_id == 0
    assert order.lines[0].unit_price == Decimal("19.50")
    assert order.payment_category is PaymentCategory.NONE


def test_a_rejection_lists_every_problem_with_its_path(context):
    """Bad id, bad amounts, unknown currency and bad dates are all reported at once."""
    payload = hand_written("partial_refund_variation")
    payload.update(id=-5, currency="XYZ", total="12,00", date_modified_gmt="yesterday")
    payload["line_items"][1]["quantity"] = "1.5"
    payload["refunds"][0]["total"] = "lots"
    result = order_from_json(payload, context)
    assert isinstance(result, Rejection)
    assert {problem.path for problem in result.problems} == {
        "id",
        "currency",
        "total",
        "date_modified_gmt",
        "line_items[1].quantity",
        "refunds[0].total",
    }
    assert "'XYZ' is not a currency" in result.summary


def test_structural_problems_are_listed_with_their_paths(context):
    """Values of impossible types are reported for every field, not the first only."""
    result = order_from_json(
        {"id": "x", "billing": 5, "line_items": [{}, {"total": [1]}], "shipping_lines": "none"},
        context,
    )
    assert isinstance(result, Rejection)
    assert {problem.path for problem in result.problems} == {
        "id",
        "billing",
        "line_items[1].total",
        "shipping_lines",
    }


def test_a_currency_only_an_extension_knows_is_accepted_for_its_own_store(context):
    """A store selling in a plugin currency (say USDT) has its orders imported."""
    payload = hand_written("kwd_three_decimals") | {"currency": "USDT"}
    usdt_store = context.__class__(
        context.company_id, context.store_id, context.observed_at, "USDT", 6
    )
    order = transformed(payload, usdt_store)
    assert (order.currency, order.decimals) == ("USDT", 6)
    assert isinstance(order_from_json(payload, context), Rejection)


@pytest.mark.parametrize("payload", [[], "order", 42, None, [{"id": 1}]])
def test_a_payload_that_is_not_an_object_is_rejected(payload, context):
    """Only a JSON object can be an order."""
    result = order_from_json(payload, context)
    assert isinstance(result, Rejection)
    assert "JSON object" in result.summary
