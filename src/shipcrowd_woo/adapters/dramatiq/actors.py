"""The actors: one runs every job, with our retry policy, time limit and sync slots; one
drains the webhook inbox when woken; one delivers the feed to its subscriptions when woken."""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Protocol

import attrs
import dramatiq
import dramatiq.errors
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.time_limit import TimeLimitExceeded

from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.converters.jobs import UnknownJob, job_from_data, job_to_data
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import AutoMapProducts, Job, PushInventory, SyncOrders
from shipcrowd_woo.services.inbox import InboxDrain
from shipcrowd_woo.services.job_runner import JobRunner
from shipcrowd_woo.services.jobs import Deferred, Transient
from shipcrowd_woo.services.subscriptions import SubscriptionDelivery

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
    # A drain hands over to a fresh message after this long, so a steady stream of
    # deliveries never keeps one message (and its thread) past the time limit.
    drain_budget: timedelta = timedelta(seconds=20)


class WakeMark(Protocol):
    """At most one inbox wake waiting (see wakes.py)."""

    def set(self) -> bool:
        """Set the mark; True when it was not set."""
        ...

    def clear(self) -> None:
        """Clear the mark."""
        ...


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
        actor.send_with_options(args=(job_id, payload), delay=_milliseconds(policy.defer_delay))

    actor: dramatiq.Actor[[str, dict[str, Any]], None] = dramatiq.actor(
        actor_name="run_job",
        queue_name=QUEUE,
        broker=broker,
        **_timing(policy),
        # The runner decides when attempts are spent (it counts them on the job record): the
        # queue retries whatever it marks as transient, with exponential backoff. The cap
        # only matters when even the job record cannot be written (a long database outage).
        retry_when=lambda retries, error: (
            isinstance(error, Transient) and retries < MAX_REDELIVERIES
        ),
    )(run_job)
    return actor


def _timing(policy: JobPolicy) -> dict[str, Any]:
    """The policy's backoff and time limit as dramatiq takes them (milliseconds)."""
    return {
        "min_backoff": _milliseconds(policy.min_backoff),
        "max_backoff": _milliseconds(policy.max_backoff),
        "time_limit": _milliseconds(policy.time_limit),
    }


def _milliseconds(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)


def declare_drain_actor(
    broker: dramatiq.Broker,
    drain: Callable[[], InboxDrain],
    mark: WakeMark,
    policy: JobPolicy,
) -> dramatiq.Actor[[], None]:
    """Declare `drain_inbox` on `broker`. It clears the wake mark before it claims anything,
    so a delivery kept after that sends a new wake; a drain that fails is retried with the
    jobs' backoff (its batch waits out its lease, or is claimed again by the retry)."""

    def drain_inbox() -> None:
        mark.clear()
        if drain().drain(policy.drain_budget).more and mark.set():
            actor.send()

    actor: dramatiq.Actor[[], None] = dramatiq.actor(
        actor_name="drain_inbox",
        queue_name=QUEUE,
        broker=broker,
        **_timing(policy),
        max_retries=MAX_REDELIVERIES,
    )(drain_inbox)
    return actor


def declare_delivery_actor(
    broker: dramatiq.Broker,
    delivery: Callable[[], SubscriptionDelivery],
    mark: WakeMark,
    policy: JobPolicy,
) -> dramatiq.Actor[[], None]:
    """Declare `deliver_events` on `broker`, woken like the inbox drain: it clears its mark
    first, so events committed after that send a new wake. When a retry falls due later it
    sends itself, delayed, without the mark (a wake for new events must not wait behind
    it); the scheduler's sweep catches any wake lost."""

    def deliver_events() -> None:
        mark.clear()
        done = delivery().deliver(policy.drain_budget)
        if done.more and mark.set():
            actor.send()
        if done.retry_in is not None:
            actor.send_with_options(delay=max(_milliseconds(done.retry_in), 0))

    actor: dramatiq.Actor[[], None] = dramatiq.actor(
        actor_name="deliver_events",
        queue_name=QUEUE,
        broker=broker,
        **_timing(policy),
        max_retries=MAX_REDELIVERIES,
    )(deliver_events)
    return actor


@contextmanager
def _slot(slots: SyncSlots, job: Job) -> Iterator[bool]:
    if not isinstance(job, SLOTTED):
        yield True
        return
    with slots.hold() as taken:
        yield bool(taken)


class Wake:
    """Sends an actor's message unless one waits, due after a short gather: a burst of
    deliveries (or commits) then shares one drain and its batches, where one message each
    would process them one by one. Within the gather after this process sent one, the mark
    is not even asked: that message cannot have started yet, so it finds what is kept now
    (a Redis round trip saved per wake). Never raises: a lost wake is the scheduler's."""

    def __init__(
        self,
        actor: dramatiq.Actor[[], None],
        mark: WakeMark,
        gather: timedelta = timedelta(milliseconds=50),
    ) -> None:
        self._actor = actor
        self._mark = mark
        self._gather_ms = int(gather.total_seconds() * 1000)
        self._sent_at = -float("inf")

    def wake(self) -> None:
        """Send the message unless one waits."""
        if time.monotonic() < self._sent_at + self._gather_ms / 1000:
            return
        try:
            if self._mark.set():
                self._sent_at = time.monotonic()
                self._actor.send_with_options(delay=self._gather_ms)
        except (redis.RedisError, dramatiq.errors.BrokerError) as error:
            log.warning("could not wake %s (the recovery sweep will): %s", self._actor, error)

    def later(self, delay: timedelta) -> None:
        """Send a message due after `delay`, whatever waits."""
        try:
            self._actor.send_with_options(delay=max(_milliseconds(delay), 0))
        except (redis.RedisError, dramatiq.errors.BrokerError) as error:
            log.warning("could not schedule %s (the recovery sweep will): %s", self._actor, error)


class DramatiqTaskQueue:
    """The TaskQueue port over the job actor, the drain actor and the delivery actor."""

    def __init__(
        self,
        actor: dramatiq.Actor[[str, dict[str, Any]], None],
        drain: Wake,
        deliver: Wake,
    ) -> None:
        self._actor = actor
        self._drain = drain
        self._deliver = deliver

    def wake_inbox(self) -> None:
        """Wake the inbox drain (see Wake)."""
        self._drain.wake()

    def wake_deliveries(self, delay: timedelta | None = None) -> None:
        """Wake the delivery actor now (see Wake), or send it after `delay`."""
        if delay is None:
            self._deliver.wake()
        else:
            self._deliver.later(delay)

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
