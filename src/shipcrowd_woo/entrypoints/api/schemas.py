"""JSON Schemas generated from the attrs classes the API reads bodies into (requests.py) and
answers with (views.py), so the OpenAPI document cannot drift from either: a field's type,
whether it is required, enum values from the Enum class, nested objects (by reference when
they are components of their own), and the constraints or description a field declares in
`metadata={"schema": {...}}`."""

import enum
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

SCHEMA = "schema"
REF = "#/components/schemas/"
_SIMPLE = {str: "string", int: "integer", bool: "boolean", float: "number"}


def request_schema(cls: type) -> dict[str, Any]:
    """A request body: a field without a default is required, unknown fields are refused
    (as the converter refuses them)."""
    return _object_schema(cls, {}, everything_required=False) | {"additionalProperties": False}


def response_schema(cls: type, components: Mapping[type, str]) -> dict[str, Any]:
    """An answer: every field is always written, so every one is required; a nested class
    named in `components` is referred to by that name."""
    return _object_schema(cls, components, everything_required=True)


def _object_schema(
    cls: type, components: Mapping[type, str], *, everything_required: bool
) -> dict[str, Any]:
    attrs.resolve_types(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        declared = dict(field.metadata.get(SCHEMA, {}))
        schema = _schema_of(field.type, components, everything_required)
        properties[field.name] = schema | declared
        if everything_required or field.default is attrs.NOTHING:
            required.append(field.name)
    return {"type": "object", "required": required, "properties": properties}


def _schema_of(kind: Any, components: Mapping[type, str], answers: bool) -> dict[str, Any]:
    if kind in _SIMPLE:
        return {"type": _SIMPLE[kind]}
    if kind is datetime:
        return {"type": "string", "format": "date-time"}
    if kind is Any:
        return {}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"type": "string", "enum": [member.value for member in kind]}
    if isinstance(kind, type) and attrs.has(kind):
        if kind in components:
            return {"$ref": REF + components[kind]}
        return _object_schema(kind, components, everything_required=answers)
    origin = typing.get_origin(kind)
    arguments = typing.get_args(kind)
    if origin in (list, tuple):
        return {"type": "array", "items": _schema_of(arguments[0], components, answers)}
    if origin is dict:
        values = _schema_of(arguments[1], components, answers)
        return {"type": "object"} | ({"additionalProperties": values} if values else {})
    if origin in (types.UnionType, typing.Union) and type(None) in arguments:
        (present,) = [argument for argument in arguments if argument is not type(None)]
        schema = _schema_of(present, components, answers)
        if "$ref" in schema:
            return {"oneOf": [schema, {"type": "null"}]}
        return {**schema, "type": [schema["type"], "null"]}
    raise TypeError(f"no schema for {kind!r}")
