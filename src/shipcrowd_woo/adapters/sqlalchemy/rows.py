"""Rows <-> domain objects, declared once per aggregate.

A table whose columns carry its attrs class's field names converts both ways from the class
itself: enums by their value, tuples as lists, mappings as dicts, everything else as it is.
What does not follow that rule is declared beside the shape: a column named otherwise, a value
stored in another form (`Stored`), an object spread over columns of the same row by a shape of
its own (`Nested`), and columns derived from the object (`derived`).
"""

import enum
import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs
from attrs import AttrsInstance
from sqlalchemy import RowMapping

from shipcrowd_woo.domain.secrets import EncryptedSecret

T = TypeVar("T", bound=AttrsInstance)


def _same(value: Any) -> Any:
    return value


@attrs.frozen
class Stored:
    """How one field is kept: under `column`, through `to_row` and back through `from_row`."""

    to_row: Callable[[Any], Any] = _same
    from_row: Callable[[Any], Any] = _same
    column: str | None = None


class Nested:
    """A field whose object is spread over columns of the same row, as `shape` declares."""

    def __init__(self, shape: "RowShape[Any]") -> None:
        self.shape = shape


def sealed(prefix: str) -> Nested:
    """A sealed secret kept as `{prefix}_key_id` and `{prefix}_sealed`."""
    return Nested(
        RowShape(
            EncryptedSecret,
            {
                "key_id": Stored(column=f"{prefix}_key_id"),
                "ciphertext": Stored(column=f"{prefix}_sealed"),
            },
        )
    )


def _by_type(kind: Any) -> Stored:
    origin = typing.get_origin(kind)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return Stored(lambda value: value.value, kind)
    if origin is tuple:
        return Stored(list, tuple)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return Stored(dict, _same)
    return Stored()


class RowShape(Generic[T]):
    """The conversions of one attrs class to its table's rows and back."""

    def __init__(
        self,
        cls: type[T],
        stored: Mapping[str, Stored | Nested] | None = None,
        derived: Callable[[T], dict[str, Any]] | None = None,
    ) -> None:
        attrs.resolve_types(cls)
        declared = stored or {}
        self._cls = cls
        self._fields = tuple(
            (field.name, declared.get(field.name) or _by_type(field.type))
            for field in attrs.fields(cls)
        )
        self._derived = derived

    def values(self, value: T) -> dict[str, Any]:
        """The row of `value`: every field under its column, and the derived columns."""
        row: dict[str, Any] = {}
        for name, stored in self._fields:
            if isinstance(stored, Nested):
                row.update(stored.shape.values(getattr(value, name)))
            else:
                row[stored.column or name] = stored.to_row(getattr(value, name))
        if self._derived is not None:
            row.update(self._derived(value))
        return row

    def build(self, row: RowMapping) -> T:
        """The object a row holds."""
        return self._cls(
            **{
                name: stored.shape.build(row)
                if isinstance(stored, Nested)
                else stored.from_row(row[stored.column or name])
                for name, stored in self._fields
            }
        )
