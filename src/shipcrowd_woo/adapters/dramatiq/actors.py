"""The one actor that runs every job, with our retry policy, time limit and sync slots."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Protocol

import attrs
import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.time_limit import TimeLimitExceeded

from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.converters.jobs import UnknownJob, job_from_data, job_to_data
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import AutoMapProducts, Job, PushInventory, SyncOrders
from shipcrowd_woo.services.jobs import Deferred, JobRunner, Transient

log = logging.getLogger("shipcrowd_woo.worker")
# Jobs that talk to a store at length share the global sync slots.
SLOTTED = (SyncOrders, PushInventory, AutoMapProducts)
# With the 10-minute backoff cap, about three hours of trying.
MAX_REDELIVERIES = 25


class SyncSlots(Protocol):
    """At most N syncs at once across every worker."""

    def hold(self) -> Any:
        """A context manager whose value says whether a slot was taken."""
        ...


@attrs.frozen
class JobPolicy:
    """Backoff between attempts, time limit, and how long a job waits for a free sync slot
    or for its store (how many attempts a job gets is the runner's to judge)."""

    min_backoff: timedelta = timedelta(seconds=15)
    max_backoff: timedelta = timedelta(minutes=10)
    time_limit: timedelta = timedelta(minutes=5)
    defer_delay: timedelta = timedelta(seconds=5)


def declare_job_actor(
    broker: dramatiq.Broker,
    runner: Callable[[], JobRunner],
    slots: SyncSlots,
    policy: JobPolicy,
) -> dramatiq.Actor[[str, dict[str, Any]], None]:
    """Declare `run_job` on `broker` (nothing is declared at import time)."""

    def run_job(job_id: str, payload: dict[str, Any]) -> None:
        try:
            job = job_from_data(payload)
        except UnknownJob as error:
            log.error("dropped message for job %s: %s", job_id, error)
            return
        with _slot(slots, job) as taken:
            if not taken:
                log.info("job %s waits for a free sync slot", job_id)
            else:
                try:
                    runner().run(JobId(job_id), job)
                    return
                except Deferred as reason:
                    log.info("job %s deferred: %s", job_id, reason)
                except TimeLimitExceeded:
                    limit = f"the job ran longer than its time limit of {policy.time_limit}"
                    if runner().interrupted(JobId(job_id), limit):
                        raise Transient(limit) from None
                    return
        # Not a failure: try again shortly without spending a retry.
        actor.send_with_options(
            args=(job_id, payload), delay=int(policy.defer_delay.total_seconds() * 1000)
        )

    actor: dramatiq.Actor[[str, dict[str, Any]], None] = dramatiq.actor(
        actor_name="run_job",
        queue_name=QUEUE,
        broker=broker,
        min_backoff=int(policy.min_backoff.total_seconds() * 1000),
        max_backoff=int(policy.max_backoff.total_seconds() * 1000),
        time_limit=int(policy.time_limit.total_seconds() * 1000),
        # The runner decides when attempts are spent (it counts them on the job record): the
        # queue retries whatever it marks as transient, with exponential backoff. The cap
        # only matters when even the job record cannot be written (a long database outage).
        retry_when=lambda retries, error: (
            isinstance(error, Transient) and retries < MAX_REDELIVERIES
        ),
    )(run_job)
    return actor


@contextmanager
def _slot(slots: SyncSlots, job: Job) -> Iterator[bool]:
    if not isinstance(job, SLOTTED):
        yield True
        return
    with slots.hold() as taken:
        yield bool(taken)


class DramatiqTaskQueue:
    """The TaskQueue port over the job actor."""

    def __init__(self, actor: dramatiq.Actor[[str, dict[str, Any]], None]) -> None:
        self._actor = actor

    def send(self, job_id: JobId, job: Job, delay: timedelta | None = None) -> None:
        """Queue the job's message."""
        options: dict[str, Any] = {}
        if delay is not None:
            options["delay"] = int(delay.total_seconds() * 1000)
        self._actor.send_with_options(args=(job_id, job_to_data(job)), **options)

    def depth(self) -> int:
        """Messages waiting (the stub broker's queues, or Redis' lists)."""
        broker = self._actor.broker
        if isinstance(broker, RedisBroker):
            return sum(
                int(broker.client.llen(f"{broker.namespace}:{name}"))
                for name in broker.get_declared_queues()
            )
        if isinstance(broker, StubBroker):
            return sum(queue.qsize() for queue in broker.queues.values())
        return 0
