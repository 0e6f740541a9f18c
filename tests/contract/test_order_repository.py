"""OrderRepository: the version rule, applied by every backend."""

import pickle

import pytest
from sqlalchemy import text

from shipcrowd_woo.adapters.sqlalchemy.engine import make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.orders import _probed_versions
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.domain.versions import Verdict, version_of
from tests.builders import COMPANY_A, COMPANY_B, later, make_order, make_store


def upsert(uow_factory, order):
    with uow_factory() as uow:
        verdict = uow.orders.upsert_all([order])[order.key]
        uow.commit()
    return verdict


def stored(uow_factory, key):
    with uow_factory() as uow:
        return uow.orders.get(key)


def test_an_order_reads_back_exactly_as_written(uow_factory, store):
    """Money, addresses, lines and times survive the round trip unchanged."""
    order = make_order(7, store_id=store.id, quantities=(2, 1, 3), note="leave at door ✓")
    assert upsert(uow_factory, order) is Verdict.CREATE
    assert stored(uow_factory, order.key) == order


def test_a_replay_changes_nothing(uow_factory, store):
    """The same snapshot observed later is UNCHANGED and the stored row keeps its stamp."""
    order = make_order(7, store_id=store.id)
    upsert(uow_factory, order)
    replay = make_order(7, store_id=store.id, observed=later(60))
    assert upsert(uow_factory, replay) is Verdict.UNCHANGED
    assert stored(uow_factory, order.key) == order


def test_a_later_version_replaces_the_order_and_its_lines(uow_factory, store):
    """A newer modification with new content replaces everything, lines included."""
    upsert(uow_factory, make_order(7, store_id=store.id, quantities=(1, 1, 1)))
    newer = make_order(7, store_id=store.id, modified=later(5), status="completed", quantities=(4,))
    assert upsert(uow_factory, newer) is Verdict.REPLACE
    assert stored(uow_factory, newer.key) == newer


def test_an_older_version_arriving_late_is_stale(uow_factory, store):
    """A snapshot modified earlier than the stored one never overwrites it."""
    newer = make_order(7, store_id=store.id, modified=later(5), status="completed")
    upsert(uow_factory, newer)
    older = make_order(7, store_id=store.id, observed=later(100), status="processing")
    assert upsert(uow_factory, older) is Verdict.STALE
    assert stored(uow_factory, newer.key) == newer


def test_within_one_second_arrival_order_proves_nothing(uow_factory, store):
    """pending then processing in the same modification second, both delivered: neither
    overwrites the other, whichever arrives later; both are unsettled."""
    pending = make_order(7, store_id=store.id, status="pending", observed=later(1))
    processing = make_order(7, store_id=store.id, status="processing", observed=later(2))
    upsert(uow_factory, pending)
    assert upsert(uow_factory, processing) is Verdict.UNSETTLED
    assert stored(uow_factory, pending.key) == pending


def test_within_one_second_a_fetch_sent_after_the_stored_snapshot_arrived_wins(uow_factory, store):
    """The store's answer to a request sent after pending arrived replaces it; a delivery
    that had arrived before that request was sent is then stale, one after it unsettled."""
    pending = make_order(7, store_id=store.id, status="pending", observed=later(1))
    fetched = make_order(
        7, store_id=store.id, status="processing", observed=later(3), fetched=later(2)
    )
    upsert(uow_factory, pending)
    assert upsert(uow_factory, fetched) is Verdict.REPLACE
    assert upsert(uow_factory, pending) is Verdict.STALE
    on_hold = make_order(7, store_id=store.id, status="on-hold", observed=later(4))
    assert upsert(uow_factory, on_hold) is Verdict.UNSETTLED
    assert stored(uow_factory, pending.key) == fetched


def test_orders_of_different_stores_and_companies_do_not_collide(uow_factory, store):
    """Order 7 of two stores and of two companies are four orders."""
    other = make_store(url="https://other.example")
    foreign = make_store(COMPANY_B, url="https://other.example")
    with uow_factory() as uow:
        uow.stores.add(other)
        uow.stores.add(foreign)
        uow.commit()
    orders = [
        make_order(7, store_id=store.id),
        make_order(7, store_id=other.id),
        make_order(7, store_id=foreign.id, company=COMPANY_B),
    ]
    assert [upsert(uow_factory, o) for o in orders] == [Verdict.CREATE] * 3
    with uow_factory() as uow:
        assert uow.orders.count(COMPANY_A, store.id) == 1
        assert uow.orders.count(COMPANY_A, other.id) == 1
        assert uow.orders.count(COMPANY_B, foreign.id) == 1
        assert uow.orders.versions([orders[1].key]) == {orders[1].key: version_of(orders[1])}


def test_an_unknown_order_is_absent(uow_factory, store):
    """get returns None and versions() nothing for an order never stored."""
    key = make_order(99, store_id=store.id).key
    with uow_factory() as uow:
        assert uow.orders.get(key) is None
        assert uow.orders.versions([key]) == {}


def test_a_pages_versions_come_in_one_read_for_the_orders_stored(uow_factory, store):
    """versions() answers the stored ones of the keys asked, of this store only, each with
    its latest stamp; unknown keys are simply absent."""
    other = make_store(url="https://other.example")
    with uow_factory() as uow:
        uow.stores.add(other)
        uow.commit()
    first = [make_order(i, store_id=store.id) for i in range(1, 601)]
    for order in first:
        upsert(uow_factory, order)
    replaced = make_order(3, store_id=store.id, status="completed", modified=later(5))
    upsert(uow_factory, replaced)
    upsert(uow_factory, make_order(2, store_id=other.id))
    asked = [o.key for o in first] + [make_order(999, store_id=store.id).key]
    with uow_factory() as uow:
        found = uow.orders.versions(asked)
    expected = {o.key: version_of(o) for o in first} | {replaced.key: version_of(replaced)}
    assert found == expected


def test_a_deletion_at_the_store_is_recorded_once_and_the_order_kept(uow_factory, store):
    """mark_deleted keeps the order and its lines; the order leaves source_ids."""
    orders = [make_order(i, store_id=store.id) for i in (1, 2, 3)]
    for order in orders:
        upsert(uow_factory, order)
    with uow_factory() as uow:
        assert uow.orders.mark_deleted(orders[1].key, later(9)) is True
        assert uow.orders.mark_deleted(orders[1].key, later(10)) is False
        assert uow.orders.mark_deleted(make_order(99, store_id=store.id).key, later(9)) is False
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.source_ids(COMPANY_A, store.id) == {1, 3}
        kept = uow.orders.get(orders[1].key)
    assert kept.deleted_at_store == later(9)
    assert kept.lines == orders[1].lines


def test_a_newer_version_from_the_store_revives_a_deleted_order(uow_factory, store):
    """The store sent a later version, so the order exists there again."""
    upsert(uow_factory, make_order(1, store_id=store.id))
    with uow_factory() as uow:
        uow.orders.mark_deleted(make_order(1, store_id=store.id).key, later(1))
        uow.commit()
    newer = make_order(1, store_id=store.id, modified=later(5), status="completed")
    assert upsert(uow_factory, newer) is Verdict.REPLACE
    assert stored(uow_factory, newer.key).deleted_at_store is None


def test_many_orders_are_upserted_together_each_under_the_version_rule(uow_factory, store):
    """Issue 17: the drain writes a batch's orders in a few statements; each still gets its
    own verdict, and the lines of the replaced ones are replaced."""
    kept = make_order(1, store_id=store.id, quantities=(1, 1))
    older_than_stored = make_order(2, store_id=store.id, modified=later(5))
    for order in (kept, make_order(3, store_id=store.id, quantities=(1, 1, 1)), older_than_stored):
        upsert(uow_factory, order)
    replacing = make_order(3, store_id=store.id, modified=later(5), quantities=(9,))
    incoming = [
        make_order(1, store_id=store.id, observed=later(60), quantities=(1, 1)),
        make_order(2, store_id=store.id, status="completed"),
        replacing,
        make_order(4, store_id=store.id, quantities=(2, 2)),
    ]
    with uow_factory() as uow:
        verdicts = uow.orders.upsert_all(incoming)
        uow.commit()
    assert [verdicts[o.key] for o in incoming] == [
        Verdict.UNCHANGED,
        Verdict.STALE,
        Verdict.REPLACE,
        Verdict.CREATE,
    ]
    with uow_factory() as uow:
        assert uow.orders.get(kept.key) == kept
        assert uow.orders.get(older_than_stored.key) == older_than_stored
        assert uow.orders.get(replacing.key) == replacing
        assert uow.orders.get(incoming[3].key) == incoming[3]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_probes_the_order_key_for_versions_without_statistics(engine, store):
    """A first import reads each page's stored versions before PostgreSQL has analysed the
    orders table. `source_id IN (…)` was then planned as a scan of every order of the store
    (3 ms a page at 10,000 orders, growing with the store); the lateral probe looks each id
    up on the whole unique key, whatever the statistics say."""
    sessions = make_session_factory(engine)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.orders.upsert_all([make_order(i, store_id=store.id) for i in range(1, 2001)])
        uow.commit()
    with engine.begin() as connection:  # as never analysed, whatever earlier tests left
        connection.execute(text("DELETE FROM pg_statistic WHERE starelid = 'orders'::regclass"))
        connection.execute(
            text("UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = 'orders'::regclass")
        )
    probe = _probed_versions()
    explain = text("EXPLAIN (ANALYZE, FORMAT JSON) " + probe.element.text).bindparams(
        *probe.element._bindparams.values()
    )
    key = make_order(1, store_id=store.id).key
    wanted = {"company_id": key.company_id, "store_id": key.store_id, "source": key.source}
    with engine.connect() as connection:
        plan = connection.execute(explain, {**wanted, "ids": list(range(900, 1000))}).scalar_one()
    scans = list(_nodes(plan[0]["Plan"], "Index Scan")) + list(
        _nodes(plan[0]["Plan"], "Index Only Scan")
    )
    assert [scan["Index Name"] for scan in scans] == [
        "uq_orders_company_id_store_id_source_source_id"
    ]
    assert "source_id" in scans[0]["Index Cond"]
    assert scans[0]["Actual Rows"] * scans[0]["Actual Loops"] == 100
    assert all("Rows Removed by Filter" not in node for node in _nodes(plan[0]["Plan"]))


def _nodes(plan, kind=None):
    if kind is None or plan["Node Type"] == kind:
        yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child, kind)


def test_orders_staged_in_another_process_are_written_as_the_orders_themselves(uow_factory, store):
    """An import stages a page's orders where it prepares them, possibly another process
    (`OrderRepository.staging`): the staging and what it makes survive pickling, and
    writing what it made is writing the orders — creation, replacement, lines and all."""
    first = [make_order(n, store_id=store.id, quantities=(n, 1)) for n in (1, 2)]
    newer = make_order(2, store_id=store.id, modified=later(5), quantities=(3,))
    with uow_factory() as uow:
        stage = _pickled(uow.orders.staging())
    staged = [_pickled(stage(order, None)) for order in [*first, newer]]
    with uow_factory() as uow:
        verdicts = uow.orders.upsert_staged(staged[:2])
        uow.commit()
    assert list(verdicts.values()) == [Verdict.CREATE, Verdict.CREATE]
    with uow_factory() as uow:
        assert uow.orders.upsert_staged([staged[0], staged[2]]) == {
            first[0].key: Verdict.UNCHANGED,
            newer.key: Verdict.REPLACE,
        }
        uow.commit()
    assert stored(uow_factory, first[0].key) == first[0]
    assert stored(uow_factory, newer.key) == newer


def _pickled(value):
    return pickle.loads(pickle.dumps(value))  # noqa: S301 - what this test pickled itself
