"""Background jobs and the locks that keep one store's syncs apart."""

from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Protocol

from shipcrowd_woo.domain.ids import JobId, StoreId
from shipcrowd_woo.domain.jobs import Job


class TaskQueue(Protocol):
    """Hands jobs to the workers. The job's record is saved before it is sent, so a worker
    always finds it; sending twice is harmless (a job runs at most once to completion)."""

    def send(self, job_id: JobId, job: Job, delay: timedelta | None = None) -> None:
        """Queue the job, now or after `delay`."""
        ...

    def wake_inbox(self) -> None:
        """Ask a worker to drain the webhook inbox, unless a wake is already waiting (the
        drain it starts finds whatever was kept before it). Never raises: a wake that cannot
        be sent is left to the scheduler's recovery sweep, the delivery being kept."""
        ...

    def wake_deliveries(self, delay: timedelta | None = None) -> None:
        """Ask a worker to deliver the feed to its subscriptions, now (unless a wake is
        already waiting) or after `delay` (a retry falling due). Never raises: a lost wake
        is left to the scheduler's sweep, the events being kept."""
        ...

    def depth(self) -> int:
        """How many messages wait in the queues (for metrics)."""
        ...


class StoreLock(Protocol):
    """A lock per store, shared by every worker process."""

    def hold(self, store_id: StoreId, ttl: timedelta) -> AbstractContextManager[bool]:
        """Try to take the store's lock; the context value says whether it was taken.

        It is released on exit. While held it is kept alive; a holder that dies without
        releasing it (a killed process) loses it `ttl` after its last sign of life.
        """
        ...


class ScheduleGuard(Protocol):
    """Once-per-period claims shared by every scheduler process: of all the processes asking
    for `name` within one period, exactly one gets it."""

    def claim(self, name: str, period: timedelta) -> bool:
        """True when nobody claimed `name` in the last `period`, measured now: a period that
        changed since the last claim (a store's sync interval) counts from this call."""
        ...

    def release(self, name: str) -> None:
        """Give a claim back (the work it was for could not be done)."""
        ...
