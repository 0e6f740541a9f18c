"""Column types that keep values exact on both SQLite and PostgreSQL."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Dialect, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in, the same out.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so UTC is stored naive in
    SQLAlchemy's fixed-width text form, which sorts and compares chronologically.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Exact decimals: PostgreSQL's unconstrained NUMERIC keeps scale; SQLite gets text,
    because its NUMERIC affinity would round through a float."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(48))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


# JSON on SQLite, JSONB on PostgreSQL.
Document = JSON().with_variant(JSONB(), "postgresql")


def document_text(value: Any) -> str:
    """A document column's value as JSON text: orjson's (an imported order writes six
    documents; the standard encoder was a tenth of writing a page), or the standard
    library's for what orjson refuses (integers past 64 bits, keys that are not text), so
    every document stores as before."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)
