"""Payment method detection and payment status derivation: one test per row."""

from decimal import Decimal

import pytest

from shipcrowd_woo.domain.payments import (
    GATEWAY_PREFIXES,
    GATEWAY_TABLE,
    PaymentCategory,
    PaymentStatus,
    derive_payment_status,
    detect_payment_category,
)

C = PaymentCategory
EXPECTED_GATEWAYS = {
    "": C.NONE,
    "cod": C.CASH_ON_DELIVERY,
    "bacs": C.BANK_TRANSFER,
    "cheque": C.CHEQUE,
    "stripe": C.CARD,
    "stripe_sepa": C.BANK_TRANSFER,
    "stripe_sepa_debit": C.BANK_TRANSFER,
    "stripe_klarna": C.PAY_LATER,
    "stripe_affirm": C.PAY_LATER,
    "stripe_afterpay_clearpay": C.PAY_LATER,
    "woocommerce_payments": C.CARD,
    "square_credit_card": C.CARD,
    "braintree_credit_card": C.CARD,
    "braintree_paypal": C.WALLET,
    "authorize_net_cim_credit_card": C.CARD,
    "paypal": C.WALLET,
    "ppec_paypal": C.WALLET,
    "ppcp-gateway": C.WALLET,
    "ppcp-credit-card-gateway": C.CARD,
    "amazon_payments_advanced": C.WALLET,
    "klarna_payments": C.PAY_LATER,
    "afterpay": C.PAY_LATER,
    "razorpay": C.CARD,
    "mollie_wc_gateway_creditcard": C.CARD,
    "mollie_wc_gateway_banktransfer": C.BANK_TRANSFER,
}


@pytest.mark.parametrize(("gateway", "expected"), sorted(EXPECTED_GATEWAYS.items()))
def test_each_known_gateway_has_its_category(gateway, expected):
    """Each row of the gateway table classifies as this test expects."""
    assert detect_payment_category(gateway) is expected


def test_the_gateway_table_has_exactly_the_rows_this_test_checks():
    """No gateway row is added or dropped without a test."""
    assert dict(GATEWAY_TABLE) == EXPECTED_GATEWAYS


@pytest.mark.parametrize(
    ("gateway", "expected"),
    [
        ("woocommerce_payments_bancontact", C.CARD),
        ("stripe_ideal", C.CARD),
        ("ppcp-pay-upon-invoice-gateway", C.WALLET),
        ("mollie_wc_gateway_ideal", C.OTHER),
        ("cod_plus", C.CASH_ON_DELIVERY),
    ],
)
def test_each_gateway_family_prefix_classifies_its_members(gateway, expected):
    """Gateway plugins that register one id per method are recognised by prefix."""
    assert detect_payment_category(gateway) is expected


def test_every_prefix_row_is_exercised():
    """The prefix table has the rows the previous test checks."""
    assert [prefix for prefix, _ in GATEWAY_PREFIXES] == [
        "woocommerce_payments_",
        "stripe_",
        "ppcp-",
        "mollie_wc_gateway_",
        "cod_",
    ]


@pytest.mark.parametrize("gateway", ["COD", " cod "])
def test_gateway_ids_are_compared_without_case_or_spaces(gateway):
    """` COD ` is cash on delivery."""
    assert detect_payment_category(gateway) is C.CASH_ON_DELIVERY


def test_an_unknown_gateway_is_other_and_not_cash_on_delivery():
    """Unknown gateways are assumed prepaid: nothing is collected at the door."""
    assert detect_payment_category("acme_pay") is C.OTHER


TEN = Decimal(10)
S = PaymentStatus


@pytest.mark.parametrize(
    ("status", "category", "paid", "refunded", "expected"),
    [
        ("refunded", C.CARD, True, Decimal(0), S.REFUNDED),
        ("completed", C.CARD, True, TEN, S.REFUNDED),
        ("completed", C.CARD, True, Decimal(4), S.PARTIALLY_REFUNDED),
        ("failed", C.CARD, False, Decimal(0), S.FAILED),
        ("cancelled", C.BANK_TRANSFER, False, Decimal(0), S.VOIDED),
        ("cancelled", C.CARD, True, Decimal(0), S.PAID),
        ("on-hold", C.BANK_TRANSFER, True, Decimal(0), S.PAID),
        ("completed", C.CASH_ON_DELIVERY, False, Decimal(0), S.PAID),
        ("pending", C.CASH_ON_DELIVERY, False, Decimal(0), S.AWAITING_PAYMENT),
        ("checkout-draft", C.CARD, False, Decimal(0), S.AWAITING_PAYMENT),
        ("processing", C.CASH_ON_DELIVERY, False, Decimal(0), S.COLLECT_ON_DELIVERY),
        ("on-hold", C.CASH_ON_DELIVERY, False, Decimal(0), S.COLLECT_ON_DELIVERY),
        ("processing", C.CARD, False, Decimal(0), S.PAID),
        ("on-hold", C.BANK_TRANSFER, False, Decimal(0), S.AWAITING_PAYMENT),
        ("awaiting-shipment", C.OTHER, False, Decimal(0), S.AWAITING_PAYMENT),
    ],
)
def test_each_payment_status_rule(status, category, paid, refunded, expected):
    """Each rule of derive_payment_status, in its order, gives its status."""
    result = derive_payment_status(
        woo_status=status, category=category, paid=paid, refunded=refunded, total=TEN
    )
    assert result is expected
