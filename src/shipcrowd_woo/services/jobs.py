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
from datetime import datetime, timedelta

import attrs

from shipcrowd_woo.domain.errors import DomainError, InvalidResponse, RateLimited, StoreUnavailable
from shipcrowd_woo.domain.ids import CompanyId, JobId
from shipcrowd_woo.domain.jobs import Job, JobRecord, JobState, SummaryValue, job_store
from shipcrowd_woo.ports.queue import TaskQueue
from shipcrowd_woo.services.context import Records

log = logging.getLogger("shipcrowd_woo.jobs")
STALLED_AFTER = timedelta(minutes=15)
RESEND_BATCH = 500
Summary = dict[str, SummaryValue]


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


@attrs.define(eq=False)
class JobService:
    """Submitting jobs and reading their status."""

    _ctx: Records
    _queue: TaskQueue

    def submit(self, company_id: CompanyId, job: Job, delay: timedelta | None = None) -> JobRecord:
        """Save the job as QUEUED, then send it to the workers (after `delay`)."""
        record = self.record(company_id, job)
        self.send(record, delay)
        return record

    def record(self, company_id: CompanyId, job: Job) -> JobRecord:
        """Save the job as QUEUED without sending it (for a caller that runs it itself; were
        it to die first, the stalled-job sweep sends it). StoreNotFound when its store is not
        the company's."""
        record = self.new_record(company_id, job)
        with self._ctx.uow_factory() as uow:
            uow.stores.get(company_id, job_store(job))
            uow.jobs.add(record)
            uow.commit()
        return record

    def new_record(self, company_id: CompanyId, job: Job) -> JobRecord:
        """A QUEUED record for a caller that saves it in its own transaction, with what the
        job is about, and sends it after the commit."""
        return JobRecord(
            id=JobId(self._ctx.new_id()),
            company_id=company_id,
            job=job,
            state=JobState.QUEUED,
            created_at=self._ctx.clock.now(),
        )

    def send(self, record: JobRecord, delay: timedelta | None = None) -> None:
        """Send a saved job to the workers."""
        self._queue.send(record.id, record.job, delay)

    def wake_inbox(self) -> None:
        """Ask a worker to drain the webhook inbox."""
        self._queue.wake_inbox()

    def wake_deliveries(self) -> None:
        """Ask a worker to deliver the feed to its subscriptions."""
        self._queue.wake_deliveries()

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


def describe(error: BaseException) -> str:
    """An error as a job records it: its kind and what it says (never a secret: store
    errors carry the store URL only)."""
    detail = getattr(error, "detail", None)
    return f"{type(error).__name__}: {detail or error}"
