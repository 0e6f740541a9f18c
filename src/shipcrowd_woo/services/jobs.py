"""Background jobs: submitting them and running them.

A job's record is saved (QUEUED) before its message is sent, so a worker always finds it and
the status endpoint can answer at once. A worker marks it RUNNING, runs the use case and
marks it COMPLETED or FAILED in its own transaction; the queue acknowledges the message only
after that, so a worker killed mid-job leaves the message to be delivered again, and running
it again does no harm (every use case is idempotent). Transient failures (the store down or
throttling, the database unreachable) are retried by the queue; the last attempt's failure is
recorded on the job.
"""

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from shipcrowd_woo.domain.errors import (
    DomainError,
    InvalidResponse,
    RateLimited,
    StoreBusy,
    StoreUnavailable,
)
from shipcrowd_woo.domain.ids import CompanyId, JobId
from shipcrowd_woo.domain.jobs import (
    AutoMapProducts,
    CheckWebhooks,
    Job,
    JobRecord,
    JobState,
    PushInventory,
    ReconcileOrders,
    SyncMode,
    SyncOrders,
    job_store,
)
from shipcrowd_woo.domain.sync_log import SyncLog
from shipcrowd_woo.log_context import bound
from shipcrowd_woo.ports.queue import TaskQueue
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.inventory import InventorySync
from shipcrowd_woo.services.mappings import MappingService
from shipcrowd_woo.services.order_sync import OrderSync, SyncOutcome
from shipcrowd_woo.services.webhook_checks import WebhookChecks

log = logging.getLogger("shipcrowd_woo.jobs")
MAX_ERROR_LENGTH = 500
STALLED_AFTER = timedelta(minutes=15)
RESEND_BATCH = 500
Summary = dict[str, str | int | float | bool | None]


class Transient(Exception):
    """A job failed in a way that another attempt may cure; the queue retries it."""


class Deferred(Exception):
    """The job could not start (its store is busy with a run of the same kind); the queue
    sends it again shortly. Not a failure: no attempt is spent."""


def is_transient(error: BaseException) -> bool:
    """Store outages and throttling, truncated answers and database trouble are worth
    another attempt; wrong credentials, bad input and missing resources are not."""
    if isinstance(error, StoreUnavailable | RateLimited | InvalidResponse):
        return True
    if isinstance(error, DomainError):
        return False
    # Database connection errors and the like come from the adapters untyped.
    return type(error).__module__.split(".")[0] in ("sqlalchemy", "psycopg", "sqlite3")


class JobService:
    """Submitting jobs and reading their status."""

    def __init__(self, context: ServiceContext, queue: TaskQueue) -> None:
        self._ctx = context
        self._queue = queue

    def submit(self, company_id: CompanyId, job: Job) -> JobRecord:
        """Save the job as QUEUED, then send it to the workers."""
        record = self.record(company_id, job)
        self._queue.send(record.id, job)
        return record

    def record(self, company_id: CompanyId, job: Job) -> JobRecord:
        """Save the job as QUEUED without sending it (for a caller that runs it itself; were
        it to die first, the stalled-job sweep sends it)."""
        record = JobRecord(
            id=JobId(self._ctx.new_id()),
            company_id=company_id,
            job=job,
            state=JobState.QUEUED,
            created_at=self._ctx.clock.now(),
        )
        with self._ctx.uow_factory() as uow:
            uow.jobs.add(record)
            uow.commit()
        return record

    def wake_inbox(self) -> None:
        """Ask a worker to drain the webhook inbox."""
        self._queue.wake_inbox()

    def status(self, company_id: CompanyId, job_id: JobId) -> JobRecord:
        """The company's job (JobNotFound for another's)."""
        with self._ctx.reads() as uow:
            return uow.jobs.get(company_id, job_id)

    def resend_stalled(self, older_than: timedelta = STALLED_AFTER, limit: int = 500) -> int:
        """Send again jobs left QUEUED or RUNNING long after their last change: the message
        was lost between the commit and the queue, or the process holding it died (the
        in-process queue of the embedded default dies with its process). `older_than` must
        exceed the longest retry backoff and the job time limit; running a job twice is
        harmless."""
        return self._resend(self._ctx.clock.now() - older_than, limit, "stalled")

    def resume_unfinished(self, started_at: datetime) -> int:
        """At the start of a process with an in-process queue: every job left QUEUED or
        RUNNING before `started_at` was held by a queue that died with its process (a crash,
        kill -9), so it is sent again now instead of at the stalled-job sweep. A sibling
        process sharing the database may still hold some; running a job twice is harmless,
        and each job is claimed by one resuming process only."""
        resent = 0
        while sent := self._resend(started_at, RESEND_BATCH, "left by a stopped process"):
            resent += sent
        return resent

    def _resend(self, touched_before: datetime, limit: int, why: str) -> int:
        with self._ctx.uow_factory() as uow:
            claimed = uow.jobs.claim_stalled(touched_before, self._ctx.clock.now(), limit)
            uow.commit()
        for record in claimed:
            log.warning("job %s (%s) %s %s: sent again", record.id, record.kind, why, record.state)
            self._queue.send(record.id, record.job)
        return len(claimed)


class JobRunner:
    """Runs one job by id; called by the queue's workers."""

    def __init__(self, context: ServiceContext, queue: TaskQueue, max_retries: int = 3) -> None:
        self._ctx = context
        self._follow_ups = JobService(context, queue)
        self._max_retries = max_retries
        self._handlers: Mapping[type, Callable[[Any], Summary]] = {
            SyncOrders: self._sync_orders,
            PushInventory: self._push_inventory,
            AutoMapProducts: self._auto_map,
            ReconcileOrders: self._reconcile,
            CheckWebhooks: self._check_webhooks,
        }
        self.observers: list[Callable[[JobRecord], None]] = []

    def run(self, job_id: JobId, job: Job) -> JobRecord | None:
        """Run the job. Raises Transient when another attempt should follow and Deferred
        when it cannot start yet; returns the final record otherwise (None for a job whose
        record is gone). The attempts are counted on the record, so a job sent again (a lost
        message, a deferral) never gets more than 1 + max_retries of them."""
        with bound(
            job_id=job_id,
            store_id=job_store(job),
            company_id=job.company_id,
        ):
            try:
                return self._run(job_id, job)
            except (Transient, Deferred):
                raise
            except Exception as error:
                # The job's own bookkeeping failed (the database went away between two
                # transactions): nothing was decided, so the queue tries again.
                if is_transient(error):
                    log.warning("job %s could not be recorded: %s", job_id, _describe(error))
                    raise Transient(_describe(error)) from error
                raise

    def _run(self, job_id: JobId, job: Job) -> JobRecord | None:
        with self._ctx.uow_factory() as uow:
            queued = uow.jobs.find(job_id)
            if queued is None or queued.is_final:
                return queued
            record = attrs.evolve(
                queued,
                state=JobState.RUNNING,
                attempts=queued.attempts + 1,
                started_at=self._ctx.clock.now(),
                touched_at=self._ctx.clock.now(),
            )
            uow.jobs.update(record)
            uow.commit()
        log.info("job %s (%s) started, attempt %s", job_id, record.kind, record.attempts)
        try:
            summary = self._handlers[type(job)](job)
        except StoreBusy as busy:
            self._save(queued)
            raise Deferred(str(busy)) from None
        except Exception as error:
            retry = is_transient(error) and record.attempts <= self._max_retries
            log.log(
                logging.WARNING if retry else logging.ERROR,
                "job %s (%s) attempt %s failed: %s",
                job_id,
                record.kind,
                record.attempts,
                _describe(error),
            )
            ended = attrs.evolve(
                record,
                state=JobState.QUEUED if retry else JobState.FAILED,
                finished_at=None if retry else self._ctx.clock.now(),
                error=_describe(error)[:MAX_ERROR_LENGTH],
            )
            self._save(ended)
            if retry:
                raise Transient(_describe(error)) from error
            return ended
        ended = attrs.evolve(
            record,
            state=JobState.COMPLETED,
            finished_at=self._ctx.clock.now(),
            summary=summary,
            error=None,
        )
        self._save(ended)
        log.info("job %s (%s) completed: %s", job_id, record.kind, summary)
        return ended

    def interrupted(self, job_id: JobId, reason: str) -> bool:
        """Record that the running attempt was cut short (its time limit); True when another
        attempt should follow, False when that was the last one (the job is FAILED)."""
        with self._ctx.uow_factory() as uow:
            record = uow.jobs.find(job_id)
        if record is None or record.state is not JobState.RUNNING:
            return False
        retry = record.attempts <= self._max_retries
        log.log(logging.WARNING if retry else logging.ERROR, "job %s: %s", job_id, reason)
        self._save(
            attrs.evolve(
                record,
                state=JobState.QUEUED if retry else JobState.FAILED,
                finished_at=None if retry else self._ctx.clock.now(),
                error=reason[:MAX_ERROR_LENGTH],
            )
        )
        return retry

    def _save(self, record: JobRecord) -> None:
        record = attrs.evolve(record, touched_at=self._ctx.clock.now())
        with self._ctx.uow_factory() as uow:
            uow.jobs.update(record)
            uow.commit()
        for observer in self.observers:
            observer(record)

    def _sync_orders(self, job: SyncOrders) -> Summary:
        outcome = OrderSync(self._ctx).run(job.company_id, job.store_id, job.mode, job.order_id)
        return _outcome_summary(outcome)

    def _push_inventory(self, job: PushInventory) -> Summary:
        outcome = InventorySync(self._ctx).push(job.company_id, job.store_id, job.skus)
        return _outcome_summary(outcome)

    def _auto_map(self, job: AutoMapProducts) -> Summary:
        report = MappingService(self._ctx).auto_map(job.company_id, job.store_id)
        return {
            "catalogue_items": report.catalogue_items,
            "created": report.created,
            "refreshed": report.refreshed,
            "unmatched": report.unmatched,
            "ambiguous": len(report.ambiguous),
        }

    def _reconcile(self, job: ReconcileOrders) -> Summary:
        return _log_summary(OrderSync(self._ctx).reconcile_deletions(job.company_id, job.store_id))

    def _check_webhooks(self, job: CheckWebhooks) -> Summary:
        check = WebhookChecks(self._ctx).check(job.company_id, job.store_id)
        report = check.report
        summary: Summary = {
            "health": check.health.state.value,
            "sync_log_id": check.log.id,
            "kept": len(report.kept),
            "created": len(report.created),
            "reactivated": len(report.reactivated),
            "failed": len(report.failed),
            "removed_strays": report.removed_strays,
        }
        if check.deliveries_may_be_lost:
            follow_up = SyncOrders(job.company_id, job.store_id, SyncMode.INCREMENTAL)
            summary["sync_job_id"] = self._follow_ups.submit(job.company_id, follow_up).id
        return summary


def _outcome_summary(outcome: SyncOutcome) -> Summary:
    if outcome.log is None:
        return {"not_run": outcome.skipped}
    return _log_summary(outcome.log)


def _log_summary(sync_log: SyncLog) -> Summary:
    summary: Summary = {
        "sync_log_id": sync_log.id,
        "status": sync_log.status.value,
        "processed": sync_log.processed,
        "synced": sync_log.synced,
        "skipped": sync_log.skipped,
        "failed": sync_log.failed,
    }
    for key in ("created", "updated", "batch_requests", "marked_deleted", "imported"):
        if key in sync_log.metadata:
            summary[key] = sync_log.metadata[key]
    return summary


def _describe(error: BaseException) -> str:
    detail = getattr(error, "detail", None)
    return f"{type(error).__name__}: {detail or error}"
