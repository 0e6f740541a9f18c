"""parse_json takes RFC 8259 JSON in UTF-8 and refuses the rest with its reason
(domain/json_text.py; issue 14, point 4)."""

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.json_text import JsonRefused, parse_json
from tests.strategies_hostile_json import (
    HOSTILE_DOCUMENTS,
    REFUSED_DOCUMENTS,
    VALID_OBJECTS,
    with_lone_surrogate,
)


def refusal_of(raw: bytes) -> JsonRefused | None:
    """Parses; the refusal if there was one (any other exception propagates)."""
    try:
        parse_json(raw)
    except JsonRefused as refused:
        return refused
    return None


@given(HOSTILE_DOCUMENTS)
def test_any_bytes_give_a_value_or_a_refusal_and_nothing_else(raw):
    refusal = refusal_of(raw)
    assert refusal is None or str(refusal)


@given(REFUSED_DOCUMENTS)
def test_what_woocommerce_never_sends_is_refused(raw):
    with pytest.raises(JsonRefused):
        parse_json(raw)


@given(VALID_OBJECTS)
def test_json_in_utf8_reads_as_json_loads_reads_it(value):
    raw = json.dumps(value, ensure_ascii=False).encode()
    assert parse_json(raw) == json.loads(raw) == value
    assert parse_json(b"\xef\xbb\xbf" + raw) == value


@given(with_lone_surrogate())
def test_a_lone_surrogate_escape_is_json_and_read(raw):
    """Valid JSON text: what to do with it is the storing code's (domain/text.py)."""
    assert parse_json(raw)["id"] == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"id": 1}'.encode("utf-16"), "not UTF-8"),
        (b'{"id": NaN}', "NaN is not a JSON number"),
        (b'{"id": 1, "id": 2}', "a member name repeats"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"id": ' + b"9" * 5000 + b"}", "a number too long to read"),
        (b"{nope", "not JSON (Expecting property name"),
    ],
)
def test_each_refusal_says_why(raw, reason):
    with pytest.raises(JsonRefused, match=re.escape(reason)):
        parse_json(raw)


# Every refusal is one of these shapes, built from fixed phrases (the json module's messages
# name what was expected, never what was found).
REFUSAL_SHAPES = re.compile(
    r"not UTF-8|nested too deeply|not JSON \(a number too long to read\)"
    r"|not JSON \((NaN|Infinity|-Infinity) is not a JSON number\)"
    r"|not JSON we take \(a member name repeats in one object\)"
    r"|not JSON \([A-Za-z ',:\\]+ at position \d+\)"
)


@given(st.binary(max_size=50) | HOSTILE_DOCUMENTS)
def test_a_refusal_never_quotes_the_document(raw):
    refusal = refusal_of(raw)
    assert refusal is None or REFUSAL_SHAPES.fullmatch(str(refusal)), str(refusal)
