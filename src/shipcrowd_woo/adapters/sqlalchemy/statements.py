"""What the repositories share: their session, adding and getting owned aggregates, a store's
rows, a row replaced whole, one row, a page with its total, ids in chunks, and INSERTs that
understand ON CONFLICT on either backend."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

import attrs
from attrs import AttrsInstance
from sqlalchemy import Column, ColumnElement, RowMapping, Table, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape
from shipcrowd_woo.domain.errors import AlreadyExists
from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.domain.pagination import Page, PageRequest

T = TypeVar("T")
A = TypeVar("A", bound=AttrsInstance)
# Well below SQLite's bound-parameter limit.
MAX_IDS_PER_QUERY = 500


class OnSession:
    """A repository: its statements run in the unit of work's session (its transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session


@attrs.frozen
class Owned(Generic[A]):
    """An aggregate whose rows carry its company's id and its own: its table, its row shape,
    the error a missing one raises, and what AlreadyExists says when a unique key is taken."""

    table: Table
    rows: RowShape[A]
    missing: Callable[[str], Exception]
    taken: Callable[[A], str] = lambda _: "it already exists"


class OwnedRepository(OnSession, Generic[A]):
    """Adding an owned aggregate and getting the company's one by id, the same for each."""

    OWNED: ClassVar[Owned[Any]]

    def add(self, item: A) -> None:
        """Insert, or AlreadyExists when one of the table's unique keys already holds it: one
        statement, so two racing inserts cannot both pass a check first."""
        owned, session = self.OWNED, self._session
        statement = upsert_into(session, owned.table).values(owned.rows.values(item))
        inserted = session.execute(
            statement.on_conflict_do_nothing().returning(owned.table.c.id)
        ).first()
        if inserted is None:
            raise AlreadyExists(owned.taken(item))

    def get(self, company_id: CompanyId, row_id: str) -> A:
        """The company's one with this id, or the aggregate's missing error: another
        company's is as missing as one that never was."""
        table = self.OWNED.table
        row = one_row(
            self._session,
            select(table).where(table.c.id == row_id, table.c.company_id == company_id),
        )
        if row is None:
            raise self.OWNED.missing(row_id)
        return cast(A, self.OWNED.rows.build(row))


def of_store(table: Table, company_id: str, store_id: str, **equal: Any) -> ColumnElement[bool]:
    """The rows of one store of one company (and with the `equal` column values): a store's
    rows are always scoped by its company too, so a store id alone never reaches another
    tenant's rows."""
    return and_(
        table.c.company_id == company_id,
        table.c.store_id == store_id,
        *(table.c[column] == value for column, value in equal.items()),
    )


def replace_row(session: Session, table: Table, values: Mapping[str, Any]) -> None:
    """Write `values` over the row with their `id`."""
    session.execute(update(table).where(table.c.id == values["id"]).values(values))


def upsert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    key: Sequence[str],
    replaced: Sequence[str],
) -> None:
    """Insert the rows in one statement; where a row's `key` is already held, that row's
    `replaced` columns take the new values."""
    if not rows:
        return
    statement = upsert_into(session, table)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in replaced}
    )
    session.execute(statement, list(rows))


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


def unnest_select(columns: Sequence[Column[Any]]) -> str:
    """PostgreSQL: `SELECT * FROM unnest(…)`, one array parameter per written column, for
    the driver itself (psycopg's placeholders). Its few parameters keep psycopg's statement
    cache: a multi-row VALUES form has thousands, and psycopg parsed each such statement
    afresh (a fifth of an import into PostgreSQL). The arrays travel in binary (`%b`): in
    text, psycopg quoted every element through a regular expression, 41% of an import's
    time (py-spy)."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    arrays = ", ".join(
        f"CAST(%({c.name})b AS {c.type.compile(dialect=dialect)}[])" for c in columns
    )
    return f"SELECT * FROM unnest({arrays})"  # noqa: S608 - names from the table only


def as_arrays(columns: Sequence[Column[Any]], rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """Staged rows (values in the order of `columns`) as one list per column."""
    by_column = zip(*rows, strict=True) if rows else ([] for _ in columns)
    return {column.name: list(values) for column, values in zip(columns, by_column, strict=True)}
