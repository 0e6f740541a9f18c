"""How a check's findings become the store's webhook health; when trouble calls for a check;
how periodic runs are spread."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.webhook_health import (
    CheckFindings,
    WebhookHealth,
    WebhookState,
    deliveries_silent,
    health_after_check,
    spread_offset,
    time_into_period,
    trouble_since_check,
)
from shipcrowd_woo.domain.webhooks import Topic

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)


@pytest.mark.parametrize(
    ("findings", "state"),
    [
        (CheckFindings(), WebhookState.HEALTHY),
        (CheckFindings(disabled=frozenset({Topic.ORDER_UPDATED})), WebhookState.REPAIRED),
        (CheckFindings(missing=frozenset({Topic.ORDER_CREATED})), WebhookState.REPAIRED),
        (
            CheckFindings(
                disabled=frozenset({Topic.ORDER_UPDATED}),
                unrepaired=frozenset({Topic.ORDER_UPDATED}),
            ),
            WebhookState.DISABLED,
        ),
        (
            CheckFindings(
                missing=frozenset({Topic.ORDER_CREATED}),
                unrepaired=frozenset({Topic.ORDER_CREATED}),
            ),
            WebhookState.MISSING,
        ),
    ],
    ids=["all-kept", "reactivated", "recreated", "disabled-unrepaired", "missing-unrepaired"],
)
def test_a_check_leaves_the_state_its_findings_say(findings, state):
    health = health_after_check(WebhookHealth(), findings, T0)
    assert (health.state, health.since, health.checked_at) == (state, T0, T0)
    assert health.repaired_at == (T0 if state is WebhookState.REPAIRED else None)
    assert health.is_unhealthy == (state in (WebhookState.DISABLED, WebhookState.MISSING))


def test_a_state_that_continues_keeps_its_start():
    first = health_after_check(WebhookHealth(), CheckFindings(), T0)
    assert health_after_check(first, CheckFindings(), T1).since == T0


def test_trouble_counts_until_a_check_after_it():
    assert not trouble_since_check(WebhookHealth())
    assert trouble_since_check(WebhookHealth(trouble_at=T0))
    assert trouble_since_check(WebhookHealth(checked_at=T0, trouble_at=T1))
    assert not trouble_since_check(WebhookHealth(checked_at=T1, trouble_at=T0))


def test_silence_is_orders_changing_long_after_the_last_delivery_unchecked_since():
    hour = timedelta(hours=1)
    late = T0 + timedelta(hours=2)
    assert deliveries_silent(WebhookHealth(), late, T0, T0, hour)
    assert not deliveries_silent(WebhookHealth(), T0 + timedelta(minutes=30), T0, T0, hour)
    assert not deliveries_silent(WebhookHealth(checked_at=late), late, T0, T0, hour)
    assert not deliveries_silent(WebhookHealth(), None, T0, T0, hour)
    assert deliveries_silent(WebhookHealth(), late, None, T0, hour)


@given(st.text(max_size=40), st.integers(min_value=1, max_value=10**7))
def test_a_spread_offset_lies_within_its_period(key, seconds):
    period = timedelta(seconds=seconds)
    assert timedelta(0) <= spread_offset(key, period) < period


def test_many_stores_are_spread_over_the_period():
    """A thousand stores' daily runs fall into every hour of the day, none with a crowd."""
    day = timedelta(days=1)
    hours = [spread_offset(f"reconcile:store-{n}", day) // timedelta(hours=1) for n in range(1000)]
    counts = [hours.count(hour) for hour in range(24)]
    assert min(counts) > 0
    assert max(counts) < 3 * 1000 / 24


def test_the_time_into_a_period_counts_from_its_start():
    period = timedelta(hours=1)
    start = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert time_into_period(start, period) == timedelta(0)
    assert time_into_period(start + timedelta(minutes=20), period) == timedelta(minutes=20)
    assert time_into_period(start + timedelta(minutes=59), period) == timedelta(minutes=59)
    assert time_into_period(start + timedelta(minutes=60), period) == timedelta(0)
