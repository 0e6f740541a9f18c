"""Eight writers with their own connections upsert the same 500 orders, every version of each,
in different orders: exactly one row per order remains, holding its latest version and that
version's lines."""

import json
import random
import threading
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from shipcrowd_woo.adapters.feed_signals import InProcessFeedSignal
from shipcrowd_woo.adapters.sqlalchemy.engine import READ_ONLY, make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.domain.versions import version_of
from shipcrowd_woo.ports.repositories import EventQuery
from shipcrowd_woo.services.order_writing import write_orders
from tests.builders import T0, make_order, make_store

ORDERS = 500
WRITERS = 8
# Fewer for the feed's race: each write also publishes, and a reader pages all the while.
FEED_ORDERS = 200


def versions_of(order_id, store_id):
    """pending and processing in one second (processing fetched by a request sent after
    pending arrived), and for two orders in three a later modification observed before both
    of them."""
    observed = T0 + timedelta(minutes=10) + timedelta(milliseconds=order_id)
    pending = make_order(
        order_id, store_id=store_id, status="pending", quantities=(1,), observed=observed
    )
    processing = make_order(
        order_id,
        store_id=store_id,
        status="processing",
        quantities=(2, 1),
        observed=observed + timedelta(seconds=1),
        fetched=observed + timedelta(milliseconds=500),
    )
    if order_id % 3 == 0:
        return [pending, processing], processing
    completed = make_order(
        order_id,
        store_id=store_id,
        status="completed",
        quantities=(3, 1, 2),
        modified=T0 + timedelta(seconds=1),
        observed=observed - timedelta(minutes=5),
    )
    return [pending, processing, completed], completed


def racing_store(sessions, orders):
    """A store saved, every version of its `orders` (shuffled by each writer) and the
    latest version of each."""
    store = make_store()
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.stores.add(store)
        uow.commit()
    all_versions, expected = [], {}
    for order_id in range(1, orders + 1):
        versions, latest = versions_of(order_id, store.id)
        all_versions.extend(versions)
        expected[latest.key] = latest
    return store, all_versions, expected


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_racing_writers_leave_one_row_per_order_at_its_latest_version(engine, backend):
    """No duplicate, no lost update, no line of a losing version."""
    sessions = make_session_factory(engine)
    store, all_versions, expected = racing_store(sessions, ORDERS)

    start = threading.Barrier(WRITERS)
    failures = []

    def write(seed):
        mine = list(all_versions)
        random.Random(seed).shuffle(mine)
        start.wait()
        try:
            for order in mine:
                with SqlAlchemyUnitOfWork(sessions) as uow:
                    uow.orders.upsert_all([order])
                    uow.commit()
        except Exception as error:  # surfaced below, with the thread's seed
            failures.append((seed, error))

    writers = [threading.Thread(target=write, args=(seed,)) for seed in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert failures == []

    with SqlAlchemyUnitOfWork(sessions) as uow:
        assert uow.orders.count(store.company_id, store.id) == ORDERS
        for key, latest in expected.items():
            assert uow.orders.get(key) == latest, key
            assert uow.orders.versions([key]) == {key: version_of(latest)}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_racing_writers_publish_every_orders_versions_in_order_to_a_reader_that_misses_none(
    engine, backend
):
    """Issue 31: the same race through write_orders, with a reader paging the feed all the
    while. The reader sees every number exactly once and in order (none committed behind
    its cursor); each order's events follow its versions; its last event carries the
    version that remains."""
    signal = InProcessFeedSignal()
    sessions = make_session_factory(engine)
    reading = make_session_factory(engine.execution_options(**READ_ONLY))
    store, all_versions, expected = racing_store(sessions, FEED_ORDERS)
    start = threading.Barrier(WRITERS + 1)
    writing = threading.Event()
    failures, seen = [], []

    def write(seed):
        mine = list(all_versions)
        random.Random(seed).shuffle(mine)
        start.wait()
        try:
            for order in mine:
                with SqlAlchemyUnitOfWork(sessions, announce=signal.announce) as uow:
                    write_orders(uow, [order], T0 + timedelta(hours=1))
                    uow.commit()
        except Exception as error:  # surfaced below, with the thread's seed
            failures.append((seed, error))

    def read():
        # As OrderFeed.events long-polls: take the mark, read, wait for a commit if empty.
        after = 0
        start.wait()
        while True:
            done = not writing.is_set()
            mark = signal.mark(store.company_id)
            with SqlAlchemyUnitOfWork(reading, read_only=True) as uow:
                page = uow.feed.read(EventQuery(store.company_id, after, 200))
            seen.extend(page)
            after = page[-1].seq if page else after
            if done and not page:
                return
            if not page:
                signal.wait(store.company_id, mark, 1.0)

    writing.set()
    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(WRITERS)]
    reader = threading.Thread(target=read)
    for thread in [*threads, reader]:
        thread.start()
    for thread in threads:
        thread.join()
    writing.clear()
    signal.announce([store.company_id])
    reader.join()
    assert failures == []
    assert [event.seq for event in seen] == list(range(1, len(seen) + 1))
    by_order = defaultdict(list)
    for event in seen:
        by_order[event.key].append(json.loads(event.data)["version"])
    for key, latest in expected.items():
        stamps = [datetime.fromisoformat(v["modified_at"]) for v in by_order[key]]
        assert stamps == sorted(stamps), key
        assert by_order[key][-1]["fingerprint"] == latest.fingerprint, key
