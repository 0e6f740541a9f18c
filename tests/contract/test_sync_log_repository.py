"""SyncLogRepository contract: round trip, pages, retention in batches."""

from datetime import timedelta

from shipcrowd_woo.domain.pagination import PageRequest
from shipcrowd_woo.domain.sync_log import SyncType, finish_sync, record_items
from tests.builders import T0, later, make_sync_log


def test_a_log_reads_back_exactly_and_updates_are_saved(uow_factory, store):
    """Counts, bounded errors and metadata survive; finishing is saved."""
    log = make_sync_log(store)
    with uow_factory() as uow:
        uow.sync_logs.add(log)
        uow.commit()
    done = finish_sync(record_items(log, synced=3, failed=1, errors=["order 9: bad"]), later(4))
    with uow_factory() as uow:
        uow.sync_logs.update(done)
        uow.commit()
    with uow_factory() as uow:
        assert uow.sync_logs.get(log.id) == done


def test_pages_are_newest_first_and_filter_by_type(uow_factory, store):
    """Paging and the type filter."""
    logs = [make_sync_log(store, later(i), SyncType.ORDER) for i in range(4)]
    logs.append(make_sync_log(store, later(10), SyncType.INVENTORY))
    with uow_factory() as uow:
        for log in logs:
            uow.sync_logs.add(log)
        uow.commit()
    with uow_factory() as uow:
        everything = uow.sync_logs.page(store.id, None, PageRequest(limit=2))
        orders = uow.sync_logs.page(store.id, SyncType.ORDER, PageRequest(offset=1, limit=2))
    assert everything.total == 5
    assert [log.id for log in everything.items] == [logs[4].id, logs[3].id]
    assert orders.total == 4
    assert [log.id for log in orders.items] == [logs[2].id, logs[1].id]


def test_retention_deletes_old_logs_in_batches_of_the_given_size(uow_factory, store):
    """Seven logs older than the cutoff go three at a time; newer ones stay."""
    cutoff = T0 + timedelta(days=90)
    old = [make_sync_log(store, T0 + timedelta(days=i)) for i in range(7)]
    recent = [make_sync_log(store, cutoff + timedelta(seconds=1))]
    with uow_factory() as uow:
        for log in old + recent:
            uow.sync_logs.add(log)
        uow.commit()
    deleted = []
    while True:
        with uow_factory() as uow:
            count = uow.sync_logs.delete_started_before(cutoff, batch_size=3)
            uow.commit()
        deleted.append(count)
        if count < 3:
            break
    assert deleted == [3, 3, 1]
    with uow_factory() as uow:
        remaining = uow.sync_logs.page(store.id, None, PageRequest())
    assert [log.id for log in remaining.items] == [recent[0].id]


def test_runs_left_in_progress_are_found_oldest_first(uow_factory, store):
    """A run whose worker died stays IN_PROGRESS; the scheduler's sweep finds it."""
    stuck_old = make_sync_log(store, later(0))
    stuck = make_sync_log(store, later(5))
    recent = make_sync_log(store, later(100))
    ended = finish_sync(make_sync_log(store, later(1)), later(2))
    with uow_factory() as uow:
        for log in (stuck, recent, ended, stuck_old):
            uow.sync_logs.add(log)
        uow.commit()
    with uow_factory() as uow:
        found = uow.sync_logs.in_progress_since_before(later(50), 10)
        first = uow.sync_logs.in_progress_since_before(later(50), 1)
    assert [log.id for log in found] == [stuck_old.id, stuck.id]
    assert [log.id for log in first] == [stuck_old.id]
