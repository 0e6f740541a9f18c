"""A WooCommerce REST v3 order as received, before any interpretation.

Fields keep WooCommerce's names and its raw spelling: amounts and dates stay text so the
transformation can report exactly what was wrong with them. Everything has a default, because
real stores omit fields (older versions, `_fields` filters, plugins) and add many we ignore.
The schema is WooCommerce's `class-wc-rest-orders-v2-controller.php` (v3 extends it).
"""

import attrs


@attrs.frozen
class WooAddress:
    """A billing or shipping address; only billing has an email."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""


@attrs.frozen
class WooLineItem:
    """One product line; `variation_id` is 0 for simple products."""

    id: int | None = None
    name: str = ""
    product_id: int | None = None
    variation_id: int | None = None
    quantity: str | None = None
    sku: str = ""
    price: str | None = None
    subtotal: str | None = None
    subtotal_tax: str | None = None
    total: str | None = None
    total_tax: str | None = None


@attrs.frozen
class WooShippingLine:
    """One shipping method charged on the order."""

    id: int | None = None
    method_id: str = ""
    method_title: str = ""
    total: str | None = None
    total_tax: str | None = None


@attrs.frozen
class WooFeeLine:
    """A fee (gift wrap, surcharge); negative fees are discounts some plugins add."""

    id: int | None = None
    name: str = ""
    total: str | None = None
    total_tax: str | None = None


@attrs.frozen
class WooCouponLine:
    """A coupon applied to the order."""

    id: int | None = None
    code: str = ""
    discount: str | None = None
    discount_tax: str | None = None


@attrs.frozen
class WooRefund:
    """A refund summary as listed on the order; WooCommerce sends `total` negative."""

    id: int | None = None
    reason: str = ""
    total: str | None = None


@attrs.frozen
class WooOrder:
    """The order resource of `GET /wp-json/wc/v3/orders` and of order webhooks."""

    id: int | None = None
    parent_id: int | None = None
    number: str = ""
    status: str = ""
    currency: str = ""
    prices_include_tax: bool = False
    customer_id: int | None = None
    customer_note: str = ""
    created_via: str = ""
    date_created_gmt: str | None = None
    date_modified_gmt: str | None = None
    date_paid_gmt: str | None = None
    date_completed_gmt: str | None = None
    discount_total: str | None = None
    discount_tax: str | None = None
    shipping_total: str | None = None
    shipping_tax: str | None = None
    cart_tax: str | None = None
    total: str | None = None
    total_tax: str | None = None
    billing: WooAddress = WooAddress()
    shipping: WooAddress = WooAddress()
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    # Only in create requests (POST orders with set_paid=true); honoured when a payload has it.
    set_paid: bool | None = None
    line_items: tuple[WooLineItem, ...] = ()
    shipping_lines: tuple[WooShippingLine, ...] = ()
    fee_lines: tuple[WooFeeLine, ...] = ()
    coupon_lines: tuple[WooCouponLine, ...] = ()
    refunds: tuple[WooRefund, ...] = ()
