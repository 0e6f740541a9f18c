"""Payment method detection (cash on delivery or prepaid) and payment status derivation."""

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from shipcrowd_woo.domain.statuses import WOO_PAID_STATUSES, normalise_woo_status


class PaymentCategory(enum.Enum):
    """What kind of payment a gateway takes; only CASH_ON_DELIVERY is collected by the carrier."""

    CASH_ON_DELIVERY = "cash_on_delivery"
    BANK_TRANSFER = "bank_transfer"
    CHEQUE = "cheque"
    CARD = "card"
    WALLET = "wallet"
    PAY_LATER = "pay_later"
    NONE = "none"
    OTHER = "other"


# Gateway ids as WooCommerce and the common gateway plugins register them. Add a row to extend.
GATEWAY_TABLE: Final[Mapping[str, PaymentCategory]] = {
    "": PaymentCategory.NONE,
    "cod": PaymentCategory.CASH_ON_DELIVERY,
    "bacs": PaymentCategory.BANK_TRANSFER,
    "cheque": PaymentCategory.CHEQUE,
    "stripe": PaymentCategory.CARD,
    "stripe_sepa": PaymentCategory.BANK_TRANSFER,
    "stripe_sepa_debit": PaymentCategory.BANK_TRANSFER,
    "stripe_klarna": PaymentCategory.PAY_LATER,
    "stripe_affirm": PaymentCategory.PAY_LATER,
    "stripe_afterpay_clearpay": PaymentCategory.PAY_LATER,
    "woocommerce_payments": PaymentCategory.CARD,
    "square_credit_card": PaymentCategory.CARD,
    "braintree_credit_card": PaymentCategory.CARD,
    "braintree_paypal": PaymentCategory.WALLET,
    "authorize_net_cim_credit_card": PaymentCategory.CARD,
    "paypal": PaymentCategory.WALLET,
    "ppec_paypal": PaymentCategory.WALLET,
    "ppcp-gateway": PaymentCategory.WALLET,
    "ppcp-credit-card-gateway": PaymentCategory.CARD,
    "amazon_payments_advanced": PaymentCategory.WALLET,
    "klarna_payments": PaymentCategory.PAY_LATER,
    "afterpay": PaymentCategory.PAY_LATER,
    "razorpay": PaymentCategory.CARD,
    "mollie_wc_gateway_creditcard": PaymentCategory.CARD,
    "mollie_wc_gateway_banktransfer": PaymentCategory.BANK_TRANSFER,
}

# Gateway families whose ids carry a suffix per method; checked in order, after the exact table.
GATEWAY_PREFIXES: Final[tuple[tuple[str, PaymentCategory], ...]] = (
    ("woocommerce_payments_", PaymentCategory.CARD),
    ("stripe_", PaymentCategory.CARD),
    ("ppcp-", PaymentCategory.WALLET),
    ("mollie_wc_gateway_", PaymentCategory.OTHER),
    ("cod_", PaymentCategory.CASH_ON_DELIVERY),
)


def detect_payment_category(gateway_id: str) -> PaymentCategory:
    """Classify a gateway id (`payment_method`); unknown gateways are OTHER (prepaid)."""
    gateway = gateway_id.strip().lower()
    known = GATEWAY_TABLE.get(gateway)
    if known is not None:
        return known
    for prefix, category in GATEWAY_PREFIXES:
        if gateway.startswith(prefix):
            return category
    return PaymentCategory.OTHER


_CHECKOUT_NOT_FINISHED = frozenset({"pending", "checkout-draft", "draft", "auto-draft", "new"})


class PaymentStatus(enum.Enum):
    """Where the money of an order stands."""

    PAID = "paid"
    AWAITING_PAYMENT = "awaiting_payment"
    COLLECT_ON_DELIVERY = "collect_on_delivery"
    FAILED = "failed"
    VOIDED = "voided"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


def derive_payment_status(
    *,
    woo_status: str,
    category: PaymentCategory,
    paid: bool,
    refunded: Decimal,
    total: Decimal,
) -> PaymentStatus:
    """Derive the payment status; `paid` is a `date_paid` on the order or `set_paid` true.

    The rules, first match wins:
      refunded status, or refunds covering the total       -> REFUNDED
      some money refunded                                   -> PARTIALLY_REFUNDED
      failed                                                -> FAILED
      cancelled and never paid                              -> VOIDED
      a payment date, or `completed` (the goods went out)   -> PAID
      checkout not finished (pending, drafts)               -> AWAITING_PAYMENT
      COD not yet completed                                  -> COLLECT_ON_DELIVERY
      processing (a paid status for every non-COD gateway)  -> PAID
      anything else                                         -> AWAITING_PAYMENT
    WooCommerce leaves `date_paid` empty on COD orders until they are completed (seen on a real
    10.0.2 store: processing COD orders have no date_paid, completed ones do).
    """
    status = normalise_woo_status(woo_status)
    if status == "refunded" or (refunded > 0 and refunded >= total):
        return PaymentStatus.REFUNDED
    if refunded > 0:
        return PaymentStatus.PARTIALLY_REFUNDED
    if status == "failed":
        return PaymentStatus.FAILED
    if status == "cancelled" and not paid:
        return PaymentStatus.VOIDED
    if paid or status == "completed":
        return PaymentStatus.PAID
    if status in _CHECKOUT_NOT_FINISHED:
        return PaymentStatus.AWAITING_PAYMENT
    if category is PaymentCategory.CASH_ON_DELIVERY:
        return PaymentStatus.COLLECT_ON_DELIVERY
    if status in WOO_PAID_STATUSES:
        return PaymentStatus.PAID
    return PaymentStatus.AWAITING_PAYMENT
