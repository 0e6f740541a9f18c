"""Rows <-> domain objects, declared once per aggregate.

A table whose columns carry its attrs class's field names converts both ways from the class
itself: enums by their value, tuples as lists, mappings as dicts, everything else as it is.
What does not follow that rule is declared beside the shape: a column named otherwise, a value
stored in another form (`Stored`), an object spread over columns of the same row by a shape of
its own (`Nested`), a field kept as one JSON document (`DOCUMENT`), a field kept in a table of
its own (`APART`), and columns derived from the object (`derived`).
"""

import enum
import functools
import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs
from attrs import AttrsInstance

from shipcrowd_woo.converters.shipcrowd import from_json_data, to_json_data
from shipcrowd_woo.domain.availability import StockLimits, stock_limits
from shipcrowd_woo.domain.generated import bound, compiled
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


@attrs.frozen
class Nested:
    """A field whose object is spread over columns of the same row, as `shape` declares."""

    shape: "RowShape[Any]"


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


def stock_limits_kept(prefix: str) -> Nested:
    """Stock limits kept as `{prefix}_buffer` (as a person spells it: "5", "10%"),
    `{prefix}_floor` and `{prefix}_maximum`, each NULL when unset."""
    return Nested(
        RowShape(
            StockLimits,
            {
                "buffer": Stored(
                    lambda buffer: None if buffer is None else buffer.spelled(),
                    lambda text: None if text is None else stock_limits(buffer=text).buffer,
                    f"{prefix}_buffer",
                ),
                "floor": Stored(column=f"{prefix}_floor"),
                "maximum": Stored(column=f"{prefix}_maximum"),
            },
        )
    )


class Document:
    """A field kept as one JSON document in its column, rebuilt as the field's own type."""


DOCUMENT = Document()


def _as_document(kind: Any) -> Stored:
    return Stored(to_json_data, functools.partial(from_json_data, type_=kind))


class KeptApart:
    """A field kept in a table of its own (an order's lines): no column of the row;
    `build` is given it by name."""


APART = KeptApart()


class RowShape(Generic[T]):
    """The conversions of one attrs class to its table's rows and back.

    Both directions are generated once per shape, as attrs generates its methods: a dict
    display of direct attribute reads, and one constructor call. A loop over the fields
    cost an imported page a sixth of its row-making (py-spy)."""

    def __init__(
        self,
        cls: type[T],
        stored: Mapping[str, Stored | Nested | KeptApart | Document] | None = None,
        derived: Callable[[T], dict[str, Any]] | None = None,
    ) -> None:
        attrs.resolve_types(cls)
        declared = stored or {}
        self._cls = cls
        self._fields = tuple(
            (field.name, _declared(declared.get(field.name), field.type))
            for field in attrs.fields(cls)
        )
        self._derived = derived
        scope: dict[str, Any] = {"cls": cls}
        self.values: Callable[[T], dict[str, Any]] = compiled(
            f"def values(value):\n    return {{{', '.join(self._items('value', scope))}}}\n",
            f"values of {cls.__qualname__}",
            scope,
        )
        arguments = ", ".join(self._arguments(scope))
        self.build: Callable[..., T] = compiled(
            f"def build(row, **apart):\n    return cls({arguments})\n",
            f"build of {cls.__qualname__}",
            scope,
        )

    def _items(self, operand: str, scope: dict[str, Any]) -> list[str]:
        """The dict display items of the row of `operand`: a column each, nested shapes'
        columns spread in, the derived columns last."""
        items = []
        for name, stored in self._fields:
            if isinstance(stored, Nested):
                items += stored.shape._items(f"{operand}.{name}", scope)
            elif isinstance(stored, Stored):
                column = repr(stored.column or name)
                items.append(f"{column}: {_applied(stored.to_row, f'{operand}.{name}', scope)}")
        if self._derived is not None:
            items.append(f"**{bound(scope, self._derived)}({operand})")
        return items

    def _arguments(self, scope: dict[str, Any]) -> list[str]:
        arguments = []
        for name, stored in self._fields:
            if isinstance(stored, Nested):
                value = f"{bound(scope, stored.shape.build)}(row)"
            elif isinstance(stored, KeptApart):
                value = f"apart[{name!r}]"
            else:
                value = _applied(stored.from_row, f"row[{(stored.column or name)!r}]", scope)
            arguments.append(f"{name}={value}")
        return arguments


def _declared(declared: Stored | Nested | KeptApart | Document | None, kind: Any) -> Any:
    if declared is None:
        return _by_type(kind)
    return _as_document(kind) if isinstance(declared, Document) else declared


def _applied(convert: Callable[[Any], Any], operand: str, scope: dict[str, Any]) -> str:
    return operand if convert is _same else f"{bound(scope, convert)}({operand})"
