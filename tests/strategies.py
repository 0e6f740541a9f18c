"""Hypothesis strategies: realistic WooCommerce orders, and arbitrary JSON."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from shipcrowd_woo.domain.money import quantize
from shipcrowd_woo.domain.payments import GATEWAY_TABLE
from shipcrowd_woo.domain.statuses import WOO_STATUS_TABLE

CURRENCIES = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KWD": 3, "BHD": 3, "CLP": 0}
TAX_RATES = [Decimal(0), Decimal("0.05"), Decimal("0.1"), Decimal("0.19"), Decimal("0.2")]

names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
statuses = st.sampled_from([*WOO_STATUS_TABLE, "awaiting-shipment", "wc-processing", "PENDING"])
gateways = st.sampled_from([*GATEWAY_TABLE, "stripe_ideal", "my_custom_gateway"])
moments = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


def _text(amount: Decimal, decimals: int) -> str:
    return f"{quantize(amount, decimals):.{decimals}f}"


def _gmt(moment: datetime) -> str:
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


@st.composite
def addresses(draw: st.DrawFn, *, blank: bool = False) -> dict[str, str]:
    """A billing or shipping address; `blank` gives the all-empty one of guest checkouts."""
    keys = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state")
    if blank:
        return dict.fromkeys((*keys, "postcode", "country", "phone"), "")
    address = {key: draw(names) for key in keys}
    address["postcode"] = draw(st.from_regex(r"[0-9A-Z -]{3,8}", fullmatch=True))
    address["country"] = draw(st.sampled_from(["US", "DE", "JP", "KW", "IN", "BR"]))
    address["phone"] = draw(st.from_regex(r"\+?[0-9 -]{0,15}", fullmatch=True))
    return address


@st.composite
def woo_orders(draw: st.DrawFn) -> dict[str, Any]:
    """A WooCommerce order whose figures add up the way WooCommerce computes them."""
    currency, decimals = draw(st.sampled_from(sorted(CURRENCIES.items())))
    unit = Decimal(1).scaleb(-decimals)
    rate = draw(st.sampled_from(TAX_RATES))

    def money(low: int, high: int) -> Decimal:
        return draw(st.integers(low, high)) * unit

    line_items = []
    for index in range(draw(st.integers(1, 5))):
        quantity = draw(st.integers(1, 20))
        price = money(1, 10 ** (decimals + 4))
        subtotal = price * quantity
        discount = draw(st.integers(0, int(subtotal / unit))) * unit if draw(st.booleans()) else 0
        total = subtotal - discount
        variation = draw(st.one_of(st.just(0), st.integers(1, 10**6)))
        line_items.append(
            {
                "id": index + 1,
                "name": draw(names),
                "product_id": draw(st.integers(1, 10**6)),
                "variation_id": variation,
                "quantity": quantity,
                "sku": draw(
                    st.one_of(st.just(""), st.from_regex(r"[A-Z0-9-]{1,12}", fullmatch=True))
                ),
                "price": price,
                "subtotal": _text(subtotal, decimals),
                "subtotal_tax": _text(subtotal * rate, decimals),
                "total": _text(total, decimals),
                "total_tax": _text(total * rate, decimals),
                "meta_data": [],
            }
        )
    shipping_lines = [
        {
            "id": 100 + i,
            "method_id": "flat_rate",
            "method_title": draw(names),
            "total": _text(cost := money(0, 10 ** (decimals + 2)), decimals),
            "total_tax": _text(cost * rate, decimals),
        }
        for i in range(draw(st.integers(0, 2)))
    ]
    fee_lines = [
        {
            "id": 200 + i,
            "name": draw(names),
            "total": _text(fee := money(-(10 ** (decimals + 1)), 10 ** (decimals + 2)), decimals),
            "total_tax": _text(fee * rate if fee > 0 else Decimal(0), decimals),
        }
        for i in range(draw(st.integers(0, 2)))
    ]

    def line_sum(lines: list[dict[str, Any]], key: str) -> Decimal:
        return sum((Decimal(line[key]) for line in lines), Decimal(0))

    discount_total = line_sum(line_items, "subtotal") - line_sum(line_items, "total")
    discount_tax = line_sum(line_items, "subtotal_tax") - line_sum(line_items, "total_tax")
    cart_tax = line_sum(line_items, "total_tax") + line_sum(fee_lines, "total_tax")
    shipping_tax = line_sum(shipping_lines, "total_tax")
    total = (
        line_sum(line_items, "total")
        + line_sum(shipping_lines, "total")
        + line_sum(fee_lines, "total")
        + cart_tax
        + shipping_tax
    )
    refunds = (
        [
            {
                "id": 300 + i,
                "reason": draw(names),
                "total": "-" + _text(money(1, max(1, int(total / unit))), decimals),
            }
            for i in range(draw(st.integers(0, 2)))
        ]
        if total > 0
        else []
    )
    created = draw(moments)
    modified = created + draw(st.timedeltas(timedelta(0), timedelta(days=60)))
    paid = draw(st.one_of(st.none(), st.just(created + timedelta(seconds=5))))
    billing = draw(addresses())
    billing["email"] = draw(st.emails())
    order_id = draw(st.integers(1, 2**40))
    return {
        "id": order_id,
        "parent_id": 0,
        "number": draw(
            st.one_of(st.just(str(order_id)), st.from_regex(r"[A-Z]{2}-[0-9]{1,8}", fullmatch=True))
        ),
        "status": draw(statuses),
        "currency": currency,
        "prices_include_tax": draw(st.booleans()),
        "customer_id": draw(st.one_of(st.just(0), st.integers(1, 10**6))),
        "customer_note": draw(names),
        "date_created_gmt": _gmt(created),
        "date_modified_gmt": _gmt(modified),
        "date_paid_gmt": None if paid is None else _gmt(paid),
        "date_completed_gmt": None,
        "discount_total": _text(discount_total, decimals),
        "discount_tax": _text(discount_tax, decimals),
        "shipping_total": _text(line_sum(shipping_lines, "total"), decimals),
        "shipping_tax": _text(shipping_tax, decimals),
        "cart_tax": _text(cart_tax, decimals),
        "total": _text(total, decimals),
        "total_tax": _text(cart_tax + shipping_tax, decimals),
        "billing": billing,
        "shipping": draw(st.one_of(addresses(), addresses(blank=True))),
        "payment_method": draw(gateways),
        "payment_method_title": draw(names),
        "transaction_id": "",
        "line_items": line_items,
        "shipping_lines": shipping_lines,
        "fee_lines": fee_lines,
        "coupon_lines": [],
        "refunds": refunds,
        "meta_data": [],
        "_links": {},
    }


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def mangled_woo_orders(draw: st.DrawFn) -> Any:
    """A realistic order with some fields, top-level or nested, replaced by arbitrary JSON."""
    order: Any = draw(woo_orders())
    for _ in range(draw(st.integers(1, 4))):
        target = order
        key = draw(st.sampled_from(sorted(target)))
        while isinstance(target[key], dict | list) and target[key] and draw(st.booleans()):
            target = target[key]
            key = draw(
                st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target)))
            )
        target[key] = draw(json_values)
    return order
