"""Money as `Decimal`, parsed from the strings WooCommerce sends; never a float."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# WooCommerce formats amounts with wc_format_decimal(): plain digits, optional sign and point.
# JSON numbers (line `price`) may reach us in exponent form, so that is accepted too.
_AMOUNT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
# Far beyond any real order, small enough that arithmetic on it stays cheap and exact.
_LARGEST_EXPONENT = 15
_SMALLEST_EXPONENT = -12

ZERO = Decimal(0)


class MoneyFormatError(ValueError):
    """The text is not an amount WooCommerce could have written."""


# Amounts read before, by their exact text: an order repeats its prices and zeros, and a
# Decimal is immutable, so one may be shared.
_PARSED: dict[str, Decimal] = {}
_PARSED_KEPT = 4096


def parse_amount(raw: str | None, *, missing: Decimal | None = ZERO) -> Decimal:
    """Parse an amount; missing or empty text gives `missing` (an error when that is None)."""
    text = "" if raw is None else raw.strip()
    if not text:
        if missing is None:
            raise MoneyFormatError("is missing")
        return missing
    known = _PARSED.get(text)
    if known is not None:
        return known
    if not _AMOUNT.fullmatch(text):
        raise MoneyFormatError(f"{_shown(text)} is not an amount")
    try:
        amount = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only valid text
        raise MoneyFormatError(f"{_shown(text)} is not an amount") from error
    if amount and not _SMALLEST_EXPONENT <= amount.adjusted() <= _LARGEST_EXPONENT:
        raise MoneyFormatError(f"{_shown(text)} is out of range")
    amount += ZERO  # folds -0 into 0
    if len(_PARSED) >= _PARSED_KEPT:
        _PARSED.clear()
    _PARSED[text] = amount
    return amount


def quantize(amount: Decimal, decimals: int) -> Decimal:
    """Round half up to `decimals` places, as WooCommerce's wc_round() does for display."""
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def canonical_text(amount: Decimal) -> str:
    """A spelling that is equal for equal amounts ("3.2" and "3.20" both give "3.2")."""
    normal = amount.normalize()
    return format(normal if normal else ZERO, "f")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
