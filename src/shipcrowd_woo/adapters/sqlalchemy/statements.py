"""Statement helpers shared by the repositories."""

from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from shipcrowd_woo.domain.pagination import PageRequest


def upsert_into(session: Session, table: Table) -> Any:
    """An INSERT that understands ON CONFLICT on the session's backend."""
    return insert_for_dialect(session.get_bind().dialect.name, table)


def insert_for_dialect(dialect_name: str, table: Table) -> Any:
    """An INSERT that understands ON CONFLICT on the named backend."""
    return (postgresql.insert if dialect_name == "postgresql" else sqlite.insert)(table)


def count_of(session: Session, query: Select[Any]) -> int:
    """How many rows `query` would return."""
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def page_of(query: Select[Any], page: PageRequest) -> Select[Any]:
    """`query` cut to the requested page."""
    return query.offset(page.offset).limit(page.limit)
