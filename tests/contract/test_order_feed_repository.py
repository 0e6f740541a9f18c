"""OrderFeedRepository (issue 31) on every backend: numbering per company, order states, reads
by cursor and filter, bounds, and purging that moves the feed's start."""

import json
import threading

import pytest

from shipcrowd_woo.adapters.sqlalchemy.engine import READ_ONLY, make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.domain.feed import Change, EventType, FeedBounds, FeedState, NewEvent
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.ports.repositories import EventQuery
from shipcrowd_woo.services.order_writing import write_orders
from tests.builders import COMPANY_A, COMPANY_B, T0, later, make_order, make_store


def new(store, source_id, kind=EventType.CREATED, at=T0):
    key = OrderKey(store.company_id, store.id, source_id)
    state = FeedState({"status": "processing"}, Shipping.SHIP, at)
    return NewEvent(kind, key, (Change.STATUS,), state, json.dumps({"order_id": source_id}))


def append(uow_factory, company, events, at=T0):
    with uow_factory() as uow:
        uow.feed.append(company, events, at)
        uow.commit()


def read(uow_factory, company, after=0, limit=100, **filters):
    with uow_factory() as uow:
        return list(uow.feed.read(EventQuery(company, after, limit, **filters)))


def test_an_order_appended_twice_in_one_transaction_has_two_events_and_one_state(
    uow_factory, store
):
    with uow_factory() as uow:
        uow.feed.append(COMPANY_A, [new(store, 1)], T0)
        assert uow.feed.states([OrderKey(COMPANY_A, store.id, 1)])  # seen before the commit
        uow.feed.append(COMPANY_A, [new(store, 1, EventType.DELETED)], T0)
        uow.commit()
    assert [e.type for e in read(uow_factory, COMPANY_A)] == [EventType.CREATED, EventType.DELETED]
    with uow_factory() as uow:
        (state,) = uow.feed.states([OrderKey(COMPANY_A, store.id, 1)]).values()
    assert state.last_seq == 2


def test_events_are_numbered_per_company_and_read_back_as_appended(uow_factory, store):
    other = make_store(company=COMPANY_B, url="https://b.example")
    with uow_factory() as uow:
        uow.stores.add(other)
        uow.commit()
    append(uow_factory, COMPANY_A, [new(store, 1), new(store, 2)])
    append(uow_factory, COMPANY_B, [new(other, 1)])
    append(uow_factory, COMPANY_A, [new(store, 1, EventType.CHANGED)])
    mine = read(uow_factory, COMPANY_A)
    assert [(e.seq, e.key.source_id, e.type) for e in mine] == [
        (1, 1, EventType.CREATED),
        (2, 2, EventType.CREATED),
        (3, 1, EventType.CHANGED),
    ]
    assert mine[0].changes == (Change.STATUS,)
    assert json.loads(mine[2].data) == {"order_id": 1}
    assert len({e.id for e in mine}) == 3
    assert [e.seq for e in read(uow_factory, COMPANY_B)] == [1]
    assert [e.seq for e in read(uow_factory, COMPANY_A, after=1, limit=1)] == [2]
    assert [e.seq for e in read(uow_factory, COMPANY_A, types=[EventType.CHANGED])] == [3]
    with uow_factory() as uow:
        assert uow.feed.bounds(COMPANY_A) == FeedBounds(0, 3)
        assert uow.feed.bounds("nobody") == FeedBounds(0, 0)
        assert uow.feed.kept() == 4
        states = uow.feed.states(
            [OrderKey(COMPANY_A, store.id, 1), OrderKey(COMPANY_A, store.id, 9)]
        )
    (state,) = states.values()
    assert (state.shippable, state.last_seq, dict(state.facets)) == (
        Shipping.SHIP,
        3,
        {"status": "processing"},
    )


def test_an_append_rolled_back_leaves_no_event_and_no_number_taken(uow_factory, store):
    with uow_factory() as uow:
        uow.feed.append(COMPANY_A, [new(store, 1)], T0)
        uow.rollback()
    append(uow_factory, COMPANY_A, [new(store, 2)])
    assert [(e.seq, e.key.source_id) for e in read(uow_factory, COMPANY_A)] == [(1, 2)]


def test_purging_deletes_the_oldest_and_moves_the_start(uow_factory, store):
    append(uow_factory, COMPANY_A, [new(store, 1), new(store, 2)], at=T0)
    append(uow_factory, COMPANY_A, [new(store, 3)], at=later(60))
    with uow_factory() as uow:
        assert uow.feed.purge(later(30), 1) >= 1
        uow.commit()
    with uow_factory() as uow:
        assert uow.feed.purge(later(30), 10) <= 1
        uow.commit()
    assert [e.seq for e in read(uow_factory, COMPANY_A)] == [3]
    with uow_factory() as uow:
        assert uow.feed.bounds(COMPANY_A) == FeedBounds(2, 3)
        assert uow.feed.kept() == 1


def test_write_orders_publishes_what_it_wrote_and_nothing_for_a_replay(uow_factory, store):
    orders = [make_order(i, store_id=store.id) for i in (1, 2)]
    for _ in range(2):
        with uow_factory() as uow:
            write_orders(uow, orders, T0)
            uow.commit()
    newer = make_order(1, store_id=store.id, modified=later(5), status="on-hold")
    with uow_factory() as uow:
        written = write_orders(uow, [newer], later(6))
        uow.commit()
    assert [e.type for e in written.events] == [EventType.SHIPPABLE_CHANGED]
    events = read(uow_factory, COMPANY_A)
    assert [(e.key.source_id, e.type) for e in events] == [
        (1, EventType.CREATED),
        (2, EventType.CREATED),
        (1, EventType.SHIPPABLE_CHANGED),
    ]
    assert json.loads(events[-1].data)["version"]["fingerprint"] == newer.fingerprint


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_later_number_is_never_visible_before_an_earlier_one(engine, backend):
    """The pitfall of identity columns: a transaction numbered first but committed last.
    Here the second appender waits for the first to commit, so a reader that sees 2 has
    seen 1 (PostgreSQL rows; SQLite's one writer)."""
    sessions = make_session_factory(engine)
    store = make_store()
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.stores.add(store)
        uow.commit()
    first = SqlAlchemyUnitOfWork(sessions).__enter__()
    first.feed.append(COMPANY_A, [new(store, 1)], T0)
    first.feed.flush()  # numbered as its commit numbers it, and not committed yet
    second_done = threading.Event()

    def second() -> None:
        with SqlAlchemyUnitOfWork(sessions) as uow:
            uow.feed.append(COMPANY_A, [new(store, 2)], T0)
            uow.commit()
        second_done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not second_done.wait(0.5)
    reading = make_session_factory(engine.execution_options(**READ_ONLY))
    with SqlAlchemyUnitOfWork(reading, read_only=True) as uow:
        assert list(uow.feed.read(EventQuery(COMPANY_A, 0, 10))) == []
    first.commit()
    first.__exit__(None, None, None)
    thread.join(10)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        events = uow.feed.read(EventQuery(COMPANY_A, 0, 10))
    assert [(e.seq, e.key.source_id) for e in events] == [(1, 1), (2, 2)]


def test_orders_the_feed_never_told_of_are_listed_oldest_first(uow_factory, store):
    with uow_factory() as uow:
        uow.orders.upsert_all([make_order(i, store_id=store.id) for i in (3, 1, 2)])
        uow.commit()
    with uow_factory() as uow:
        write_orders(uow, [make_order(1, store_id=store.id, modified=later(5))], later(6))
        uow.commit()
    with uow_factory() as uow:
        assert [key.source_id for key in uow.orders.unpublished(10)] == [3, 2]
        assert [key.source_id for key in uow.orders.unpublished(1)] == [3]


def test_open_lines_are_those_of_orders_whose_last_event_ships_or_holds(uow_factory, store):
    """What reservations are counted from (issue 32): the lines, of the products asked for, of
    orders the feed last said ship or hold; not a cancelled or completed one's, not one the
    feed never told of, not another store's product."""
    other = make_store(url="https://second.example")
    with uow_factory() as uow:
        uow.stores.add(other)
        uow.orders.upsert_all([make_order(9, store_id=store.id, quantities=(4,))])
        uow.commit()
    orders = [
        make_order(1, store_id=store.id, quantities=(2, 3)),
        make_order(2, store_id=store.id, status="on-hold", quantities=(5,)),
        make_order(3, store_id=store.id, status="cancelled", quantities=(7,)),
        make_order(4, store_id=store.id, status="completed", quantities=(1,)),
        make_order(5, store_id=other.id, quantities=(6,)),
    ]
    with uow_factory() as uow:
        write_orders(uow, orders, later(1))
        uow.commit()
    with uow_factory() as uow:
        found = uow.orders.open_lines(COMPANY_A, {(store.id, 10), (store.id, 11)})
    held = sorted((o.key.source_id, o.product_id, o.variation_id, o.quantity) for o in found)
    assert held == [
        (1, 10, None, 2),
        (1, 11, 51, 3),
        (2, 10, None, 5),
    ]
