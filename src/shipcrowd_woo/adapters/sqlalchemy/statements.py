"""What the repositories share: their session, a store's rows, one row, a page with its
total, ids in chunks, and INSERTs that understand ON CONFLICT on either backend."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, RowMapping, Table, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from shipcrowd_woo.domain.errors import AlreadyExists
from shipcrowd_woo.domain.pagination import Page, PageRequest

T = TypeVar("T")
# Well below SQLite's bound-parameter limit.
MAX_IDS_PER_QUERY = 500


class OnSession:
    """A repository: its statements run in the unit of work's session (its transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session


def of_store(table: Table, company_id: str, store_id: str) -> ColumnElement[bool]:
    """The rows of one store of one company: a store's rows are always scoped by its
    company too, so a store id alone never reaches another tenant's rows."""
    return and_(table.c.company_id == company_id, table.c.store_id == store_id)


def insert_new(session: Session, table: Table, values: Mapping[str, Any], taken: str) -> None:
    """Insert the row, or AlreadyExists(`taken`) when one of the table's unique keys already
    holds it: one statement, so two racing inserts cannot both pass a check first."""
    inserted = session.execute(
        upsert_into(session, table).values(values).on_conflict_do_nothing().returning(table.c.id)
    ).first()
    if inserted is None:
        raise AlreadyExists(taken)


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


def one_row(session: Session, query: Any) -> RowMapping | None:
    """The first row `query` returns, by column name; None when there is none."""
    row: RowMapping | None = session.execute(query).mappings().first()
    return row


def owned_row(
    session: Session,
    table: Table,
    company_id: str,
    row_id: str,
    missing: Callable[[str], Exception],
) -> RowMapping:
    """The company's row with this id, or `missing(row_id)` raised: another company's row
    is as missing as one that never was."""
    query = select(table).where(table.c.id == row_id, table.c.company_id == company_id)
    row = one_row(session, query)
    if row is None:
        raise missing(row_id)
    return row


def page_with_total(
    session: Session,
    query: Select[Any],
    page: PageRequest,
    convert: Callable[[RowMapping], T],
    *order: Any,
) -> Page[T]:
    """The page of `query`'s rows in `order`, converted, with the size of the whole list."""
    rows = session.execute(page_of(query.order_by(*order), page)).mappings()
    return Page([convert(row) for row in rows], count_of(session, query), page.offset, page.limit)


def chunks(values: Sequence[T], size: int = MAX_IDS_PER_QUERY) -> Iterator[Sequence[T]]:
    """`values` in slices small enough for one statement's parameters."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
