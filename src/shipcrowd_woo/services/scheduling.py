"""The scheduler: each store's periodic incremental order sync, and the sweeps that keep
the system whole.

Any number of scheduler processes may tick, as often as they like: every piece of work is
claimed from the schedule guard, which grants each claim to one process per period. So two
schedulers never queue the same sync twice, and a scheduler back from hours of downtime
finds each claim expired once and queues one sync per store — not one per missed tick.
"""

import logging
from datetime import timedelta

import attrs

from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.jobs import SyncMode, SyncOrders
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import fail_sync
from shipcrowd_woo.ports.queue import ScheduleGuard
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.jobs import STALLED_AFTER, JobService
from shipcrowd_woo.services.sync_logs import DEFAULT_RETENTION, purge_old_sync_logs

log = logging.getLogger("shipcrowd_woo.scheduler")
ABANDONED = "abandoned: the worker running it stopped before it ended"


@attrs.frozen
class Sweeps:
    """How often the recovery sweep runs and what it counts as lost; log retention."""

    every: timedelta = timedelta(minutes=1)
    # Jobs unchanged this long are sent again (more than any retry backoff and the job time
    # limit). A delivery's job is saved with it, so this recovers lost deliveries too.
    stalled_after: timedelta = STALLED_AFTER
    # Runs IN_PROGRESS this long lost their worker (more than the job time limit).
    abandoned_after: timedelta = timedelta(minutes=15)
    retention: timedelta = DEFAULT_RETENTION
    retention_every: timedelta = timedelta(days=1)


@attrs.frozen
class TickReport:
    """What one tick did."""

    syncs_queued: tuple[StoreId, ...] = ()
    jobs_resent: int = 0
    runs_abandoned: int = 0
    logs_purged: int = 0


class Scheduler:
    """One tick at a time; the entrypoint decides how often."""

    def __init__(
        self,
        context: ServiceContext,
        jobs: JobService,
        guard: ScheduleGuard,
        sweeps: Sweeps = Sweeps(),
    ) -> None:
        self._ctx = context
        self._jobs = jobs
        self._guard = guard
        self._sweeps = sweeps

    def tick(self) -> TickReport:
        """Queue the syncs that are due, and sweep when a sweep is due."""
        report = TickReport(tuple(self._queue_due_syncs()))
        if self._guard.claim("sweep:recovery", self._sweeps.every):
            report = attrs.evolve(
                report,
                jobs_resent=self._jobs.resend_stalled(self._sweeps.stalled_after),
                runs_abandoned=self._fail_abandoned_runs(),
            )
        if self._guard.claim("sweep:retention", self._sweeps.retention_every):
            purged = purge_old_sync_logs(
                self._ctx.uow_factory, self._ctx.clock, self._sweeps.retention
            )
            report = attrs.evolve(report, logs_purged=purged)
        return report

    def _queue_due_syncs(self) -> list[StoreId]:
        with self._ctx.uow_factory() as uow:
            stores = [s for s in uow.stores.syncable() if _syncs_orders_by_itself(s)]
        queued = []
        for store in stores:
            claim = f"order-sync:{store.id}"
            if not self._guard.claim(claim, store.order_sync.interval):
                continue
            try:
                self._jobs.submit(
                    store.company_id, SyncOrders(store.company_id, store.id, SyncMode.INCREMENTAL)
                )
            except Exception:
                # Not queued: the next tick (of any scheduler) tries again.
                self._guard.release(claim)
                raise
            queued.append(store.id)
        return queued

    def _fail_abandoned_runs(self, limit: int = 500) -> int:
        now = self._ctx.clock.now()
        with self._ctx.uow_factory() as uow:
            stuck = uow.sync_logs.in_progress_since_before(
                now - self._sweeps.abandoned_after, limit
            )
            for run in stuck:
                uow.sync_logs.update(fail_sync(run, now, ABANDONED))
            uow.commit()
        for run in stuck:
            log.warning("sync run %s of store %s was abandoned", run.id, run.store_id)
        return len(stuck)


def _syncs_orders_by_itself(store: Store) -> bool:
    return store.order_sync.enabled and store.order_sync.auto_sync
