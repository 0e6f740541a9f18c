"""The Shipcrowd order we produce from a WooCommerce order."""

from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.money import quantize
from shipcrowd_woo.domain.payments import PaymentCategory, PaymentStatus
from shipcrowd_woo.domain.statuses import OrderStatus

SOURCE_WOOCOMMERCE: Final = "woocommerce"


@attrs.frozen
class OrderKey:
    """What makes an order unique: one WooCommerce order of one store of one company.

    The store is part of the key because two stores of one company number their orders
    independently: order 38 of one store is not order 38 of the other.
    """

    company_id: CompanyId
    store_id: StoreId
    source_id: int
    source: str = SOURCE_WOOCOMMERCE


@attrs.frozen
class Address:
    """A postal address with the name of whoever lives there."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    phone: str = ""

    @property
    def is_blank(self) -> bool:
        """True when nothing a carrier could deliver to is filled in."""
        return not any((self.line1, self.line2, self.city, self.postcode, self.country))


@attrs.frozen
class Customer:
    """Who placed the order; `woo_customer_id` is None for guest checkouts."""

    first_name: str
    last_name: str
    email: str
    phone: str
    woo_customer_id: int | None


@attrs.frozen
class OrderLine:
    """One product line: `subtotal` before coupons, `total` after, both without tax."""

    woo_line_id: int | None
    product_id: int
    variation_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    subtotal_tax: Decimal
    total: Decimal
    total_tax: Decimal


@attrs.frozen
class ShippingLine:
    """One shipping method charged."""

    method_id: str
    title: str
    total: Decimal
    total_tax: Decimal


@attrs.frozen
class FeeLine:
    """One fee charged (negative for plugin discounts)."""

    name: str
    total: Decimal
    total_tax: Decimal


@attrs.frozen
class CouponLine:
    """One coupon used."""

    code: str
    discount: Decimal
    discount_tax: Decimal


@attrs.frozen
class Totals:
    """The order's money as WooCommerce computed it, in the order currency."""

    subtotal: Decimal
    discount: Decimal
    discount_tax: Decimal
    shipping: Decimal
    shipping_tax: Decimal
    fees: Decimal
    cart_tax: Decimal
    tax: Decimal
    total: Decimal
    refunded: Decimal


@attrs.frozen
class Order:
    """A Shipcrowd order imported from WooCommerce.

    `modified_at` is WooCommerce's `date_modified_gmt`; `observed_at` is when we received this
    snapshot from the store; `current_from`, for a snapshot we fetched, a moment after which it
    was the store's current one; `fingerprint` digests every mapped field but those stamps
    (see `versions.py`). Times are UTC.
    """

    key: OrderKey
    external_order_number: str
    status: OrderStatus
    woo_status: str
    currency: str
    decimals: int
    prices_include_tax: bool
    customer: Customer
    shipping_address: Address
    billing_address: Address
    billing_email: str
    lines: tuple[OrderLine, ...]
    shipping_lines: tuple[ShippingLine, ...]
    fees: tuple[FeeLine, ...]
    coupons: tuple[CouponLine, ...]
    totals: Totals
    payment_method: str
    payment_method_title: str
    payment_category: PaymentCategory
    payment_status: PaymentStatus
    transaction_id: str
    customer_note: str
    created_at: datetime
    paid_at: datetime | None
    completed_at: datetime | None
    modified_at: datetime
    observed_at: datetime
    fingerprint: str = ""
    current_from: datetime | None = None
    # Set when the store trashed or permanently deleted the order; the row is kept.
    deleted_at_store: datetime | None = None

    @property
    def totals_gap(self) -> Decimal:
        """Lines + shipping + fees - discount + tax - total, rounded to the store's decimals.

        Zero when WooCommerce's figures add up; a store rounding per line rather than per
        order can leave a cent either way, so this is reported, not enforced.
        """
        t = self.totals
        gap = t.subtotal + t.shipping + t.fees - t.discount + t.tax - t.total
        return quantize(gap, self.decimals)

    @property
    def is_cash_on_delivery(self) -> bool:
        """True when the carrier collects the money at the door."""
        return self.payment_category is PaymentCategory.CASH_ON_DELIVERY
