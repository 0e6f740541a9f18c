"""The scheduler: each store's periodic incremental order sync, webhook health check and
deletion reconciliation, and the sweeps that keep the system whole.

Any number of scheduler processes may tick, as often as they like: every piece of work is
claimed from the schedule guard, which grants each claim to one process per period. So two
schedulers never queue the same sync twice, and a scheduler back from hours of downtime
finds each claim expired once and queues one sync per store — not one per missed tick.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

import attrs

from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.jobs import CheckWebhooks, Job, ReconcileOrders, SyncMode, SyncOrders
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import fail_sync
from shipcrowd_woo.domain.webhook_health import (
    deliveries_silent,
    spread_offset,
    time_into_period,
    trouble_since_check,
)
from shipcrowd_woo.ports.queue import ScheduleGuard
from shipcrowd_woo.services.auto_push import AutoPush
from shipcrowd_woo.services.confirmations import OrderConfirmations
from shipcrowd_woo.services.context import Schedule
from shipcrowd_woo.services.feed import DEFAULT_FEED_RETENTION, purge_old_events
from shipcrowd_woo.services.feed_publishing import publish_unpublished
from shipcrowd_woo.services.jobs import STALLED_AFTER, JobService
from shipcrowd_woo.services.subscriptions import deliveries_due
from shipcrowd_woo.services.sync_logs import DEFAULT_RETENTION, purge_old_sync_logs

log = logging.getLogger("shipcrowd_woo.scheduler")
ABANDONED = "abandoned: the worker running it stopped before it ended"
RECHECK_AFTER = timedelta(minutes=5)


# Orders stored before the feed existed are given their first event this many a transaction.
FIRST_EVENTS_BATCH = 500


@attrs.frozen
class Sweeps:
    """How often the recovery sweep runs and what it counts as lost; log retention."""

    every: timedelta = timedelta(minutes=1)
    # Jobs unchanged this long are sent again (more than any retry backoff and the job time
    # limit).
    stalled_after: timedelta = STALLED_AFTER
    # Runs IN_PROGRESS this long lost their worker (more than the job time limit).
    abandoned_after: timedelta = timedelta(minutes=15)
    retention: timedelta = DEFAULT_RETENTION
    feed_retention: timedelta = DEFAULT_FEED_RETENTION
    retention_every: timedelta = timedelta(days=1)


@attrs.frozen
class StoreChecks:
    """How often each store's webhooks are checked and its deletions reconciled."""

    webhooks_every: timedelta = timedelta(hours=1)
    # Orders changed this long after the last delivery with none since: evidence of trouble.
    delivery_silence: timedelta = timedelta(hours=1)
    # On evidence of trouble a check is queued at once, but not more often than this.
    recheck_after: timedelta = RECHECK_AFTER
    reconcile_every: timedelta = timedelta(days=1)


@attrs.frozen
class TickReport:
    """What one tick did."""

    syncs_queued: tuple[StoreId, ...] = ()
    checks_queued: tuple[StoreId, ...] = ()
    reconciliations_queued: tuple[StoreId, ...] = ()
    jobs_resent: int = 0
    runs_abandoned: int = 0
    deliveries_waiting: int = 0
    stock_pushes_resent: int = 0
    confirmations_resent: int = 0
    logs_purged: int = 0
    events_purged: int = 0
    orders_first_published: int = 0
    subscriptions_woken: bool = False


@attrs.define(eq=False)
class Scheduler:
    """One tick at a time; the entrypoint decides how often."""

    _ctx: Schedule
    _jobs: JobService
    _guard: ScheduleGuard
    _sweeps: Sweeps = Sweeps()
    _checks: StoreChecks = StoreChecks()
    _auto_push: AutoPush | None = None
    _confirmations: OrderConfirmations | None = None
    # Set once a sweep found every order told of by the feed: orders stored before it
    # existed are published by the sweeps until then, and checked for no more after.
    _all_published: bool = attrs.field(default=False, init=False)

    def tick(self) -> TickReport:
        """Queue the syncs, checks and reconciliations that are due, and sweep when a sweep
        is due."""
        with self._ctx.uow_factory() as uow:
            stores = uow.stores.syncable()
        report = TickReport(
            syncs_queued=tuple(self._queue_due_syncs(stores)),
            checks_queued=tuple(self._queue_due_checks(stores)),
            reconciliations_queued=tuple(self._queue_due_reconciliations(stores)),
            subscriptions_woken=self._wake_for_due_subscriptions(),
        )
        if self._guard.claim("sweep:recovery", self._sweeps.every):
            report = attrs.evolve(
                report,
                jobs_resent=self._jobs.resend_stalled(self._sweeps.stalled_after),
                runs_abandoned=self._fail_abandoned_runs(),
                deliveries_waiting=self._wake_for_waiting_deliveries(),
                stock_pushes_resent=self._auto_push.sweep() if self._auto_push else 0,
                confirmations_resent=(self._confirmations.sweep() if self._confirmations else 0),
                orders_first_published=self._publish_unpublished(),
            )
        if self._guard.claim("sweep:retention", self._sweeps.retention_every):
            purged = purge_old_sync_logs(
                self._ctx.uow_factory, self._ctx.clock, self._sweeps.retention
            )
            events = purge_old_events(
                self._ctx.uow_factory, self._ctx.clock, self._sweeps.feed_retention
            )
            report = attrs.evolve(report, logs_purged=purged, events_purged=events)
        return report

    def _publish_unpublished(self) -> int:
        if self._all_published:
            return 0
        published = publish_unpublished(self._ctx.uow_factory, self._ctx.clock, FIRST_EVENTS_BATCH)
        self._all_published = published == 0
        return published

    def _wake_for_due_subscriptions(self) -> bool:
        """Every tick: a subscription with a backlog and no deliverer (its wake lost, its
        deliverer killed and its hold lapsed, a retry whose message was lost) gets one. A
        delivery under way makes this a wake its deliverer's next round finds nothing in."""
        with self._ctx.reads() as uow:
            due = deliveries_due(uow, self._ctx.clock.now())
        if due:
            self._jobs.wake_deliveries()
        return due

    def _wake_for_waiting_deliveries(self) -> int:
        """Deliveries kept a sweep period ago and still waiting lost their wake (or their
        drain died): wake a drain for them."""
        waiting = self._ctx.inbox.waiting(self._ctx.clock.now() - self._sweeps.every)
        if waiting:
            self._jobs.wake_inbox()
        return waiting

    def _queue_due_syncs(self, stores: Sequence[Store]) -> list[StoreId]:
        return [
            store.id
            for store in stores
            if _syncs_orders_by_itself(store)
            and self._submit_once(
                f"order-sync:{store.id}",
                store.order_sync.interval,
                store,
                SyncOrders(store.company_id, store.id, SyncMode.INCREMENTAL),
            )
        ]

    def _queue_due_checks(self, stores: Sequence[Store]) -> list[StoreId]:
        """A check per store each `webhooks_every` (spread over it), and one at once — at
        most each `recheck_after` — on evidence of trouble noted since the last check."""
        every, now = self._checks.webhooks_every, self._ctx.clock.now()
        queued = []
        for store in stores:
            if not store.webhooks_enabled:
                continue
            job = CheckWebhooks(store.company_id, store.id)
            if self._in_trouble(store):
                due = self._submit_once(
                    f"webhook-check-soon:{store.id}", self._checks.recheck_after, store, job
                )
            elif now - store.installed_at < every:
                # Installing registered the webhooks just now; a check could race with it.
                continue
            else:
                due = self._submit_spread(f"webhook-check:{store.id}", every, store, job)
            if due:
                queued.append(store.id)
        return queued

    def _in_trouble(self, store: Store) -> bool:
        health = store.webhook_health
        return trouble_since_check(health) or deliveries_silent(
            health,
            store.order_cursor,
            store.last_delivery_at,
            store.installed_at,
            self._checks.delivery_silence,
        )

    def _queue_due_reconciliations(self, stores: Sequence[Store]) -> list[StoreId]:
        """Each store's deletion reconciliation once per `reconcile_every`, spread over it."""
        every = self._checks.reconcile_every
        return [
            store.id
            for store in stores
            if store.order_sync.enabled
            and self._submit_spread(
                f"reconcile:{store.id}", every, store, ReconcileOrders(store.company_id, store.id)
            )
        ]

    def _submit_spread(self, claim: str, every: timedelta, store: Store, job: Job) -> bool:
        """Queue the job once per period of `every`, from the claim's own offset in it. The
        claim covers the time since the period began rather than a whole period: one taken
        late in a period must not hold the next period's run past its own offset."""
        into = time_into_period(self._ctx.clock.now(), every)
        # A millisecond more: guards count a claim as recent when strictly younger than the
        # period, and one taken at the very instant the period began is in it too.
        since_start = into + timedelta(milliseconds=1)
        return into >= spread_offset(claim, every) and self._submit_once(
            claim, since_start, store, job
        )

    def _submit_once(self, claim: str, period: timedelta, store: Store, job: Job) -> bool:
        """Queue the job if this scheduler wins the claim for the period."""
        if not self._guard.claim(claim, period):
            return False
        try:
            self._jobs.submit(store.company_id, job)
        except Exception:
            # Not queued: the next tick (of any scheduler) tries again.
            self._guard.release(claim)
            raise
        return True

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
