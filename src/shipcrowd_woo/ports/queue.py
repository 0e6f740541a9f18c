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

    def depth(self) -> int:
        """How many messages wait in the queues (for metrics)."""
        ...


class StoreLock(Protocol):
    """A lock per store, shared by every worker process, with an expiry."""

    def hold(self, store_id: StoreId, ttl: timedelta) -> AbstractContextManager[bool]:
        """Try to take the store's lock; the context value says whether it was taken.

        The lock expires after `ttl` if its holder dies, and is released on exit.
        """
        ...
