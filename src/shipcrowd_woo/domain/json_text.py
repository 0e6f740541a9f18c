"""JSON as RFC 8259 has it, for documents that arrive from outside.

Python's json.loads is more lenient than the RFC: given bytes it decodes UTF-16 and UTF-32
(RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8), it reads NaN and Infinity
(no JSON numbers at all), and a repeated member name silently replaces the first (§4: names
SHOULD be unique, and parsers differ on which one wins). WooCommerce's wp_json_encode sends none
of these, and neither does a well-behaved API client, so each is refused with its reason.
A leading byte order mark is ignored, as §8.1 allows.
"""

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

BYTE_ORDER_MARK = "\ufeff"


class JsonRefused(ValueError):
    """Why a document is not JSON we take, as words that follow "the body is" (never quoting
    the document)."""


def parse_json(raw: bytes, parse_float: Callable[[str], Any] = float) -> Any:
    """The document's value, or JsonRefused."""
    try:
        text = raw.decode("utf-8").removeprefix(BYTE_ORDER_MARK)
    except UnicodeDecodeError:
        raise JsonRefused("not UTF-8") from None
    try:
        return json.loads(
            text,
            parse_float=parse_float,
            parse_constant=_no_constants,
            object_pairs_hook=_unique_names,
        )
    except JsonRefused:
        raise
    except RecursionError:
        raise JsonRefused("nested too deeply") from None
    except ValueError as error:
        # JSONDecodeError, or an integer past Python's 4,300-digit limit.
        raise JsonRefused(f"not JSON ({_reason(error)})") from None


def parse_json_with_decimals(raw: bytes) -> Any:
    """parse_json with fractional numbers as Decimal (money stays exact)."""
    return parse_json(raw, parse_float=Decimal)


def _no_constants(name: str) -> Any:
    raise JsonRefused(f"not JSON ({name} is not a JSON number)")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise JsonRefused("not JSON we take (a member name repeats in one object)")
    return members


def _reason(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at position {error.pos}"
    return "a number too long to read"
