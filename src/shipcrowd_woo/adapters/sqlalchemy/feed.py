"""The order feed in SQL: a transactional outbox whose numbers follow commit order.

A sequence or identity column would number events as they are inserted, and a transaction
that took 10 but committed after another took 11 would be skipped by a reader already past 11
(stock-and-feed-facts.md B4.2). Here numbers come from the company's `feed_heads` row, moved
on by an upsert that keeps the row locked until the appending transaction ends: whoever is
numbered next waits, so every number is visible before any larger one is given (B4.4).
Appends lock their orders' rows first (the upsert that wrote them, or `versions(lock=True)`),
the head last, and nothing takes them the other way round.
"""

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from shipcrowd_woo.adapters.sqlalchemy.statements import OnSession, chunks, upsert_into
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
    """The order feed in SQL."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._appended: set[CompanyId] = set()

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
        return found

    def append(
        self, company_id: CompanyId, events: Sequence[NewEvent], at: datetime
    ) -> Sequence[FeedEvent]:
        """Number the events after the company's last (holding its head until commit), store
        them and their orders' states."""
        if not events:
            return []
        statement = upsert_into(self._session, HEADS).values(
            company_id=company_id, last_seq=len(events), purged_through=0
        )
        statement = statement.on_conflict_do_update(
            index_elements=["company_id"],
            set_={"last_seq": HEADS.c.last_seq + statement.excluded.last_seq},
        ).returning(HEADS.c.last_seq)
        last = self._session.execute(statement).scalar_one()
        self._appended.add(company_id)
        appended = [
            FeedEvent(
                company_id=company_id,
                seq=seq,
                id=f"evt_{uuid.uuid4().hex}",
                type=event.type,
                key=event.key,
                changes=event.changes,
                occurred_at=at,
                data=event.data,
            )
            for seq, event in zip(range(last - len(events) + 1, last + 1), events, strict=True)
        ]
        self._session.execute(
            EVENTS.insert(),
            [
                {
                    "company_id": company_id,
                    "seq": event.seq,
                    "id": event.id,
                    "store_id": event.key.store_id,
                    "source": event.key.source,
                    "source_id": event.key.source_id,
                    "type": event.type.value,
                    "changes": " ".join(change.value for change in event.changes),
                    "occurred_at": at,
                    "data": event.data,
                }
                for event in appended
            ],
        )
        states = upsert_into(self._session, STATES)
        states = states.on_conflict_do_update(
            index_elements=["store_id", "source", "source_id"],
            set_={
                name: states.excluded[name]
                for name in ("facets", "shippable", "changed_at", "last_seq")
            },
        )
        self._session.execute(
            states,
            [
                {
                    "store_id": event.key.store_id,
                    "source": event.key.source,
                    "source_id": event.key.source_id,
                    "company_id": company_id,
                    "facets": orjson.dumps(dict(new.state.facets)).decode(),
                    "shippable": new.state.shippable.value,
                    "changed_at": new.state.changed_at,
                    "last_seq": event.seq,
                }
                for event, new in zip(appended, events, strict=True)
            ],
        )
        return appended

    def read(self, query: EventQuery) -> Sequence[FeedEvent]:
        """The events the query asks for, in sequence."""
        statement = select(EVENTS).where(
            EVENTS.c.company_id == query.company_id, EVENTS.c.seq > query.after
        )
        if query.store_ids:
            statement = statement.where(EVENTS.c.store_id.in_(list(query.store_ids)))
        if query.types:
            statement = statement.where(EVENTS.c.type.in_([kind.value for kind in query.types]))
        rows = self._session.execute(statement.order_by(EVENTS.c.seq).limit(query.limit))
        return [_event_of(row) for row in rows]

    def bounds(self, company_id: CompanyId) -> FeedBounds:
        """Where the company's feed starts and ends."""
        row = self._session.execute(
            select(HEADS.c.purged_through, HEADS.c.last_seq).where(HEADS.c.company_id == company_id)
        ).first()
        return FeedBounds() if row is None else FeedBounds(row.purged_through, row.last_seq)

    def purge(self, occurred_before: datetime, batch_size: int) -> int:
        """Delete up to `batch_size` of the oldest events older than that, and move each
        company's feed start past what went."""
        doomed = self._session.execute(
            select(EVENTS.c.company_id, EVENTS.c.seq)
            .where(EVENTS.c.occurred_at < occurred_before)
            .order_by(EVENTS.c.occurred_at)
            .limit(batch_size)
        ).all()
        if not doomed:
            return 0
        newest: dict[str, int] = {}
        for company_id, seq in doomed:
            newest[company_id] = max(seq, newest.get(company_id, 0))
        # SQLite's two-argument max() is PostgreSQL's greatest().
        larger = func.max if self._session.get_bind().dialect.name == "sqlite" else func.greatest
        deleted = 0
        for company_id, through in sorted(newest.items()):
            self._session.execute(
                update(HEADS)
                .where(HEADS.c.company_id == company_id)
                .values(purged_through=larger(HEADS.c.purged_through, through))
            )
            gone = self._session.execute(
                delete(EVENTS).where(EVENTS.c.company_id == company_id, EVENTS.c.seq <= through)
            )
            deleted += cast(CursorResult[Any], gone).rowcount
        return deleted
