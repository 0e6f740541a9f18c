"""Push subscriptions of the order feed: managing them, and delivering their events.

Delivery reads a subscription's events after its cursor, in sequence, and POSTs each, signed
per Standard Webhooks with the event id as `webhook-id` (the subscriber's idempotency key).
The cursor moves only after the subscriber took the event, in a transaction of its own, so a
deliverer killed mid-burst leaves at most the event in flight to be sent again: every event
arrives at least once, in order. One deliverer holds a subscription at a time (a hold that
lapses, so a killed deliverer's subscription is taken up again).
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Final, Protocol

import attrs

from shipcrowd_woo.converters.order_feed import event_text
from shipcrowd_woo.domain.errors import StoreNotFound, ValidationFailed
from shipcrowd_woo.domain.feed import FeedEvent
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.standard_webhooks import (
    SECRET_BYTES,
    secret_from_bytes,
    signed_headers,
)
from shipcrowd_woo.domain.subscriptions import (
    Attempt,
    DeliveryPolicy,
    Subscription,
    SubscriptionState,
    lanes,
    settled,
    subscription_filters,
    subscription_url,
)
from shipcrowd_woo.ports.queue import TaskQueue
from shipcrowd_woo.ports.repositories import EventQuery, UnitOfWork
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.ports.subscribers import SubscriberClient
from shipcrowd_woo.services.context import Records

log = logging.getLogger("shipcrowd_woo.subscriptions")
MAX_SUBSCRIPTIONS_PER_COMPANY: Final = 20
# Events read per round trip to the database while delivering.
READ_BATCH: Final = 100
# How often a deliverer saves its cursor while it keeps delivering.
SAVE_EVERY: Final = 50
SAVE_AFTER: Final = 0.25
# Backlogs are counted up to this (metrics and views stay cheap for a long outage).
COUNTED_BACKLOG: Final = 1_000_000


class Sealing(Records, Protocol):
    """A use case of our records that seals and opens secrets."""

    @property
    def secrets(self) -> SecretBox: ...


@attrs.frozen
class SubscriptionReading:
    """A subscription as its owner sees it: with its backlog (events waiting for it)."""

    subscription: Subscription
    backlog: int


@attrs.frozen
class Created:
    """A new or re-keyed subscription and its signing secret, shown this once."""

    reading: SubscriptionReading
    secret: Secret


def new_signing_secret() -> Secret:
    """A random Standard Webhooks secret (`whsec_…`)."""
    return secret_from_bytes(secrets.token_bytes(SECRET_BYTES))


def backlog_of(uow: UnitOfWork, subscription: Subscription) -> int:
    """How many events wait for the subscription (up to COUNTED_BACKLOG)."""
    query = EventQuery(
        subscription.company_id,
        subscription.after,
        COUNTED_BACKLOG,
        tuple(subscription.store_ids),
        tuple(subscription.types),
    )
    return uow.feed.count(query)


@attrs.define(eq=False)
class SubscriptionService:
    """Subscriptions of a company: create, list, delete, re-enable, rotate the secret."""

    _ctx: Sealing
    _client: SubscriberClient
    _queue: TaskQueue
    _policy: DeliveryPolicy = attrs.field(factory=DeliveryPolicy)
    _new_secret: Callable[[], Secret] = new_signing_secret

    def create(
        self,
        company_id: CompanyId,
        url: str,
        event_types: Collection[str] = (),
        store_ids: Collection[str] = (),
        after: int | None = None,
    ) -> Created:
        """Subscribe `url` to the company's events (of these types and stores; empty: all),
        from `after` (None: from now on; 0: every event kept). ValidationFailed for a URL
        of the wrong shape or one the SSRF guard refuses, an unknown type or store."""
        checked = subscription_url(url)
        types, stores = subscription_filters(event_types, store_ids)
        if after is not None and after < 0:
            raise ValidationFailed({"after": "must be 0 or a sequence number of the feed"})
        with self._ctx.reads() as uow:
            unknown = sorted(s for s in stores if not _has_store(uow, company_id, s))
            if unknown:
                raise ValidationFailed({"store_ids": f"no such store: {', '.join(unknown)}"})
            if len(uow.subscriptions.listed(company_id)) >= MAX_SUBSCRIPTIONS_PER_COMPANY:
                raise ValidationFailed(
                    {"url": f"a company has at most {MAX_SUBSCRIPTIONS_PER_COMPANY} subscriptions"}
                )
        # Resolving the host may take a while: outside any transaction.
        self._client.check(checked)
        secret = self._new_secret()
        with self._ctx.uow_factory() as uow:
            bounds = uow.feed.bounds(company_id)
            start = bounds.last_seq if after is None else max(after, bounds.purged_through)
            subscription = Subscription(
                id=self._ctx.new_id(),
                company_id=company_id,
                url=checked,
                types=types,
                store_ids=stores,
                secret=self._ctx.secrets.seal(secret),
                created_at=self._ctx.clock.now(),
                after=start,
            )
            uow.subscriptions.add(subscription)
            reading = SubscriptionReading(subscription, backlog_of(uow, subscription))
            uow.commit()
        self._queue.wake_deliveries()
        return Created(reading, secret)

    def listed(self, company_id: CompanyId) -> list[SubscriptionReading]:
        """The company's subscriptions with their backlogs."""
        with self._ctx.reads() as uow:
            return [
                SubscriptionReading(s, backlog_of(uow, s))
                for s in uow.subscriptions.listed(company_id)
            ]

    def get(self, company_id: CompanyId, subscription_id: str) -> SubscriptionReading:
        """One subscription (SubscriptionNotFound)."""
        with self._ctx.reads() as uow:
            subscription = uow.subscriptions.get(company_id, subscription_id)
            return SubscriptionReading(subscription, backlog_of(uow, subscription))

    def every(self) -> list[SubscriptionReading]:
        """Every company's subscriptions with their backlogs (for metrics)."""
        with self._ctx.reads() as uow:
            return [SubscriptionReading(s, backlog_of(uow, s)) for s in uow.subscriptions.every()]

    def delete(self, company_id: CompanyId, subscription_id: str) -> None:
        """Stop and forget a subscription (SubscriptionNotFound)."""
        with self._ctx.uow_factory() as uow:
            uow.subscriptions.remove(company_id, subscription_id)
            uow.commit()

    def enable(self, company_id: CompanyId, subscription_id: str) -> SubscriptionReading:
        """Deliver a disabled (or retrying) subscription again at once, from where it
        stopped."""
        with self._ctx.uow_factory() as uow:
            subscription = uow.subscriptions.get(company_id, subscription_id).enabled()
            uow.subscriptions.save(subscription)
            reading = SubscriptionReading(subscription, backlog_of(uow, subscription))
            uow.commit()
        self._queue.wake_deliveries()
        return reading

    def rotate_secret(self, company_id: CompanyId, subscription_id: str) -> Created:
        """A new signing secret; the old one signs beside it for the policy's overlap."""
        secret = self._new_secret()
        with self._ctx.uow_factory() as uow:
            subscription = uow.subscriptions.get(company_id, subscription_id).rotated(
                self._ctx.secrets.seal(secret), self._ctx.clock.now(), self._policy
            )
            uow.subscriptions.save(subscription)
            reading = SubscriptionReading(subscription, backlog_of(uow, subscription))
            uow.commit()
        return Created(reading, secret)


@attrs.frozen
class DeliveryRound:
    """What a round of delivering left: `more` to deliver at once (the budget ran out), and
    when the next retry falls due (None: none waits)."""

    more: bool = False
    retry_in: timedelta | None = None


class HoldLost(Exception):
    """The subscription is no longer ours to deliver (deleted, or its hold lapsed)."""


@attrs.define(eq=False)
class SubscriptionDelivery:
    """Delivers due subscriptions' events, one subscription at a time per caller."""

    _ctx: Sealing
    _client: SubscriberClient
    _policy: DeliveryPolicy = attrs.field(factory=DeliveryPolicy)
    # Longer than a request may take (the client's timeouts), so a live deliverer never
    # loses its hold mid-request; renewed with every event delivered.
    _hold: timedelta = timedelta(seconds=90)

    def deliver(self, budget: timedelta) -> DeliveryRound:
        """Deliver until no subscription is due or `budget` is spent."""
        deadline = time.monotonic() + budget.total_seconds()
        holder = self._ctx.new_id()
        with ThreadPoolExecutor(self._policy.lanes, thread_name_prefix="deliver") as pool:
            return self._rounds(holder, deadline, pool)

    def _rounds(self, holder: str, deadline: float, pool: Executor) -> DeliveryRound:
        retry_in: timedelta | None = None
        while time.monotonic() < deadline:
            now = self._ctx.clock.now()
            with self._ctx.uow_factory() as uow:
                subscription = uow.subscriptions.claim(now, holder, now + self._hold)
                uow.commit()
            if subscription is None:
                return DeliveryRound(False, retry_in)
            try:
                left = self._deliver_one(subscription, holder, deadline, pool)
            except HoldLost:
                log.info("subscription %s was taken over or deleted", subscription.id)
                continue
            finally:
                with self._ctx.uow_factory() as uow:
                    uow.subscriptions.release(subscription.id, holder)
                    uow.commit()
            if left.next_attempt_at is not None and left.state is SubscriptionState.ACTIVE:
                due_in = left.next_attempt_at - self._ctx.clock.now()
                retry_in = due_in if retry_in is None else min(retry_in, due_in)
        return DeliveryRound(True, retry_in)

    def _deliver_one(
        self, subscription: Subscription, holder: str, deadline: float, pool: Executor
    ) -> Subscription:
        """Deliver in sequence until caught up, a failure, or the deadline: SAVE_EVERY events
        at a time, different orders' side by side, the cursor saved after each (a write per
        event made the demo's step that waits on 5,127 pushed events take 12.9 s, against
        9.7 s so); a deliverer killed in between leaves at most those to be sent again."""
        while time.monotonic() < deadline:
            query = EventQuery(
                subscription.company_id,
                subscription.after,
                READ_BATCH,
                tuple(subscription.store_ids),
                tuple(subscription.types),
            )
            with self._ctx.reads() as uow:
                bounds = uow.feed.bounds(subscription.company_id)
                events = uow.feed.read(query)
            if subscription.after < bounds.purged_through and (
                not events or events[0].seq > bounds.purged_through
            ):
                subscription = self._skipped_purged(subscription, bounds.purged_through, holder)
                continue
            if not events:
                # Nothing wanted up to the head read before the events: skip to it.
                return self._saved(subscription.passed(bounds.last_seq), holder)
            keys = [
                self._ctx.secrets.open(s)
                for s in subscription.signing_secrets(self._ctx.clock.now())
            ]
            for start in range(0, len(events), SAVE_EVERY):
                chunk = events[start : start + SAVE_EVERY]
                subscription = self._saved(
                    self._sent(subscription, chunk, keys, pool, holder), holder
                )
                if subscription.failures or time.monotonic() >= deadline:
                    return subscription
        return self._saved(subscription, holder)

    def _sent(
        self,
        subscription: Subscription,
        events: Sequence[FeedEvent],
        keys: Sequence[Secret],
        pool: Executor,
        holder: str,
    ) -> Subscription:
        """The subscription once the events were sent in lanes (not saved); its hold is
        renewed meanwhile, so a slow subscriber never lets another deliverer take over."""
        attempts: dict[int, Attempt] = {}
        failed = threading.Event()

        def lane_sent(lane: Sequence[FeedEvent]) -> None:
            for event in lane:
                if failed.is_set():
                    return
                attempt = self._post(subscription.url, event, keys)
                attempts[event.seq] = attempt
                if not attempt.delivered:
                    failed.set()
                    return

        pending = {pool.submit(lane_sent, lane) for lane in lanes(events, self._policy.lanes)}
        finished: set[Future[None]] = set()
        while pending:
            done, pending = wait(pending, timeout=SAVE_AFTER)
            finished |= done
            if pending:
                self._saved(subscription, holder)
        for lane in finished:
            lane.result()
        after = settled(subscription, events, attempts, self._ctx.clock.now(), self._policy)
        if after.failures:
            log.warning(
                "subscription %s: event %s not delivered (%s), attempt %d%s",
                subscription.id,
                after.after + 1,
                after.last_error,
                after.failures,
                "; disabled" if after.state is SubscriptionState.DISABLED else "",
            )
        return after

    def _post(self, url: str, event: FeedEvent, keys: Sequence[Secret]) -> Attempt:
        body = event_text(event).encode()
        now = self._ctx.clock.now()
        headers = {
            **signed_headers(keys, event.id, int(now.timestamp()), body),
            "content-type": "application/json",
        }
        return self._client.post(url, body, headers)

    def _skipped_purged(
        self, subscription: Subscription, through: int, holder: str
    ) -> Subscription:
        # A subscription disabled past the feed's retention: its missed events are gone, and
        # saying so is all that is left (the orders themselves can be read again).
        note = (
            f"events {subscription.after + 1} to {through} were purged (older than the feed's "
            "retention) before they could be delivered"
        )
        log.warning("subscription %s: %s", subscription.id, note)
        return self._saved(attrs.evolve(subscription.passed(through), last_error=note), holder)

    def _saved(self, subscription: Subscription, holder: str) -> Subscription:
        now = self._ctx.clock.now()
        with self._ctx.uow_factory() as uow:
            if not uow.subscriptions.progress(subscription, holder, now + self._hold):
                raise HoldLost(subscription.id)
            uow.commit()
        return subscription


def _has_store(uow: UnitOfWork, company_id: CompanyId, store_id: StoreId) -> bool:
    try:
        uow.stores.get(company_id, store_id)
    except StoreNotFound:
        return False
    return True


def deliveries_due(uow: UnitOfWork, now: datetime) -> bool:
    """Whether any active subscription is due and has events after its cursor."""
    heads: dict[CompanyId, int] = {}
    for subscription in uow.subscriptions.every():
        if not subscription.due(now):
            continue
        if subscription.company_id not in heads:
            heads[subscription.company_id] = uow.feed.bounds(subscription.company_id).last_seq
        if heads[subscription.company_id] > subscription.after:
            return True
    return False
