"""Eight writers with their own connections upsert the same 500 orders, every version of each,
in different orders: exactly one row per order remains, holding its latest version and that
version's lines."""

import random
import threading
from datetime import timedelta

import pytest

from shipcrowd_woo.adapters.sqlalchemy.engine import make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.domain.versions import version_of
from tests.builders import T0, make_order, make_store

ORDERS = 500
WRITERS = 8


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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_racing_writers_leave_one_row_per_order_at_its_latest_version(engine, backend):
    """No duplicate, no lost update, no line of a losing version."""
    sessions = make_session_factory(engine)
    store = make_store()
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.stores.add(store)
        uow.commit()
    all_versions, expected = [], {}
    for order_id in range(1, ORDERS + 1):
        versions, latest = versions_of(order_id, store.id)
        all_versions.extend(versions)
        expected[latest.key] = latest

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
