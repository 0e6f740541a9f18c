"""Shipcrowd domain objects <-> plain JSON-ready data (Decimal as text, times as ISO 8601)."""

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import cattrs

from shipcrowd_woo.domain.money import canonical_text

T = TypeVar("T")


@functools.cache
def shipcrowd_converter() -> cattrs.Converter:
    """The converter that renders domain objects for APIs, the CLI and logs."""
    converter = cattrs.Converter()
    converter.register_unstructure_hook(Decimal, canonical_text)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_unstructure_hook(bytes, lambda data: f"<{len(data)} bytes>")
    converter.register_structure_hook(Decimal, lambda value, _: Decimal(value))
    converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    return converter


def to_json_data(value: object) -> Any:
    """Render a domain object as dicts, lists, text, numbers and booleans."""
    return shipcrowd_converter().unstructure(value)


def from_json_data(data: Any, type_: type[T]) -> T:
    """Rebuild a domain object from what `to_json_data` rendered."""
    return shipcrowd_converter().structure(data, type_)
