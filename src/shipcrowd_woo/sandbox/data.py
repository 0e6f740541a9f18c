"""Seeded, deterministic catalogue and orders in WooCommerce's REST v3 representation.

Figures add up the way WooCommerce computes them: line subtotals before coupons, totals after,
tax per line, discount_total = subtotals - totals, total = lines + shipping + fees + taxes.
"""

import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")
STATUS_WEIGHTS = (8, 30, 8, 36, 6, 6, 6)
GATEWAYS = {
    "cod": "Cash on delivery",
    "bacs": "Direct bank transfer",
    "cheque": "Check payments",
    "stripe": "Credit Card (Stripe)",
    "ppcp-gateway": "PayPal",
}
FIRST_NAMES = ("José", "Zoë", "Ada", "Søren", "Amélie", "李", "Фёдор", "Nguyễn", "Chloé", "Ola")
LAST_NAMES = ("Müller", "Ångström", "Lovelace", "O'Brien", "雷", "Достоевский", "Văn", "Núñez")
CITIES = (
    ("Springfield", "US", "CA", "90210"),
    ("Köln", "DE", "", "50667"),
    ("Paris", "FR", "", "75001"),
    ("東京都", "JP", "JP13", "100-0001"),
    ("Dublin", "IE", "", "D01"),
    ("São Paulo", "BR", "SP", "01000-000"),
)
FOREIGN_CURRENCIES = {"EUR": 2, "JPY": 0}
SIZES = ("S", "M", "L")


def gmt(moment: datetime) -> str:
    """WooCommerce's date format: seconds, no offset."""
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()


def money(amount: Decimal, decimals: int) -> str:
    """WooCommerce's `wc_format_decimal(…, dp)` rendering."""
    quantum = Decimal(1).scaleb(-decimals)
    return str(amount.quantize(quantum, rounding=ROUND_HALF_UP))


def generate_catalogue(
    rng: random.Random,
    count: int,
    next_id: Callable[[], int],
    now: datetime,
    variable_every: int = 5,
) -> dict[int, dict[str, Any]]:
    """`count` products, every `variable_every`-th of them variable with three sizes (none
    when 0); SKUs are unique."""
    products: dict[int, dict[str, Any]] = {}
    for number in range(count):
        created = gmt(now - timedelta(days=90, minutes=number))
        price = Decimal(rng.randrange(199, 9999)) / 100
        product_id = next_id()
        if variable_every and number % variable_every == variable_every - 1:
            variation_ids = [next_id() for _ in SIZES]
            products[product_id] = {
                "id": product_id,
                "parent_id": 0,
                "type": "variable",
                "name": f"T-shirt {number}",
                "sku": f"TS-{number:05d}",
                "price": str(price),
                "regular_price": "",
                "manage_stock": False,
                "stock_quantity": None,
                "backorders": "no",
                "variations": variation_ids,
                "date_created_gmt": created,
                "date_modified_gmt": created,
            }
            for size, variation_id in zip(SIZES, variation_ids, strict=True):
                products[variation_id] = _stocked(
                    rng, variation_id, "variation", size, f"TS-{number:05d}-{size}", price, created
                ) | {"parent_id": product_id}
        else:
            products[product_id] = _stocked(
                rng,
                product_id,
                "simple",
                f"Widget {number} — ünïcode",
                f"W-{number:05d}",
                price,
                created,
            )
    return products


def _stocked(
    rng: random.Random,
    product_id: int,
    kind: str,
    name: str,
    sku: str,
    price: Decimal,
    created: str,
) -> dict[str, Any]:
    """A simple product or a variation: sold on its own, its stock managed."""
    return {
        "id": product_id,
        "parent_id": 0,
        "type": kind,
        "name": name,
        "sku": sku,
        "price": str(price),
        "regular_price": str(price),
        "manage_stock": True,
        "stock_quantity": rng.randrange(0, 200),
        "backorders": "no",
        "variations": [],
        "date_created_gmt": created,
        "date_modified_gmt": created,
    }


def sellable(products: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Simple products and variations: what an order line can hold."""
    return [p for p in products.values() if p["type"] in ("simple", "variation")]


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


def generate_order(
    rng: random.Random,
    order_id: int,
    items: list[dict[str, Any]],
    products: dict[int, dict[str, Any]],
    store_currency: str,
    store_decimals: int,
    created: datetime,
    next_item_id: Callable[[], int],
) -> dict[str, Any]:
    """One order in WooCommerce's core shape (without the decorations the API adds)."""
    currency, decimals = store_currency, store_decimals
    if rng.random() < 0.06:
        currency, decimals = rng.choice(sorted(FOREIGN_CURRENCIES.items()))
    scale = Decimal(100) if decimals == 0 and store_decimals else Decimal(1)
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    gateway = rng.choice(sorted(GATEWAYS))
    tax_rate = rng.choice((Decimal(0), Decimal(0), Decimal("0.1"), Decimal("0.2")))
    coupon = rng.random() < 0.2
    lines = []
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        product = rng.choice(items)
        quantity = rng.randrange(1, 5)
        price = Decimal(product["price"]) * scale
        subtotal = Decimal(money(price * quantity, decimals))
        total = Decimal(money(subtotal * Decimal("0.9"), decimals)) if coupon else subtotal
        parent = products.get(product["parent_id"]) if product["parent_id"] else None
        lines.append(
            {
                "id": next_item_id(),
                "name": product["name"]
                if parent is None
                else f"{parent['name']} - {product['name']}",
                "product_id": parent["id"] if parent else product["id"],
                "variation_id": product["id"] if parent else 0,
                "quantity": quantity,
                "tax_class": "",
                "subtotal": money(subtotal, decimals),
                "subtotal_tax": money(subtotal * tax_rate, decimals),
                "total": money(total, decimals),
                "total_tax": money(total * tax_rate, decimals),
                "taxes": [],
                "meta_data": [],
                "sku": product["sku"],
                "price": float(Decimal(money(total / quantity, decimals))),
                "image": {"id": "", "src": ""},
                "parent_name": parent["name"] if parent else None,
            }
        )
    shipping = Decimal(5 if decimals else 500) * (scale if decimals else 1)
    shipping_tax = Decimal(money(shipping * tax_rate, decimals))
    fees = [Decimal(money(Decimal("2.50") * scale, decimals))] if rng.random() < 0.1 else []
    subtotal_sum = _sum(Decimal(line["subtotal"]) for line in lines)
    total_sum = _sum(Decimal(line["total"]) for line in lines)
    cart_tax = _sum(Decimal(line["total_tax"]) for line in lines)
    discount = subtotal_sum - total_sum
    discount_tax = _sum(Decimal(line["subtotal_tax"]) for line in lines) - cart_tax
    grand_total = total_sum + shipping + _sum(fees) + cart_tax + shipping_tax
    guest = rng.random() < 0.25
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, country, state, postcode = rng.choice(CITIES)
    billing = {
        "first_name": first,
        "last_name": last,
        "company": "",
        "address_1": f"{order_id % 997} Main St",
        "address_2": "",
        "city": city,
        "state": state,
        "postcode": postcode,
        "country": country,
        "email": f"buyer{order_id}@example.com",
        "phone": f"555-{order_id % 10000:04d}",
    }
    shipping_address = {key: "" for key in billing if key != "email"}
    if not guest:
        shipping_address = {key: value for key, value in billing.items() if key != "email"}
    paid = status in ("completed", "refunded") or (status == "processing" and gateway != "cod")
    refunds = []
    if status == "refunded":
        refunds = [
            {
                "id": next_item_id(),
                "reason": "Order fully refunded.",
                "total": "-" + money(grand_total, decimals),
            }
        ]
    elif status == "completed" and rng.random() < 0.1:
        refunds = [
            {
                "id": next_item_id(),
                "reason": "damaged",
                "total": "-" + money(min(grand_total, Decimal(1) * scale), decimals),
            }
        ]
    return {
        "id": order_id,
        "parent_id": 0,
        "status": status,
        "currency": currency,
        "prices_include_tax": False,
        "date_created_gmt": gmt(created),
        "date_modified_gmt": gmt(created),
        "discount_total": money(discount, decimals),
        "discount_tax": money(discount_tax, decimals),
        "shipping_total": money(shipping, decimals),
        "shipping_tax": money(shipping_tax, decimals),
        "cart_tax": money(cart_tax, decimals),
        "total": money(grand_total, decimals),
        "total_tax": money(cart_tax + shipping_tax, decimals),
        "customer_id": 0 if guest else 1000 + order_id % 500,
        "billing": billing,
        "shipping": shipping_address,
        "payment_method": gateway,
        "payment_method_title": GATEWAYS[gateway],
        "transaction_id": f"txn_{order_id}" if paid and gateway == "stripe" else "",
        "customer_note": rng.choice(("", "", "leave at door", "Bitte klingeln ✓")),
        "date_paid_gmt": gmt(created + timedelta(seconds=5)) if paid else None,
        "date_completed_gmt": gmt(created + timedelta(days=1)) if status == "completed" else None,
        "number": str(order_id),
        "line_items": lines,
        "shipping_lines": [
            {
                "id": next_item_id(),
                "method_title": "Flat rate",
                "method_id": "flat_rate",
                "instance_id": "",
                "total": money(shipping, decimals),
                "total_tax": money(shipping_tax, decimals),
                "taxes": [],
                "tax_status": "taxable",
                "meta_data": [],
            }
        ],
        "fee_lines": [
            {
                "id": next_item_id(),
                "name": "Gift wrap",
                "tax_class": "",
                "tax_status": "none",
                "amount": "",
                "total": money(fee, decimals),
                "total_tax": money(Decimal(0), decimals),
                "taxes": [],
                "meta_data": [],
            }
            for fee in fees
        ],
        "coupon_lines": [
            {
                "id": next_item_id(),
                "code": "tenoff",
                "discount": money(discount, decimals),
                "discount_tax": money(discount_tax, decimals),
                "meta_data": [],
                "discount_type": "percent",
                "nominal_amount": 10,
                "free_shipping": False,
            }
        ]
        if coupon
        else [],
        "refunds": refunds,
        "tax_lines": [],
    }
