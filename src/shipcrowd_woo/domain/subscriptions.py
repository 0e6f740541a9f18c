"""Push subscriptions of the order feed: where a company's events are delivered, which of
them, and how a subscription that fails is retried and, failing for long, disabled.

A subscription reads the company's feed in sequence from its cursor (`after`, the last event
it delivered or passed over), one event at a time: an event is sent again until the
subscriber takes it, and none after it is sent before. So one order's events never overtake
each other at a subscriber, and re-enabling a disabled subscription replays from exactly
where it stopped. The cost is head-of-line blocking, bounded by the disabling below.
"""

import enum
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

import attrs

from shipcrowd_woo.domain.errors import NotFound, ValidationFailed
from shipcrowd_woo.domain.feed import EventType, FeedEvent
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.secrets import EncryptedSecret

MAX_URL_LENGTH: Final = 2048
MAX_ERROR_LENGTH: Final = 500
# Standard Webhooks' example schedule (spec, "Deliverability and reliability"): the delay
# before each attempt after the first, about 75 hours in all; the last delay repeats.
RETRY_SCHEDULE: Final = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)


class SubscriptionNotFound(NotFound):
    """No subscription with this id belongs to the company."""


class SubscriptionState(enum.Enum):
    """Whether a subscription is delivered."""

    ACTIVE = "active"
    DISABLED = "disabled"


@attrs.frozen
class DeliveryPolicy:
    """How failed deliveries are retried and when a subscription is given up on: after
    `disable_after` of nothing but failures (Standard Webhooks: disable endpoints that keep
    failing), or at once when the subscriber answers 410 Gone."""

    schedule: tuple[timedelta, ...] = RETRY_SCHEDULE
    disable_after: timedelta = timedelta(days=1)
    # How long a rotated-out secret still signs beside the new one (the signature header is
    # a list, so a subscriber switching keys verifies throughout).
    rotation_overlap: timedelta = timedelta(hours=24)
    # Events of this many orders are sent side by side (each order's one after another): one
    # at a time, a worker short of CPU fell seconds behind the intake's load
    # (bench/subscription_latency_bench.py).
    lanes: int = 8

    def delay(self, failures: int) -> timedelta:
        """The wait after the `failures`-th failure in a row (1: the first)."""
        return self.schedule[min(max(failures, 1), len(self.schedule)) - 1]


@attrs.frozen
class Attempt:
    """What a subscriber answered: an HTTP status, or why none came (`status` None)."""

    status: int | None
    error: str = ""
    # The subscriber's Retry-After, honoured when it is later than our own schedule.
    retry_after: timedelta | None = None

    @property
    def delivered(self) -> bool:
        """Only 2xx is success; a redirect is not followed and fails (Standard Webhooks)."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """410 Gone: the subscriber asks to stop."""
        return self.status == 410

    def described(self) -> str:
        """The failure in one line for `last_error`."""
        text = self.error if self.status is None else f"HTTP {self.status} {self.error}".strip()
        return text[:MAX_ERROR_LENGTH]


def subscription_url(raw: str) -> str:
    """The URL a subscription delivers to, checked for shape (ValidationFailed): http or
    https, a host, no credentials or fragment. Whether its host may be called is the SSRF
    guard's decision, made where the connection is opened."""
    text = raw.strip()
    problem = None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises for a malformed port
    except ValueError as error:
        raise ValidationFailed({"url": f"is malformed: {error}"}) from None
    if not text or len(text) > MAX_URL_LENGTH:
        problem = f"must be 1 to {MAX_URL_LENGTH} characters"
    elif any(char.isspace() or ord(char) < 32 for char in text):
        problem = "must not contain spaces or control characters"
    elif parts.scheme.lower() not in ("http", "https"):
        problem = "must be an http or https URL"
    elif not parts.hostname:
        problem = "has no host"
    elif parts.username is not None or parts.password is not None:
        problem = "must not contain a user name or password (the signature authenticates)"
    elif parts.fragment:
        problem = "must not contain a fragment"
    if problem:
        raise ValidationFailed({"url": problem})
    return text


@attrs.frozen
class Subscription:
    """Where a company's events are pushed. Empty `types` or `store_ids` mean all. `secret`
    signs; `previous_secret` signs beside it until `previous_until` (a rotation)."""

    id: str
    company_id: CompanyId
    url: str
    types: frozenset[EventType]
    store_ids: frozenset[StoreId]
    secret: EncryptedSecret = attrs.field(repr=False)
    created_at: datetime
    # The last event delivered or passed over (not wanted): delivery goes on after it.
    after: int = 0
    state: SubscriptionState = SubscriptionState.ACTIVE
    previous_secret: EncryptedSecret | None = attrs.field(default=None, repr=False)
    previous_until: datetime | None = None
    # Failures in a row of the event at `after + 1`, since when, and what the last said.
    failures: int = 0
    failing_since: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    last_delivered_at: datetime | None = None
    disabled_at: datetime | None = None

    def wants(self, event: FeedEvent) -> bool:
        """Whether the event is one this subscription delivers."""
        return (not self.types or event.type in self.types) and (
            not self.store_ids or event.key.store_id in self.store_ids
        )

    def due(self, now: datetime) -> bool:
        """Active, and not waiting out a retry delay."""
        return self.state is SubscriptionState.ACTIVE and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )

    def signing_secrets(self, now: datetime) -> tuple[EncryptedSecret, ...]:
        """The secrets that sign now: the current one, and the previous during its overlap."""
        if self.previous_secret is not None and self.previous_until and now < self.previous_until:
            return (self.secret, self.previous_secret)
        return (self.secret,)

    def passed(self, seq: int) -> "Subscription":
        """Everything up to `seq` was delivered or is not wanted."""
        return attrs.evolve(self, after=max(self.after, seq))

    def delivered(self, seq: int, now: datetime) -> "Subscription":
        """The event at `seq` reached the subscriber: failures are over."""
        return attrs.evolve(
            self.passed(seq),
            failures=0,
            failing_since=None,
            next_attempt_at=None,
            last_delivered_at=now,
        )

    def failed(self, attempt: Attempt, now: datetime, policy: DeliveryPolicy) -> "Subscription":
        """The event after `after` was refused or could not be sent: retried on the policy's
        schedule, or the subscription disabled (410, or failing for `disable_after`)."""
        failures = self.failures + 1
        since = self.failing_since or now
        delay = max(policy.delay(failures), attempt.retry_after or timedelta(0))
        failing = attrs.evolve(
            self,
            failures=failures,
            failing_since=since,
            next_attempt_at=now + delay,
            last_error=attempt.described(),
        )
        if attempt.gone:
            return failing.disabled(now, "the subscriber answered 410 Gone")
        if now - since >= policy.disable_after:
            return failing.disabled(now, f"failing since {since.isoformat()}")
        return failing

    def disabled(self, now: datetime, why: str) -> "Subscription":
        """Stop delivering; `last_error` says why."""
        reason = f"disabled: {why}; last error: {self.last_error or 'none'}"
        return attrs.evolve(
            self,
            state=SubscriptionState.DISABLED,
            disabled_at=now,
            next_attempt_at=None,
            last_error=reason[:MAX_ERROR_LENGTH],
        )

    def enabled(self) -> "Subscription":
        """Deliver again, from where it stopped, at once."""
        return attrs.evolve(
            self,
            state=SubscriptionState.ACTIVE,
            failures=0,
            failing_since=None,
            next_attempt_at=None,
            disabled_at=None,
        )

    def rotated(
        self, secret: EncryptedSecret, now: datetime, policy: DeliveryPolicy
    ) -> "Subscription":
        """Sign with `secret` from now on, and with the old one too for the overlap."""
        return attrs.evolve(
            self,
            secret=secret,
            previous_secret=self.secret,
            previous_until=now + policy.rotation_overlap,
        )


def subscription_filters(
    types: Collection[str], store_ids: Collection[str]
) -> tuple[frozenset[EventType], frozenset[StoreId]]:
    """Event type names and store ids as a subscription holds them (ValidationFailed for a
    type that is no event type)."""
    allowed = {member.value: member for member in EventType}
    unknown = sorted(set(types) - set(allowed))
    if unknown:
        raise ValidationFailed(
            {"event_types": f"unknown {', '.join(unknown)}; one of {', '.join(allowed)}"}
        )
    return frozenset(allowed[name] for name in types), frozenset(StoreId(s) for s in store_ids)


def lanes(events: Sequence[FeedEvent], count: int) -> list[list[FeedEvent]]:
    """The events in at most `count` lanes, each in sequence, every order's events in one
    lane (orders dealt out by their first event): a lane's events go one after another,
    lanes side by side. One lane is the events as they are."""
    slot_of: dict[tuple[str, str, int], int] = {}
    dealt: list[list[FeedEvent]] = [[] for _ in range(max(1, count))]
    for event in events:
        order = (event.key.store_id, event.key.source, event.key.source_id)
        slot = slot_of.setdefault(order, len(slot_of) % len(dealt))
        dealt[slot].append(event)
    return [lane for lane in dealt if lane]


def settled(
    subscription: Subscription,
    events: Sequence[FeedEvent],
    attempts: Mapping[int, Attempt],
    now: datetime,
    policy: DeliveryPolicy,
) -> Subscription:
    """The subscription once `events` (in sequence, after its cursor) were sent in `lanes`
    until the first failure; `attempts` by sequence, of those sent. The cursor moves to the
    event before the first one not delivered, and a failure counts once (the first's): the
    next round sends again from there, so an event after it that was delivered may arrive
    twice (at least once, its id the key), while no event of the failed order after the
    failure was sent — no order's events overtake each other."""
    first = next(
        (index for index, event in enumerate(events) if not _got(attempts.get(event.seq))), None
    )
    if first is None:
        return subscription.delivered(events[-1].seq, now) if events else subscription
    if first:
        subscription = subscription.delivered(events[first - 1].seq, now)
    failures = [
        a for a in (attempts.get(e.seq) for e in events) if a is not None and not a.delivered
    ]
    # Lanes stop once any fails: the first not delivered may be one never sent.
    return subscription.failed(failures[0], now, policy) if failures else subscription


def _got(attempt: Attempt | None) -> bool:
    return attempt is not None and attempt.delivered
