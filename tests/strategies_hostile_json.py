"""Documents a hostile or broken sender may send where JSON is expected (issue 14, point 4):
nesting past the recursion limit, lone surrogates, numbers too long to read, NaN and
Infinity, repeated member names, other encodings than UTF-8, and bytes that are no text."""

import json

from hypothesis import strategies as st

VALID_OBJECTS = st.dictionaries(
    st.text(max_size=8),
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    max_size=5,
)


@st.composite
def deeply_nested(draw: st.DrawFn) -> bytes:
    # Past the interpreter's recursion limit even where hypothesis raised it (by up to 2,000
    # while a test runs).
    depth = draw(st.integers(min_value=5_000, max_value=30_000))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    return b'{"x": ' + opener * depth + b"1" + closer * depth + b"}"


@st.composite
def with_lone_surrogate(draw: st.DrawFn) -> bytes:
    surrogate = draw(st.integers(min_value=0xD800, max_value=0xDFFF))
    return b'{"sku": "A\\u%04x", "id": 1}' % surrogate


@st.composite
def with_a_huge_number(draw: st.DrawFn) -> bytes:
    digits = draw(st.integers(min_value=4_301, max_value=20_000))
    return b'{"id": ' + b"7" * digits + b"}"


@st.composite
def with_a_constant(draw: st.DrawFn) -> bytes:
    constant = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]))
    return b'{"id": ' + constant + b"}"


@st.composite
def with_a_repeated_name(draw: st.DrawFn) -> bytes:
    name = draw(st.text(min_size=1, max_size=5))
    first, second = draw(st.integers()), draw(st.integers())
    return json.dumps(name).encode().join([b"{", b": %d, " % first, b": %d}" % second])


@st.composite
def in_another_encoding(draw: st.DrawFn) -> bytes:
    document = json.dumps(draw(VALID_OBJECTS) | {"id": 1}, ensure_ascii=False)
    encoding = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"]))
    return document.encode(encoding)


REFUSED_DOCUMENTS = st.one_of(
    deeply_nested(),
    with_a_huge_number(),
    with_a_constant(),
    with_a_repeated_name(),
    in_another_encoding(),
)
HOSTILE_DOCUMENTS = st.one_of(REFUSED_DOCUMENTS, with_lone_surrogate(), st.binary(max_size=200))
