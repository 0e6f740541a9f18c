"""Storable text: whatever JSON admits comes out encodable as UTF-8 and free of NULs."""

import json

from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.text import storable, storable_json

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
