"""Reading what we imported: orders as the shipping side sees them, and the feed of their
changes (a cursor over a company's events, optionally waiting for the next ones)."""

import time
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Final

import attrs

from shipcrowd_woo.converters.order_feed import order_data, order_text
from shipcrowd_woo.domain.errors import CursorExpired, OrderNotFound, ValidationFailed
from shipcrowd_woo.domain.feed import EventType, FeedBounds, FeedEvent, FeedState
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.shipping import Shippable, basis_of, lines_to_ship, shippable
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.feed_signal import FeedSignal
from shipcrowd_woo.ports.repositories import (
    EventQuery,
    OrderQuery,
    UnitOfWork,
    UnitOfWorkFactory,
)
from shipcrowd_woo.services.context import Records
from shipcrowd_woo.services.feed_publishing import fulfilled_units
from shipcrowd_woo.services.retention import purge_older_than

MAX_EVENTS_PER_READ: Final = 1000
MAX_ORDERS_PER_PAGE: Final = 100
# A long poll answers within this, events or not: below the 60 s most proxies allow a quiet
# connection, and gunicorn's default worker timeout.
MAX_WAIT_SECONDS: Final = 25.0
DEFAULT_FEED_RETENTION: Final = timedelta(days=30)
PURGE_BATCH: Final = 1000


@attrs.frozen
class EventPage:
    """Events in sequence, and the cursor to read on from (the last one's sequence, or
    where the feed was when nothing matched)."""

    events: Sequence[FeedEvent]
    next_after: int
    has_more: bool


@attrs.frozen
class LineReading:
    """An order line as the shipping side reads it: the store's SKU, the warehouse SKU it is
    mapped to (None: unmapped), and its units."""

    line_id: int | None
    product_id: int
    variation_id: int | None
    name: str
    sku: str
    warehouse_sku: str | None
    ordered: int
    refunded: int
    fulfilled: int
    to_ship: int


@attrs.frozen
class OrderReading:
    """An imported order with what we derive of it; `document` is the Shipcrowd order as
    stored (JSON text)."""

    key: OrderKey
    order: Order
    lines: tuple[LineReading, ...]
    shippable: Shippable
    changed_at: datetime | None
    last_seq: int
    cursor: int = 0

    @property
    def document(self) -> str:
        """The Shipcrowd order as stored, as JSON text."""
        return order_text(order_data(self.order))


@attrs.frozen
class OrderListing:
    """A page of orders and the cursor of the next (None: this was the last)."""

    orders: tuple[OrderReading, ...]
    next_cursor: int | None


@attrs.define(eq=False)
class OrderFeed:
    """Orders and their events, for the management API, the CLI and embedding hosts."""

    _ctx: Records
    _signal: FeedSignal

    def events(
        self,
        company_id: CompanyId,
        after: int = 0,
        limit: int = 100,
        wait: float = 0.0,
        store_ids: Collection[StoreId] = (),
        types: Collection[EventType] = (),
    ) -> EventPage:
        """The company's events after `after` (0: from the oldest kept), in sequence. With
        `wait`, an empty read waits up to that many seconds for the next commit. A cursor
        older than what is kept raises CursorExpired."""
        problems = {}
        if after < 0:
            problems["after"] = "must be 0 or a sequence number of this feed"
        if not 1 <= limit <= MAX_EVENTS_PER_READ:
            problems["limit"] = f"must be 1 to {MAX_EVENTS_PER_READ}"
        if not 0 <= wait <= MAX_WAIT_SECONDS:
            problems["wait"] = f"must be 0 to {MAX_WAIT_SECONDS:g} seconds"
        if problems:
            raise ValidationFailed(problems)
        query = EventQuery(company_id, after, limit + 1, tuple(store_ids), tuple(types))
        deadline = time.monotonic() + wait
        while True:
            mark = self._signal.mark(company_id)
            with self._ctx.reads() as uow:
                # The head before the events (what nothing matched up to), the start after
                # them: a purge committed between the two makes this a 410, never a gap.
                bounds = uow.feed.bounds(company_id)
                found = uow.feed.read(query)
                start = uow.feed.bounds(company_id).purged_through
                if 0 < after < start:
                    raise CursorExpired(after, start)
            left = deadline - time.monotonic()
            if found or left <= 0:
                return _page(found, limit, after, bounds)
            self._signal.wait(company_id, mark, left)

    def bounds(self, company_id: CompanyId) -> FeedBounds:
        """Where the company's feed starts and ends."""
        with self._ctx.reads() as uow:
            return uow.feed.bounds(company_id)

    def kept(self) -> int:
        """How many events the feeds keep (every company's)."""
        with self._ctx.reads() as uow:
            return uow.feed.kept()

    def orders(self, query: OrderQuery) -> OrderListing:
        """A page of the company's orders (OrderQuery's filters), with their lines' warehouse
        SKUs, units to ship and shipping decision."""
        if not 1 <= query.limit <= MAX_ORDERS_PER_PAGE:
            raise ValidationFailed({"limit": f"must be 1 to {MAX_ORDERS_PER_PAGE}"})
        with self._ctx.reads() as uow:
            listed = uow.orders.listed(attrs.evolve(query, limit=query.limit + 1))
            page = listed[: query.limit]
            readings = _readings(uow, [(item.order, item.state, item.cursor) for item in page])
        more = len(listed) > query.limit
        return OrderListing(tuple(readings), page[-1].cursor if more and page else None)

    def order(self, company_id: CompanyId, store_id: StoreId, order_id: int) -> OrderReading:
        """One imported order (StoreNotFound for another company's store, OrderNotFound)."""
        key = OrderKey(company_id, store_id, order_id)
        with self._ctx.reads() as uow:
            uow.stores.get(company_id, store_id)
            order = uow.orders.get(key)
            if order is None:
                raise OrderNotFound(f"order {order_id} of store {store_id} was not imported")
            state = uow.feed.states([key]).get(key)
            return _readings(uow, [(order, state, 0)])[0]


def _page(found: Sequence[FeedEvent], limit: int, after: int, bounds: FeedBounds) -> EventPage:
    events = found[:limit]
    if events:
        return EventPage(events, events[-1].seq, len(found) > limit)
    # Nothing matched up to the head read before the events: every number below it was
    # committed, so reading on from there skips nothing.
    return EventPage((), max(after, bounds.last_seq), False)


def _readings(
    uow: UnitOfWork, items: Sequence[tuple[Order, FeedState | None, int]]
) -> list[OrderReading]:
    keys = [order.key for order, _, _ in items]
    fulfilled = fulfilled_units(uow, keys)
    stores = {}
    skus: dict[tuple[StoreId, tuple[int, int | None]], str] = {}
    for store_id, company_id in {(k.store_id, k.company_id) for k in keys}:
        stores[store_id] = uow.stores.get(company_id, store_id)
        woo_ids = {
            woo_id
            for order, _, _ in items
            if order.key.store_id == store_id
            for line in order.lines
            for woo_id in (line.product_id, line.variation_id)
            if woo_id
        }
        for mapping in uow.mappings.for_products(company_id, store_id, woo_ids):
            skus[(store_id, mapping.target)] = mapping.shipcrowd_sku
    readings = []
    for order, state, cursor in items:
        basis = basis_of(order)
        units = lines_to_ship(basis, fulfilled.get(order.key, Counter()))
        decision = shippable(basis, stores[order.key.store_id].shipping, units)
        lines = tuple(
            LineReading(
                line_id=line.woo_line_id,
                product_id=line.product_id,
                variation_id=line.variation_id,
                name=line.name,
                sku=line.sku,
                warehouse_sku=skus.get((order.key.store_id, (line.product_id, line.variation_id))),
                ordered=unit.ordered,
                refunded=unit.refunded,
                fulfilled=unit.fulfilled,
                to_ship=unit.to_ship,
            )
            for line, unit in zip(order.lines, units, strict=True)
        )
        readings.append(
            OrderReading(
                key=order.key,
                order=order,
                lines=lines,
                shippable=decision,
                changed_at=None if state is None else state.changed_at,
                last_seq=0 if state is None else state.last_seq,
                cursor=cursor,
            )
        )
    return readings


def purge_old_events(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    retention: timedelta = DEFAULT_FEED_RETENTION,
    batch_size: int = PURGE_BATCH,
) -> int:
    """Delete events older than `retention`, one short transaction per batch; how many."""
    return purge_older_than(
        uow_factory,
        clock,
        retention,
        batch_size,
        lambda uow, cutoff, size: uow.feed.purge(cutoff, size),
    )
