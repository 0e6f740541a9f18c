"""JSON Schemas of the request bodies, generated from their attrs classes (requests.py), so
the OpenAPI document cannot drift from what the API structures: a field's type, whether it
is required (it has no default), enum values from the Enum class, nested objects, and the
constraints a field declares in `metadata={"schema": {...}}`. Unknown fields are refused,
as the converter refuses them."""

import enum
import types
import typing
from typing import Any

import attrs

SCHEMA = "schema"
_SIMPLE = {str: "string", int: "integer", bool: "boolean"}


def request_schema(cls: type) -> dict[str, Any]:
    """The schema of a request body class."""
    attrs.resolve_types(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        properties[field.name] = _schema_of(field.type) | dict(field.metadata.get(SCHEMA, {}))
        if field.default is attrs.NOTHING:
            required.append(field.name)
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _schema_of(kind: Any) -> dict[str, Any]:
    if kind in _SIMPLE:
        return {"type": _SIMPLE[kind]}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"type": "string", "enum": [member.value for member in kind]}
    if isinstance(kind, type) and attrs.has(kind):
        return request_schema(kind)
    origin = typing.get_origin(kind)
    arguments = typing.get_args(kind)
    if origin is list:
        return {"type": "array", "items": _schema_of(arguments[0])}
    if origin in (types.UnionType, typing.Union) and type(None) in arguments:
        (present,) = [argument for argument in arguments if argument is not type(None)]
        schema = _schema_of(present)
        return {**schema, "type": [schema["type"], "null"]}
    raise TypeError(f"no schema for {kind!r}")
