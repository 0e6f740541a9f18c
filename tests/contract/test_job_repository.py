"""JobRepository contract: job records kept whole, scoped to their company, found by the
workers, and the lost ones found again."""

import uuid

import attrs
import pytest

from shipcrowd_woo.domain.errors import JobNotFound
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import (
    CheckWebhooks,
    JobRecord,
    JobState,
    PushInventory,
    SyncMode,
    SyncOrders,
)
from tests.builders import COMPANY_A, COMPANY_B, later


def _job(store, state=JobState.QUEUED, created=0.0, job=None):
    return JobRecord(
        id=JobId(str(uuid.uuid4())),
        company_id=store.company_id,
        job=job or SyncOrders(store.company_id, store.id, SyncMode.SINGLE, 329),
        state=state,
        created_at=later(created),
    )


def test_a_job_comes_back_whole(uow_factory, store):
    record = _job(store, job=PushInventory(store.company_id, store.id, ("A", "B-ü")))
    with uow_factory() as uow:
        uow.jobs.add(record)
        uow.commit()
    with uow_factory() as uow:
        assert uow.jobs.get(COMPANY_A, record.id) == record
        assert uow.jobs.find(record.id) == record


def test_another_companys_job_is_not_found(uow_factory, store):
    record = _job(store)
    with uow_factory() as uow:
        uow.jobs.add(record)
        uow.commit()
    with uow_factory() as uow:
        with pytest.raises(JobNotFound):
            uow.jobs.get(COMPANY_B, record.id)
        with pytest.raises(JobNotFound):
            uow.jobs.get(COMPANY_A, JobId("no-such-job"))
        assert uow.jobs.find(JobId("no-such-job")) is None


def test_progress_is_saved(uow_factory, store):
    record = _job(store)
    with uow_factory() as uow:
        uow.jobs.add(record)
        uow.commit()
    done = attrs.evolve(
        record,
        state=JobState.COMPLETED,
        attempts=2,
        started_at=later(1),
        finished_at=later(2),
        summary={"created": 3, "status": "completed", "rate": 0.5, "partial": False, "x": None},
        error=None,
    )
    with uow_factory() as uow:
        uow.jobs.update(done)
        uow.commit()
    with uow_factory() as uow:
        assert uow.jobs.find(record.id) == done


def test_stalled_jobs_are_found_oldest_change_first(uow_factory, store):
    """QUEUED or RUNNING and unchanged since before the moment: lost, or their worker died."""
    old = _job(store, created=0)
    older = _job(store, created=-10, job=CheckWebhooks(store.company_id, store.id))
    recent = _job(store, created=100)
    running = attrs.evolve(_job(store, created=-30), state=JobState.RUNNING, touched_at=later(-20))
    moving = attrs.evolve(_job(store, created=-40), touched_at=later(60))
    finished = _job(store, state=JobState.FAILED, created=-50)
    with uow_factory() as uow:
        for record in (old, older, recent, running, moving, finished):
            uow.jobs.add(record)
        uow.commit()
    with uow_factory() as uow:
        stalled = uow.jobs.stalled_before(later(50), 10)
        first = uow.jobs.stalled_before(later(50), 1)
    assert [r.id for r in stalled] == [running.id, older.id, old.id]
    assert [r.id for r in first] == [running.id]


def test_a_claim_touches_the_stalled_jobs_and_a_second_claim_gets_none(uow_factory, store):
    """Two processes resuming at once must not both send a job again."""
    stalled = [_job(store, created=-10), _job(store, created=-5)]
    running = attrs.evolve(_job(store, created=-30), state=JobState.RUNNING, attempts=2)
    recent = _job(store, created=100)
    with uow_factory() as uow:
        for record in (*stalled, running, recent):
            uow.jobs.add(record)
        uow.commit()
    with uow_factory() as uow:
        claimed = uow.jobs.claim_stalled(later(50), later(60), 10)
        uow.commit()
    assert sorted(r.id for r in claimed) == sorted(r.id for r in (*stalled, running))
    assert all(r.touched_at == later(60) for r in claimed)
    with uow_factory() as uow:
        assert uow.jobs.claim_stalled(later(50), later(61), 10) == []
        kept = uow.jobs.find(running.id)
    assert kept == attrs.evolve(running, touched_at=later(60))


def test_a_claim_takes_at_most_its_limit(uow_factory, store):
    with uow_factory() as uow:
        for created in range(5):
            uow.jobs.add(_job(store, created=-created))
        uow.commit()
    with uow_factory() as uow:
        first = uow.jobs.claim_stalled(later(50), later(60), 2)
        second = uow.jobs.claim_stalled(later(50), later(60), 10)
        uow.commit()
    assert (len(first), len(second)) == (2, 3)
    assert not {r.id for r in first} & {r.id for r in second}
