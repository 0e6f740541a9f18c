"""Text as it can be stored.

JSON admits lone surrogates ("\\ud800") and NULs; UTF-8 encodes neither (the database driver
fails on the first) and PostgreSQL's text and jsonb refuse the second. WooCommerce's own
json_encode never sends them, so where one arrives in a store's JSON it is damage to tolerate.
"""

from typing import Any


def storable(text: str) -> str:
    """The text with lone surrogates replaced and NULs removed."""
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
