"""Deleting old sync logs in batches."""

from datetime import timedelta

import pytest

from shipcrowd_woo.services.sync_logs import purge_old_sync_logs
from tests.builders import T0, make_store, make_sync_log
from tests.fakes import FakeClock, FakeDatabase, FakeUnitOfWork


def test_logs_older_than_the_retention_go_in_batches_and_the_rest_stay():
    """2,500 old logs leave in three transactions of at most 1,000; a recent one stays."""
    database = FakeDatabase()
    store = make_store()
    with FakeUnitOfWork(database) as uow:
        for day in range(2500):
            uow.sync_logs.add(make_sync_log(store, T0 - timedelta(days=100, minutes=day)))
        recent = make_sync_log(store, T0 - timedelta(days=10))
        uow.sync_logs.add(recent)
        uow.commit()
    commits_before = database.commits
    deleted = purge_old_sync_logs(
        lambda: FakeUnitOfWork(database), FakeClock(T0), timedelta(days=90), batch_size=1000
    )
    assert deleted == 2500
    assert database.commits - commits_before == 3
    assert list(database.sync_logs) == [recent.id]


def test_the_retention_is_configurable():
    """With 7 days, a 10-day-old log goes too."""
    database = FakeDatabase()
    with FakeUnitOfWork(database) as uow:
        uow.sync_logs.add(make_sync_log(make_store(), T0 - timedelta(days=10)))
        uow.commit()
    assert (
        purge_old_sync_logs(lambda: FakeUnitOfWork(database), FakeClock(T0), timedelta(days=7)) == 1
    )


@pytest.mark.parametrize(("retention", "batch"), [(timedelta(0), 10), (timedelta(days=1), 0)])
def test_nonsense_parameters_are_refused(retention, batch):
    """A zero retention would delete everything; a zero batch would loop forever."""
    with pytest.raises(ValueError, match="retention"):
        purge_old_sync_logs(lambda: FakeUnitOfWork(), FakeClock(T0), retention, batch)
