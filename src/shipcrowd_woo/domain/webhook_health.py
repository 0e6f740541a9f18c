"""How a store's webhooks stand, and when to look at them again.

WooCommerce disables a webhook after more than five failed deliveries in a row and tells
nobody; from then on every change of that kind reaches us only through the periodic import.
So the webhooks are checked on a schedule, and at once on evidence of trouble: an import that
found changes no delivery announced, or deliveries silent while the store's orders changed.
"""

import enum
import math
import zlib
from datetime import UTC, datetime, timedelta

import attrs

from shipcrowd_woo.domain.webhooks import Topic


class WebhookState(enum.Enum):
    """What the last check found."""

    UNCHECKED = "unchecked"
    HEALTHY = "healthy"
    # Some were disabled by the store or missing, and the check put them right.
    REPAIRED = "repaired"
    # The store disabled one and it could not be reactivated.
    DISABLED = "disabled"
    # One is missing at the store and could not be created.
    MISSING = "missing"


UNHEALTHY = frozenset({WebhookState.DISABLED, WebhookState.MISSING})


@attrs.frozen
class WebhookHealth:
    """The webhooks' state since `since`, as of the check at `checked_at`; the last repair;
    and the newest evidence of trouble (kept until a check after it)."""

    state: WebhookState = WebhookState.UNCHECKED
    since: datetime | None = None
    checked_at: datetime | None = None
    repaired_at: datetime | None = None
    trouble_at: datetime | None = None
    trouble: str = ""

    @property
    def is_unhealthy(self) -> bool:
        """A webhook is disabled or missing and the last check could not mend it."""
        return self.state in UNHEALTHY


@attrs.frozen
class CheckFindings:
    """What a check found at the store and what it could not put right."""

    disabled: frozenset[Topic] = frozenset()
    missing: frozenset[Topic] = frozenset()
    unrepaired: frozenset[Topic] = frozenset()


def health_after_check(
    previous: WebhookHealth, findings: CheckFindings, now: datetime
) -> WebhookHealth:
    """The health a check leaves: trouble it could not mend wins, then repairs."""
    if findings.disabled & findings.unrepaired:
        state = WebhookState.DISABLED
    elif findings.missing & findings.unrepaired:
        state = WebhookState.MISSING
    elif findings.disabled or findings.missing:
        state = WebhookState.REPAIRED
    else:
        state = WebhookState.HEALTHY
    repaired = state is WebhookState.REPAIRED
    continuing = previous.state is state and not repaired and previous.since is not None
    return attrs.evolve(
        previous,
        state=state,
        since=previous.since if continuing else now,
        checked_at=now,
        repaired_at=now if repaired else previous.repaired_at,
    )


def trouble_since_check(health: WebhookHealth) -> bool:
    """Evidence of trouble arrived after the last check (or there was never a check)."""
    if health.trouble_at is None:
        return False
    return health.checked_at is None or health.trouble_at > health.checked_at


def deliveries_silent(
    health: WebhookHealth,
    newest_change: datetime | None,
    last_delivery: datetime | None,
    installed_at: datetime,
    silence: timedelta,
) -> bool:
    """The store's orders changed more than `silence` after the last delivery (or the
    install, before any) and no check has looked since that change."""
    if newest_change is None:
        return False
    heard = last_delivery or installed_at
    unchecked = health.checked_at is None or newest_change > health.checked_at
    return unchecked and newest_change - heard > silence


def spread_offset(key: str, period: timedelta) -> timedelta:
    """A stable offset within `period` for `key`: runs of many stores are spread over the
    period instead of all starting together."""
    fraction = zlib.crc32(key.encode()) / 2**32
    return timedelta(seconds=math.floor(period.total_seconds() * fraction))


def time_into_period(now: datetime, period: timedelta) -> timedelta:
    """How long ago the period holding `now` began (periods counted from the epoch). A run
    claimed for this span happens once per period however late the ticks that claim it."""
    elapsed = now - datetime(1970, 1, 1, tzinfo=UTC)
    return elapsed % period
