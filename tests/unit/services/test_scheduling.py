"""The scheduler on fakes: one incremental sync per store and interval, never a burst after
downtime; sweeps that send stalled jobs again and end abandoned runs."""

import itertools
from datetime import timedelta

import attrs
import pytest

from shipcrowd_woo.domain.ids import CompanyId, JobId
from shipcrowd_woo.domain.jobs import (
    CheckWebhooks,
    JobRecord,
    JobState,
    ReconcileOrders,
    SyncMode,
    SyncOrders,
)
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.store import OrderSyncConfig
from shipcrowd_woo.domain.store_settings import SettingsChange
from shipcrowd_woo.domain.sync_log import SyncStatus
from shipcrowd_woo.sandbox.store import SandboxStore
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.scheduling import ABANDONED, Scheduler, StoreChecks, Sweeps
from shipcrowd_woo.services.stores import StoreService
from shipcrowd_woo.services.webhook_checks import WebhookChecks
from tests.builders import make_sync_log
from tests.fake_store import FakeScheduleGuard, FakeTaskQueue
from tests.unit.services.conftest import COMPANY


@attrs.define
class Scheduling:
    scheduler: Scheduler
    queue: FakeTaskQueue
    guard: FakeScheduleGuard


@pytest.fixture
def scheduling(world):
    queue = FakeTaskQueue()
    guard = FakeScheduleGuard(world.clock.now)
    jobs = JobService(world.context, queue)
    return Scheduling(Scheduler(world.context, jobs, guard, Sweeps()), queue, guard)


def _change(world, store, **changes):
    with world.uow() as uow:
        uow.stores.update(attrs.evolve(store, **changes))
        uow.commit()


def test_each_syncing_store_gets_one_incremental_sync(world, scheduling):
    store = world.install()
    report = scheduling.scheduler.tick()
    assert report.syncs_queued == (store.id,)
    [(job_id, job, _)] = scheduling.queue.sent
    assert job == SyncOrders(COMPANY, store.id, SyncMode.INCREMENTAL)
    with world.uow() as uow:
        assert uow.jobs.get(COMPANY, job_id).state is JobState.QUEUED


def test_nothing_more_until_the_interval_has_passed(world, scheduling):
    store = world.install()
    scheduling.scheduler.tick()
    for _ in range(14):
        world.clock.advance(minutes=1)
        assert scheduling.scheduler.tick().syncs_queued == ()
    world.clock.advance(minutes=1)
    assert scheduling.scheduler.tick().syncs_queued == (store.id,)


def test_downtime_gives_one_sync_not_a_burst(world, scheduling):
    """Ticks missed for hours are not made up: the next tick queues one sync."""
    store = world.install()
    scheduling.scheduler.tick()
    world.clock.advance(hours=6)
    assert scheduling.scheduler.tick().syncs_queued == (store.id,)
    assert scheduling.scheduler.tick().syncs_queued == ()
    with world.uow() as uow:
        queued = uow.jobs.stalled_before(world.clock.now() + timedelta(days=1), 100)
    assert sum(isinstance(record.job, SyncOrders) for record in queued) == 2


def test_each_store_keeps_its_own_interval(world, scheduling):
    fast = world.install()
    _change(world, fast, order_sync=OrderSyncConfig(interval=timedelta(minutes=5)))
    key, secret = world.stores.add("https://slow.example.com", SandboxStore(seed=4, orders=0))
    slow = (
        StoreService(world.context)
        .install(COMPANY, "https://slow.example.com", Secret(key), Secret(secret))
        .store
    )
    synced = []
    for _ in range(4):  # at 0, 5, 10 and 15 minutes
        synced += scheduling.scheduler.tick().syncs_queued
        world.clock.advance(minutes=5)
    assert synced.count(fast.id) == 4
    assert synced.count(slow.id) == 2


def test_a_changed_interval_counts_from_the_next_tick(world, scheduling):
    """Issue 18, section 3: the settings' interval is read at every tick. A store synced at
    0 waits its 15 minutes; changed to 5 minutes at 6, it is synced at the tick at 6 (its
    last sync is 6 minutes old) and then every 5 minutes; changed to an hour, it waits."""
    store = world.install()
    stores = StoreService(world.context)
    synced_at = []
    for minute in range(31):
        if minute == 6:
            stores.change_settings(COMPANY, store.id, SettingsChange(order_sync_interval_minutes=5))
        if minute == 21:
            stores.change_settings(
                COMPANY, store.id, SettingsChange(order_sync_interval_minutes=60)
            )
        if store.id in scheduling.scheduler.tick().syncs_queued:
            synced_at.append(minute)
        world.clock.advance(minutes=1)
    assert synced_at == [0, 6, 11, 16]


@pytest.mark.parametrize(
    "change",
    [
        {"is_paused": True},
        {"is_active": False},
        {"order_sync": OrderSyncConfig(auto_sync=False)},
        {"order_sync": OrderSyncConfig(enabled=False)},
    ],
    ids=["paused", "disconnected", "auto-sync-off", "order-sync-off"],
)
def test_stores_that_do_not_sync_by_themselves_are_left_alone(world, scheduling, change):
    _change(world, world.install(), **change)
    assert scheduling.scheduler.tick().syncs_queued == ()


def test_a_sync_that_could_not_be_queued_is_tried_at_the_next_tick(world, scheduling):
    store = world.install()
    broken = attrs.evolve(world.context, uow_factory=_failing_after_reads(world))
    jobs = JobService(broken, scheduling.queue)
    failing = Scheduler(broken, jobs, scheduling.guard, Sweeps())
    with pytest.raises(RuntimeError):
        failing.tick()
    assert scheduling.scheduler.tick().syncs_queued == (store.id,)


def _failing_after_reads(world):
    class Failing:
        def __init__(self):
            self.uow = world.uow()

        def __enter__(self):
            self.uow.__enter__()
            return self

        def __exit__(self, *exc):
            return self.uow.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self.uow, name)

        def commit(self):
            raise RuntimeError("database went away")

    return Failing


def test_the_sweep_sends_stalled_jobs_again(world, scheduling):
    store = world.install()
    job = SyncOrders(COMPANY, store.id, SyncMode.FULL)
    lost = JobRecord(JobId("lost"), COMPANY, job, JobState.QUEUED, world.clock.now())
    died = attrs.evolve(lost, id=JobId("died"), state=JobState.RUNNING)
    done = attrs.evolve(lost, id=JobId("done"), state=JobState.COMPLETED)
    with world.uow() as uow:
        for record in (lost, died, done):
            uow.jobs.add(record)
        uow.commit()
    _change(world, store, is_paused=True)
    assert scheduling.scheduler.tick().jobs_resent == 0
    world.clock.advance(minutes=16)
    assert scheduling.scheduler.tick().jobs_resent == 2
    assert sorted(job_id for job_id, _, _ in scheduling.queue.sent) == ["died", "lost"]


def test_a_stalled_job_is_sent_again_once_per_threshold_not_every_tick(world, scheduling):
    """The sweep claims what it resends: the next tick leaves it to the worker, and only a
    job still unchanged a whole threshold later is sent again."""
    store = world.install()
    job = SyncOrders(COMPANY, store.id, SyncMode.FULL)
    with world.uow() as uow:
        uow.jobs.add(JobRecord(JobId("lost"), COMPANY, job, JobState.QUEUED, world.clock.now()))
        uow.commit()
    _change(world, store, is_paused=True)
    world.clock.advance(minutes=16)
    assert scheduling.scheduler.tick().jobs_resent == 1
    world.clock.advance(minutes=1)
    assert scheduling.scheduler.tick().jobs_resent == 0
    world.clock.advance(minutes=15)
    assert scheduling.scheduler.tick().jobs_resent == 1


def test_a_starting_process_resumes_every_job_left_unfinished_before_it(world):
    """Issue 14, point 3: after a crash of the embedded layout, acknowledged work waited for
    the 15-minute sweep. A process starting now sends again, at once and once each, every job
    left QUEUED or RUNNING before its start, in as many batches as it takes."""
    queue = FakeTaskQueue()
    store = world.install()
    job = SyncOrders(COMPANY, store.id, SyncMode.FULL)
    left = [
        JobRecord(
            JobId(f"left-{n:04}"),
            COMPANY,
            job,
            JobState.RUNNING if n % 2 else JobState.QUEUED,
            world.clock.now(),
        )
        for n in range(1_200)
    ]
    with world.uow() as uow:
        for record in left:
            uow.jobs.add(record)
        uow.jobs.add(attrs.evolve(left[0], id=JobId("done"), state=JobState.COMPLETED))
        uow.commit()
    world.clock.advance(seconds=1)
    started_at = world.clock.now()
    with world.uow() as uow:
        uow.jobs.add(JobRecord(JobId("new"), COMPANY, job, JobState.QUEUED, started_at))
        uow.commit()
    assert JobService(world.context, queue).resume_unfinished(started_at) == 1_200
    assert sorted(job_id for job_id, _, _ in queue.sent) == [record.id for record in left]
    assert JobService(world.context, queue).resume_unfinished(started_at) == 0


def test_the_sweep_ends_runs_whose_worker_died(world, scheduling):
    store = world.install()
    run = make_sync_log(store, world.clock.now())
    with world.uow() as uow:
        uow.sync_logs.add(run)
        uow.commit()
    world.clock.advance(minutes=16)
    assert scheduling.scheduler.tick().runs_abandoned == 1
    with world.uow() as uow:
        ended = uow.sync_logs.get(run.id)
    assert ended.status is SyncStatus.FAILED
    assert ended.errors == (ABANDONED,)


def test_sweeps_run_once_per_period_whoever_ticks(world, scheduling):
    world.clock.advance(days=1)
    first = scheduling.scheduler.tick()
    second = scheduling.scheduler.tick()
    assert first == second
    assert {"sweep:recovery", "sweep:retention"} <= set(scheduling.guard.claimed_at)


def _queued(world, kind):
    with world.uow() as uow:
        records = uow.jobs.stalled_before(world.clock.now() + timedelta(days=1), 10_000)
    return sorted((r.created_at, r.job) for r in records if isinstance(r.job, kind))


def _tick_for(world, scheduling, minutes: int, step: int = 1) -> None:
    for _ in range(0, minutes, step):
        scheduling.scheduler.tick()
        world.clock.advance(minutes=step)


def test_each_store_gets_a_webhook_check_every_hour(world, scheduling):
    """Issue 15: ticks each minute for four hours give three checks, an hour apart — none in
    the first hour, when installing has just registered the webhooks."""
    store = world.install()
    installed_at = world.clock.now()
    _tick_for(world, scheduling, 240)
    checks = _queued(world, CheckWebhooks)
    assert checks[0][0] >= installed_at + timedelta(hours=1)
    assert [job for _, job in checks] == [CheckWebhooks(COMPANY, store.id)] * 3
    assert {later - earlier for (earlier, _), (later, _) in itertools.pairwise(checks)} == {
        timedelta(hours=1)
    }


def test_late_ticks_never_push_a_check_past_its_next_period(world, scheduling):
    """Each check is claimed for its own period, not for an hour from the last claim: with
    ticks arriving late (every 7 minutes 13 seconds), a claim taken late in one period must
    not keep the next period's check waiting an hour more (found by CI: a self-healing check
    came after 4 s of a 3 s interval). For each of five stores, over two days, the gaps stay
    within an interval and one tick."""
    stores = [world.install(CompanyId(f"company-{n}")) for n in range(5)]
    tick = timedelta(minutes=7, seconds=13)
    for _ in range(48 * 60 * 60 // int(tick.total_seconds())):
        scheduling.scheduler.tick()
        world.clock.advance(seconds=tick.total_seconds())
    with world.uow() as uow:
        records = uow.jobs.stalled_before(world.clock.now() + timedelta(days=1), 10_000)
    for store in stores:
        checks = sorted(
            r.created_at
            for r in records
            if isinstance(r.job, CheckWebhooks) and r.job.store_id == store.id
        )
        assert len(checks) >= 45
        gaps = [later - earlier for earlier, later in itertools.pairwise(checks)]
        assert max(gaps) <= timedelta(hours=1) + tick


def test_evidence_of_trouble_queues_a_check_at_once_and_once(world, scheduling):
    """An import noted changes no delivery announced: a check is queued at the next tick
    though the hourly one just ran, not again within five minutes, and not at all once a
    check after the evidence has run."""
    store = world.install()
    weekly = StoreChecks(webhooks_every=timedelta(days=7))
    scheduling.scheduler = Scheduler(
        world.context, JobService(world.context, scheduling.queue), scheduling.guard, checks=weekly
    )
    _tick_for(world, scheduling, 60)
    before = len(_queued(world, CheckWebhooks))
    with world.uow() as uow:
        uow.stores.record_webhook_trouble(store.id, world.clock.now(), "unannounced changes")
        uow.commit()
    assert scheduling.scheduler.tick().checks_queued == (store.id,)
    world.clock.advance(minutes=1)
    assert scheduling.scheduler.tick().checks_queued == ()
    WebhookChecks(world.context).check(COMPANY, store.id)
    world.clock.advance(minutes=10)
    assert scheduling.scheduler.tick().checks_queued == ()
    assert len(_queued(world, CheckWebhooks)) == before + 1


def test_orders_changing_while_deliveries_are_silent_queue_a_check(world, scheduling):
    """No delivery for longer than the silence threshold while the store's orders changed
    (the import's cursor moved past it) is evidence of trouble too."""
    store = world.install()
    WebhookChecks(world.context).check(COMPANY, store.id)
    _tick_for(world, scheduling, 5)
    with world.uow() as uow:
        delivered = attrs.evolve(
            uow.stores.get(COMPANY, store.id), last_delivery_at=world.clock.now()
        )
        uow.stores.update(delivered)
        uow.commit()
    world.clock.advance(minutes=70)
    with world.uow() as uow:
        uow.stores.record_order_sync(store.id, 0, world.clock.now(), world.clock.now())
        uow.commit()
    assert store.id in scheduling.scheduler.tick().checks_queued


def test_stores_without_webhooks_are_not_checked(world, scheduling):
    store = world.install()
    _change(world, store, webhooks_enabled=False)
    _tick_for(world, scheduling, 120)
    assert _queued(world, CheckWebhooks) == []


def test_each_store_is_reconciled_once_a_day(world, scheduling):
    """Issue 15: three days of ten-minute ticks give three reconciliations a day apart."""
    store = world.install()
    _tick_for(world, scheduling, 3 * 24 * 60, step=10)
    runs = _queued(world, ReconcileOrders)
    assert [job for _, job in runs] == [ReconcileOrders(COMPANY, store.id)] * 3
    assert {later - earlier for (earlier, _), (later, _) in itertools.pairwise(runs)} == {
        timedelta(days=1)
    }
