"""Amounts are parsed from WooCommerce's strings into exact Decimals."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.money import MoneyFormatError, canonical_text, parse_amount, quantize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("36.26", Decimal("36.26")),
        ("-1.00", Decimal("-1.00")),
        ("3.2", Decimal("3.2")),
        ("1500", Decimal(1500)),
        ("12.625", Decimal("12.625")),
        (" 7 ", Decimal(7)),
        (".5", Decimal("0.5")),
        ("1e-05", Decimal("0.00001")),
        ("-0.00", Decimal(0)),
    ],
)
def test_amounts_woocommerce_writes_are_parsed_exactly(raw, expected):
    """Every spelling WooCommerce (or a JSON number) uses gives the exact amount."""
    assert parse_amount(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1,50", "NaN", "Infinity", "1.2.3", "--1", "1e999", "$5"])
def test_text_that_is_not_an_amount_is_refused(raw):
    """Commas, currency signs, NaN and absurd exponents are errors, not zero."""
    with pytest.raises(MoneyFormatError):
        parse_amount(raw)


def test_missing_amounts_are_zero_unless_required():
    """A missing optional amount is zero; a missing required one is an error."""
    assert parse_amount(None) == 0
    assert parse_amount("") == 0
    with pytest.raises(MoneyFormatError, match="missing"):
        parse_amount("", missing=None)


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=3))
def test_an_amount_written_as_text_parses_back_to_itself(amount):
    """Parsing what WooCommerce would write returns the same amount."""
    assert parse_amount(f"{amount:f}") == amount


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, max_value=10**9, min_value=-(10**9)
    )
)
def test_equal_amounts_have_one_canonical_spelling(amount):
    """3.2 and 3.20 are spelled alike, so fingerprints do not depend on trailing zeros."""
    assert canonical_text(amount) == canonical_text(quantize(amount, 6))
