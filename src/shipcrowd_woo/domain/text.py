"""Text as it can be stored.

JSON admits lone surrogates ("\\ud800") and NULs; UTF-8 encodes neither (the database driver
fails on the first) and PostgreSQL's text and jsonb refuse the second. WooCommerce's own
json_encode never sends them, so where one arrives in a store's JSON it is damage to tolerate.
"""

import re
from typing import Any

# What can put a NUL or a lone surrogate into parsed JSON: an escape of one, or the bytes of
# a surrogate (Python's JSON reader lets them pass). A false alarm (an escaped backslash
# before "u0000") only costs the full walk.
_DAMAGE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]")


def storable(text: str) -> str:
    """The text with lone surrogates replaced and NULs removed."""
    if text.isascii():
        # No surrogate is ASCII; most store text is, and is checked for NULs alone.
        return text.replace("\x00", "") if "\x00" in text else text
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def storable_json(value: Any) -> Any:
    """A parsed JSON value with every string (keys included) made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(key): storable_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    return value


def storable_document(raw: bytes, parsed: Any) -> Any:
    """`parsed` (read from `raw`) made storable: as it is when nothing in `raw` can have
    damaged it, which is every document WooCommerce sends, so the walk over every string
    is spared."""
    return storable_json(parsed) if _DAMAGE.search(raw) else parsed
