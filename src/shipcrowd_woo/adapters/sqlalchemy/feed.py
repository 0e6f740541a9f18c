"""The order feed in SQL: a transactional outbox whose numbers follow commit order.

A sequence or identity column would number events as they are inserted, and a transaction
that took 10 but committed after another took 11 would be skipped by a reader already past 11
(stock-and-feed-facts.md B4.2). Here numbers come from the company's `feed_heads` row, moved
on by an upsert that keeps the row locked until the appending transaction ends: whoever is
numbered next waits, so every number is visible before any larger one is given (B4.4).
Appends lock their orders' rows first (the upsert that wrote them, or `versions(lock=True)`),
the head last, and nothing takes them the other way round.
"""

import functools
import os
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import attrs
import orjson
from sqlalchemy import Column, CursorResult, Select, Table, delete, func, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from shipcrowd_woo.adapters.sqlalchemy.statements import (
    OnSession,
    as_arrays,
    chunks,
    unnest_select,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import (
    FeedHeadRow,
    OrderEventRow,
    OrderFeedStateRow,
    table_of,
)
from shipcrowd_woo.domain.feed import (
    Change,
    EventType,
    FeedBounds,
    FeedEvent,
    FeedState,
    NewEvent,
)
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.ports.repositories import EventQuery

HEADS = table_of(FeedHeadRow)
EVENTS = table_of(OrderEventRow)
STATES = table_of(OrderFeedStateRow)
_EVENT_COLUMNS = list(EVENTS.columns)
_STATE_COLUMNS = list(STATES.columns)
_SQLITE = sqlite.dialect()


@attrs.frozen
class _Statement:
    """One INSERT for each backend: SQLite's of positional values (run for many rows),
    PostgreSQL's of one array a column."""

    sqlite: str
    postgres: str


def _insert(table: Table, columns: Sequence[Column[Any]], conflict: str = "") -> _Statement:
    names = ", ".join(column.name for column in columns)
    marks = ", ".join("?" * len(columns))
    head = f"INSERT INTO {table.name} ({names})"
    return _Statement(
        f"{head} VALUES ({marks}) {conflict}", f"{head} {unnest_select(columns)} {conflict}"
    )


_EVENTS_SQL = _insert(EVENTS, _EVENT_COLUMNS)
# The company's head moved on by the events appended; its row stays locked until commit.
_NUMBERING = (
    "INSERT INTO feed_heads (company_id, last_seq, purged_through) VALUES (?, ?, 0) "
    "ON CONFLICT (company_id) DO UPDATE SET last_seq = feed_heads.last_seq + excluded.last_seq "
    "RETURNING last_seq"
)
_STATES_SQL = _insert(
    STATES,
    _STATE_COLUMNS,
    "ON CONFLICT (store_id, source, source_id) DO UPDATE SET facets = excluded.facets, "
    "shippable = excluded.shippable, changed_at = excluded.changed_at, "
    "last_seq = excluded.last_seq",
)


def _moments(dialect_name: str) -> Callable[[datetime], Any]:
    """How the driver takes a time: SQLite the text SQLAlchemy would store, PostgreSQL the
    aware datetime itself."""
    if dialect_name != "sqlite":
        return lambda moment: moment
    process = EVENTS.c.occurred_at.type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
    assert process is not None
    return process


@functools.cache
def _changes_text(changes: tuple[Change, ...]) -> str:
    # Few distinct tuples recur (every first event has all of them): an enum's `value` per
    # change per event was a tenth of the feed's cost to an import.
    return " ".join(change.value for change in changes)


def state_of(row: Any) -> FeedState:
    """A feed state from its row."""
    return FeedState(
        facets=orjson.loads(row.facets),
        shippable=Shipping(row.shippable),
        changed_at=row.changed_at,
        last_seq=row.last_seq,
    )


def _event_of(row: Any) -> FeedEvent:
    return FeedEvent(
        company_id=row.company_id,
        seq=row.seq,
        id=row.id,
        type=EventType(row.type),
        key=OrderKey(CompanyId(row.company_id), StoreId(row.store_id), row.source_id, row.source),
        changes=tuple(Change(name) for name in row.changes.split()),
        occurred_at=row.occurred_at,
        data=row.data,
    )


class SqlAlchemyOrderFeedRepository(OnSession):
    """The order feed in SQL. Appended events are numbered and written by `flush`, which the
    unit of work runs as it commits: the head is then the last lock the transaction takes,
    after every order row it locked, whatever order its writes came in."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._appended: set[CompanyId] = set()
        self._pending: dict[CompanyId, list[NewEvent]] = {}
        self._pending_at: dict[CompanyId, datetime] = {}
        self._pending_states: dict[OrderKey, FeedState] = {}

    def forget_appended(self) -> None:
        """The transaction rolled back: what it appended is gone."""
        self._pending, self._pending_at, self._pending_states = {}, {}, {}
        self._appended = set()

    def take_appended(self) -> set[CompanyId]:
        """The companies this transaction appended to (for the unit of work to announce
        once it committed), forgotten."""
        appended, self._appended = self._appended, set()
        return appended

    def states(self, keys: Collection[OrderKey]) -> Mapping[OrderKey, FeedState]:
        """The feed's state of those orders that have had an event."""
        by_scope: defaultdict[tuple[str, str, str], list[int]] = defaultdict(list)
        for key in keys:
            by_scope[(key.company_id, key.store_id, key.source)].append(key.source_id)
        found: dict[OrderKey, FeedState] = {}
        for (company_id, store_id, source), ids in by_scope.items():
            for chunk in chunks(sorted(ids)):
                rows = self._session.execute(
                    select(STATES).where(
                        STATES.c.company_id == company_id,
                        STATES.c.store_id == store_id,
                        STATES.c.source == source,
                        STATES.c.source_id.in_(chunk),
                    )
                )
                for row in rows:
                    key = OrderKey(CompanyId(company_id), StoreId(store_id), row.source_id, source)
                    found[key] = state_of(row)
        # What this transaction appended and has not written yet.
        found.update(
            {key: self._pending_states[key] for key in keys if key in self._pending_states}
        )
        return found

    def append(self, company_id: CompanyId, events: Sequence[NewEvent], at: datetime) -> None:
        """Keep the events for `flush`; the states they leave are seen by `states` now."""
        if not events:
            return
        self._pending.setdefault(company_id, []).extend(events)
        self._pending_at[company_id] = at
        for event in events:
            self._pending_states[event.key] = event.state

    def flush(self) -> Sequence[FeedEvent]:
        """Number what was appended after the company's last event (the head stays locked
        until the transaction ends) and write the events and their orders' states."""
        pending, self._pending = self._pending, {}
        self._pending_states = {}
        appended: list[FeedEvent] = []
        for company_id in sorted(pending):
            appended += self._write(company_id, pending[company_id], self._pending_at[company_id])
        self._pending_at = {}
        return appended

    def _write(
        self, company_id: CompanyId, events: Sequence[NewEvent], at: datetime
    ) -> Sequence[FeedEvent]:
        connection = self._session.connection()
        postgres = connection.dialect.name == "postgresql"
        numbering = _NUMBERING.replace("?", "%s") if postgres else _NUMBERING
        (last,) = connection.exec_driver_sql(numbering, (company_id, len(events))).one()
        self._appended.add(company_id)
        ids = os.urandom(16 * len(events)).hex()
        appended = [
            FeedEvent(
                company_id=company_id,
                seq=seq,
                id=f"evt_{ids[32 * index : 32 * index + 32]}",
                type=event.type,
                key=event.key,
                changes=event.changes,
                occurred_at=at,
                data=event.data,
            )
            for index, (seq, event) in enumerate(
                zip(range(last - len(events) + 1, last + 1), events, strict=True)
            )
        ]
        # Through the driver, rows as tuples: SQLAlchemy's per-row parameter handling was
        # three quarters of the feed's cost to an import (bench/feed_bench.py).
        moment = _moments(connection.dialect.name)
        occurred = moment(at)
        event_rows = [
            (
                company_id,
                event.seq,
                event.id,
                event.key.store_id,
                event.key.source,
                event.key.source_id,
                event.type.value,
                _changes_text(event.changes),
                occurred,
                event.data,
            )
            for event in appended
        ]
        # One state an order, its last event's (an order may have two events in one
        # transaction: an upsert of one statement may not touch a row twice).
        last_of = {event.key: (event, new) for event, new in zip(appended, events, strict=True)}
        state_rows = [
            (
                event.key.store_id,
                event.key.source,
                event.key.source_id,
                company_id,
                orjson.dumps(dict(new.state.facets)).decode(),
                new.state.shippable.value,
                moment(new.state.changed_at),
                event.seq,
            )
            for event, new in last_of.values()
        ]
        if postgres:
            connection.exec_driver_sql(_EVENTS_SQL.postgres, as_arrays(_EVENT_COLUMNS, event_rows))
            connection.exec_driver_sql(_STATES_SQL.postgres, as_arrays(_STATE_COLUMNS, state_rows))
        else:
            connection.exec_driver_sql(_EVENTS_SQL.sqlite, event_rows)
            connection.exec_driver_sql(_STATES_SQL.sqlite, state_rows)
        return appended

    def read(self, query: EventQuery) -> Sequence[FeedEvent]:
        """The events the query asks for, in sequence."""
        statement = _matching(select(EVENTS), query)
        rows = self._session.execute(statement.order_by(EVENTS.c.seq).limit(query.limit))
        return [_event_of(row) for row in rows]

    def count(self, query: EventQuery) -> int:
        """How many events `read(query)` would give (at most its limit)."""
        matching = _matching(select(EVENTS.c.seq), query).limit(query.limit).subquery()
        return int(self._session.execute(select(func.count()).select_from(matching)).scalar_one())

    def bounds(self, company_id: CompanyId) -> FeedBounds:
        """Where the company's feed starts and ends."""
        row = self._session.execute(
            select(HEADS.c.purged_through, HEADS.c.last_seq).where(HEADS.c.company_id == company_id)
        ).first()
        return FeedBounds() if row is None else FeedBounds(row.purged_through, row.last_seq)

    def kept(self) -> int:
        """Every feed's events not yet purged: from the heads, one row per company."""
        kept = self._session.execute(
            select(func.coalesce(func.sum(HEADS.c.last_seq - HEADS.c.purged_through), 0))
        ).scalar_one()
        return int(kept)

    def purge(self, occurred_before: datetime, batch_size: int) -> int:
        """Delete up to `batch_size` events older than that, each company's oldest first
        (by sequence, through the primary key: its times follow its numbers), and move each
        feed's start past what went."""
        heads = self._session.execute(
            select(HEADS.c.company_id, HEADS.c.purged_through)
            .where(HEADS.c.purged_through < HEADS.c.last_seq)
            .order_by(HEADS.c.company_id)
        ).all()
        deleted = 0
        for company_id, purged_through in heads:
            if deleted >= batch_size:
                break
            through = self._session.execute(
                select(func.max(EVENTS.c.seq)).where(
                    EVENTS.c.company_id == company_id,
                    EVENTS.c.seq.in_(
                        select(EVENTS.c.seq)
                        .where(EVENTS.c.company_id == company_id, EVENTS.c.seq > purged_through)
                        .order_by(EVENTS.c.seq)
                        .limit(batch_size - deleted)
                    ),
                    EVENTS.c.occurred_at < occurred_before,
                )
            ).scalar_one()
            if through is None:
                continue
            self._session.execute(
                update(HEADS).where(HEADS.c.company_id == company_id).values(purged_through=through)
            )
            gone = self._session.execute(
                delete(EVENTS).where(EVENTS.c.company_id == company_id, EVENTS.c.seq <= through)
            )
            deleted += cast(CursorResult[Any], gone).rowcount
        return deleted


def _matching(statement: Select[Any], query: EventQuery) -> Select[Any]:
    statement = statement.where(EVENTS.c.company_id == query.company_id, EVENTS.c.seq > query.after)
    if query.store_ids:
        statement = statement.where(EVENTS.c.store_id.in_(list(query.store_ids)))
    if query.types:
        statement = statement.where(EVENTS.c.type.in_([kind.value for kind in query.types]))
    return statement
