"""WooCommerce order -> Shipcrowd order, or a Rejection listing every problem. Total: no input
makes it raise."""

import html
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import attrs

from shipcrowd_woo.domain.currencies import CURRENCY_DECIMALS, decimals_of
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.money import ZERO, MoneyFormatError, parse_amount, quantize
from shipcrowd_woo.domain.order import (
    Address,
    CouponLine,
    Customer,
    FeeLine,
    Order,
    OrderKey,
    OrderLine,
    ShippingLine,
    Totals,
)
from shipcrowd_woo.domain.payments import derive_payment_status, detect_payment_category
from shipcrowd_woo.domain.rejections import Problem, Rejection
from shipcrowd_woo.domain.statuses import OrderStatus, map_order_status
from shipcrowd_woo.domain.versions import with_fingerprint
from shipcrowd_woo.domain.woo_order import (
    WooAddress,
    WooFeeLine,
    WooLineItem,
    WooOrder,
    WooShippingLine,
)

T = TypeVar("T")

# Quantities beyond this are typos or attacks, not parcels.
MAX_QUANTITY = 1_000_000
# WooCommerce dates before this are "0000-00-00" style placeholders.
_EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)


def _is_aware(_: object, attribute: "attrs.Attribute[datetime]", value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{attribute.name} must carry a time zone")


@attrs.frozen
class TransformContext:
    """What the transformation needs to know beyond the payload itself."""

    company_id: CompanyId
    store_id: StoreId
    observed_at: datetime = attrs.field(validator=_is_aware)
    # The store's configured currency and decimal places (system_status settings); the currency
    # is accepted even when an extension invented it.
    store_currency: str | None = None
    store_decimals: int | None = None
    custom_statuses: Mapping[str, OrderStatus] = attrs.field(factory=dict, hash=False)
    # For a snapshot we fetched: when its request was sent, less the clock tolerance (see
    # versions.py); None for a webhook delivery.
    current_from: datetime | None = attrs.field(
        default=None, validator=attrs.validators.optional(_is_aware)
    )


def transform_order(woo: WooOrder, context: TransformContext) -> Order | Rejection:
    """Turn a WooCommerce order into a Shipcrowd order, or say everything that is wrong."""
    check = _Checker()
    source_id = check.positive_id("id", woo.id)
    currency = check.field("currency", lambda: _currency(woo.currency, context))
    decimals = _decimals(currency, context)
    created_at = check.field("date_created_gmt", lambda: _gmt(woo.date_created_gmt))
    modified_at = check.field("date_modified_gmt", lambda: _gmt(woo.date_modified_gmt))
    paid_at = check.field("date_paid_gmt", lambda: _optional_gmt(woo.date_paid_gmt))
    completed_at = check.field("date_completed_gmt", lambda: _optional_gmt(woo.date_completed_gmt))
    lines = tuple(
        line
        for index, item in enumerate(woo.line_items)
        if (line := _line(check, f"line_items[{index}]", item, decimals)) is not None
    )
    shipping_lines = tuple(
        ShippingLine(
            item.method_id.strip(),
            _display_text(item.method_title),
            *_charged(check, f"shipping_lines[{index}]", item),
        )
        for index, item in enumerate(woo.shipping_lines)
    )
    fees = tuple(
        FeeLine(_display_text(item.name), *_charged(check, f"fee_lines[{index}]", item))
        for index, item in enumerate(woo.fee_lines)
    )
    coupons = tuple(
        CouponLine(
            code=item.code.strip(),
            discount=check.money(f"coupon_lines[{index}].discount", item.discount),
            discount_tax=check.money(f"coupon_lines[{index}].discount_tax", item.discount_tax),
        )
        for index, item in enumerate(woo.coupon_lines)
    )
    refunded = sum(
        (
            abs(check.money(f"refunds[{index}].total", item.total))
            for index, item in enumerate(woo.refunds)
        ),
        ZERO,
    )
    totals = Totals(
        subtotal=sum((line.subtotal for line in lines), ZERO),
        discount=check.money("discount_total", woo.discount_total),
        discount_tax=check.money("discount_tax", woo.discount_tax),
        shipping=check.money("shipping_total", woo.shipping_total),
        shipping_tax=check.money("shipping_tax", woo.shipping_tax),
        fees=sum((fee.total for fee in fees), ZERO),
        cart_tax=check.money("cart_tax", woo.cart_tax),
        tax=check.money("total_tax", woo.total_tax),
        total=check.money("total", woo.total, required=True),
        refunded=refunded,
    )
    if not woo.status.strip():
        check.problem("status", "is missing")

    if (
        check.problems
        or source_id is None
        or currency is None
        or created_at is None
        or modified_at is None
    ):
        return Rejection(tuple(check.problems), source_id=woo.id)

    category = detect_payment_category(woo.payment_method)
    shipping_address = _address(woo.shipping)
    billing_address = _address(woo.billing)
    order = Order(
        key=OrderKey(context.company_id, context.store_id, source_id),
        external_order_number=woo.number.strip() or str(source_id),
        status=map_order_status(woo.status, context.custom_statuses),
        woo_status=woo.status.strip(),
        currency=currency,
        decimals=decimals,
        prices_include_tax=woo.prices_include_tax,
        customer=_customer(woo),
        shipping_address=billing_address if shipping_address.is_blank else shipping_address,
        billing_address=billing_address,
        billing_email=woo.billing.email.strip(),
        lines=lines,
        shipping_lines=shipping_lines,
        fees=fees,
        coupons=coupons,
        totals=totals,
        payment_method=woo.payment_method.strip(),
        payment_method_title=woo.payment_method_title.strip(),
        payment_category=category,
        payment_status=derive_payment_status(
            woo_status=woo.status,
            category=category,
            paid=paid_at is not None or bool(woo.set_paid),
            refunded=totals.refunded,
            total=totals.total,
        ),
        transaction_id=woo.transaction_id.strip(),
        customer_note=woo.customer_note,
        created_at=created_at,
        paid_at=paid_at,
        completed_at=completed_at,
        modified_at=modified_at,
        observed_at=context.observed_at.astimezone(UTC),
        current_from=None if context.current_from is None else context.current_from.astimezone(UTC),
    )
    return with_fingerprint(order)


class _Checker:
    """Collects problems while parsing goes on, so a rejection lists all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def field(self, path: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except ValueError as error:
            self.problem(path, str(error))
            return None

    def money(self, path: str, raw: str | None, *, required: bool = False) -> Decimal:
        try:
            return parse_amount(raw, missing=None if required else ZERO)
        except MoneyFormatError as error:
            self.problem(path, str(error))
            return ZERO

    def positive_id(self, path: str, raw: int | None) -> int | None:
        if raw is None:
            self.problem(path, "is missing")
            return None
        if raw <= 0:
            self.problem(path, f"{raw} is not a positive id")
            return None
        return raw

    def optional_id(self, path: str, raw: int | None) -> int | None:
        if raw is None or raw == 0:
            return None
        if raw < 0:
            self.problem(path, f"{raw} is not a valid id")
            return None
        return raw


def _line(check: _Checker, path: str, item: WooLineItem, decimals: int) -> OrderLine | None:
    problems_before = len(check.problems)
    product_id = check.optional_id(f"{path}.product_id", item.product_id)
    variation_id = check.optional_id(f"{path}.variation_id", item.variation_id)
    quantity = check.field(f"{path}.quantity", lambda: _quantity(item.quantity))
    subtotal = check.money(f"{path}.subtotal", item.subtotal)
    total = check.money(f"{path}.total", item.total)
    line_tax = check.money(f"{path}.total_tax", item.total_tax)
    subtotal_tax = check.money(f"{path}.subtotal_tax", item.subtotal_tax)
    price = check.money(f"{path}.price", item.price, required=False)
    if len(check.problems) > problems_before or quantity is None:
        return None
    if item.price is None or not item.price.strip():
        # The REST `price` is the line total over the quantity; derive it when a store omits it.
        price = quantize(total / quantity, decimals) if quantity else ZERO
    return OrderLine(
        woo_line_id=item.id,
        # A line whose product was deleted from the catalogue keeps product_id 0.
        product_id=product_id or 0,
        variation_id=variation_id,
        sku=item.sku.strip(),
        name=_display_text(item.name),
        quantity=quantity,
        unit_price=price,
        subtotal=subtotal,
        subtotal_tax=subtotal_tax,
        total=total,
        total_tax=line_tax,
    )


def _charged(
    check: _Checker, path: str, item: WooShippingLine | WooFeeLine
) -> tuple[Decimal, Decimal]:
    """A shipping line's or fee's total and its tax, each checked under the item's path."""
    return (
        check.money(f"{path}.total", item.total),
        check.money(f"{path}.total_tax", item.total_tax),
    )


def _display_text(raw: str) -> str:
    # WooCommerce sends product and method names through wptexturize/esc_html, so they arrive
    # with entities ("Ship Your Idea &ndash; Black"); a packing slip wants the characters.
    return html.unescape(raw).strip()


def _quantity(raw: str | None) -> int:
    amount = parse_amount(raw, missing=None)
    if amount != amount.to_integral_value():
        raise ValueError(f"{raw!r} is not a whole number")
    quantity = int(amount)
    if quantity < 0:
        raise ValueError(f"{quantity} is negative")
    if quantity > MAX_QUANTITY:
        raise ValueError(f"{quantity} exceeds {MAX_QUANTITY}")
    return quantity


def _currency(raw: str, context: TransformContext) -> str:
    code = raw.strip().upper()
    if not code:
        raise ValueError("is missing")
    store_currency = (context.store_currency or "").strip().upper()
    if code not in CURRENCY_DECIMALS and code != store_currency:
        raise ValueError(f"{code[:12]!r} is not a currency this store can sell in")
    return code


def _decimals(currency: str | None, context: TransformContext) -> int:
    store_currency = (context.store_currency or "").strip().upper()
    if currency == store_currency:
        return decimals_of(currency, context.store_decimals)
    return decimals_of(currency or "")


def _gmt(raw: str | None) -> datetime:
    if raw is None or not raw.strip():
        raise ValueError("is missing")
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text)
        # WooCommerce's *_gmt fields carry no offset: they are UTC by definition.
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{text[:40]!r} is not an ISO 8601 date") from None
    if moment < _EARLIEST:
        raise ValueError(f"{text[:40]!r} is not a real date")
    return moment


def _optional_gmt(raw: str | None) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    return _gmt(raw)


def gmt_or_none(raw: str | None) -> datetime | None:
    """A WooCommerce `*_gmt` time in UTC; None when it is missing or no real date (total:
    an offset that moves year 1 out of range is no date either)."""
    try:
        return _optional_gmt(raw)
    except ValueError:
        return None


def _address(woo: WooAddress) -> Address:
    return Address(
        first_name=woo.first_name.strip(),
        last_name=woo.last_name.strip(),
        company=woo.company.strip(),
        line1=woo.address_1.strip(),
        line2=woo.address_2.strip(),
        city=woo.city.strip(),
        state=woo.state.strip(),
        postcode=woo.postcode.strip(),
        country=woo.country.strip().upper(),
        phone=woo.phone.strip(),
    )


def _customer(woo: WooOrder) -> Customer:
    named = woo.billing if (woo.billing.first_name or woo.billing.last_name) else woo.shipping
    return Customer(
        first_name=named.first_name.strip(),
        last_name=named.last_name.strip(),
        email=woo.billing.email.strip(),
        phone=(woo.billing.phone or woo.shipping.phone).strip(),
        woo_customer_id=woo.customer_id if woo.customer_id and woo.customer_id > 0 else None,
    )
