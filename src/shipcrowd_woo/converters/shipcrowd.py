"""Shipcrowd domain objects -> plain JSON-ready data (Decimal as text, times as ISO 8601 UTC)."""

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

import cattrs

from shipcrowd_woo.domain.money import canonical_text


@functools.cache
def shipcrowd_converter() -> cattrs.Converter:
    """The converter that renders domain objects for APIs, the CLI and logs."""
    converter = cattrs.Converter()
    converter.register_unstructure_hook(Decimal, canonical_text)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_unstructure_hook(bytes, lambda data: f"<{len(data)} bytes>")
    return converter


def to_json_data(value: object) -> Any:
    """Render a domain object as dicts, lists, text, numbers and booleans."""
    return shipcrowd_converter().unstructure(value)
