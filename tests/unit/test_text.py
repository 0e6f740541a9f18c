"""Storable text: whatever JSON admits comes out encodable as UTF-8 and free of NULs."""

import json

from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.text import storable, storable_document, storable_json

# Every code point, lone surrogates (category Cs) and NUL included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | ANY_TEXT,
    lambda inner: st.lists(inner) | st.dictionaries(ANY_TEXT, inner),
)


@given(ANY_TEXT)
def test_storable_text_encodes_has_no_nul_and_is_stable(text):
    stored = storable(text)
    stored.encode("utf-8")
    assert "\x00" not in stored
    assert storable(stored) == stored


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_text_that_was_storable_is_kept_as_it_was(text):
    assert storable(text) == text


@given(JSON_VALUES)
def test_every_string_of_a_json_value_is_made_storable(value):
    stored = storable_json(value)
    json.dumps(stored, ensure_ascii=False).encode("utf-8")
    assert "\\u0000" not in json.dumps(stored)


@given(JSON_VALUES, st.booleans(), st.booleans())
def test_a_document_is_walked_only_when_its_bytes_could_hold_damage(value, ascii_only, pass_raw):
    """Issue 17: the drain spares the walk over every string when the raw bytes hold no
    escape of a NUL or surrogate and no surrogate bytes; the result is the same either way,
    whatever the document and however it was encoded (escaped, raw UTF-8, or with surrogates
    passed through as Python's JSON reader lets them)."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    raw = text.encode("utf-8", "surrogatepass" if pass_raw else "backslashreplace")
    parsed = json.loads(raw)
    assert storable_document(raw, parsed) == storable_json(parsed)
