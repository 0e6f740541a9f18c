"""The sync log state machine and statistics over logs."""

from datetime import UTC, datetime, timedelta

import pytest

from shipcrowd_woo.domain.errors import InvalidTransition
from shipcrowd_woo.domain.ids import CompanyId, StoreId, SyncLogId
from shipcrowd_woo.domain.sync_log import (
    MAX_ERROR_LENGTH,
    MAX_ERRORS_KEPT,
    SyncStatus,
    SyncType,
    fail_sync,
    finish_sync,
    record_items,
    start_sync,
    summarise,
)

T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)


def started(log_id: str = "l1"):
    return start_sync(SyncLogId(log_id), CompanyId("c"), StoreId("s"), SyncType.ORDER, T0)


def test_a_run_without_failures_completes():
    """Synced and skipped items only: COMPLETED, with counts and duration."""
    log = record_items(started(), synced=3, skipped=2)
    log = record_items(log, synced=1)
    done = finish_sync(log, T0 + timedelta(seconds=7))
    assert done.status is SyncStatus.COMPLETED
    assert (done.processed, done.synced, done.skipped, done.failed) == (6, 4, 2, 0)
    assert done.duration == timedelta(seconds=7)


def test_a_run_with_some_failures_is_partial():
    """Some items failed, others did not: PARTIAL, not FAILED."""
    log = record_items(started(), synced=9, failed=1, errors=["order 7: total is missing"])
    done = finish_sync(log, T0)
    assert done.status is SyncStatus.PARTIAL
    assert done.errors == ("order 7: total is missing",)


def test_a_run_where_every_item_failed_is_failed():
    """Nothing got through: FAILED."""
    assert finish_sync(record_items(started(), failed=2), T0).status is SyncStatus.FAILED


def test_a_run_that_breaks_is_failed_with_its_reason():
    """The store went away: FAILED, the reason kept."""
    done = fail_sync(record_items(started(), synced=5), T0, "store unavailable")
    assert done.status is SyncStatus.FAILED
    assert done.errors == ("store unavailable",)
    assert done.synced == 5


@pytest.mark.parametrize("end", [finish_sync, lambda log, now: fail_sync(log, now, "x")])
def test_an_ended_run_cannot_end_again_or_count_more(end):
    """Final states are final."""
    done = end(started(), T0)
    with pytest.raises(InvalidTransition):
        finish_sync(done, T0)
    with pytest.raises(InvalidTransition):
        record_items(done, synced=1)


def test_errors_are_bounded_in_number_and_length():
    """Only the first 100 messages are kept, each cut to 500 characters; the rest are counted."""
    log = record_items(started(), failed=150, errors=["e" * 1000] * 150)
    assert len(log.errors) == MAX_ERRORS_KEPT
    assert {len(message) for message in log.errors} == {MAX_ERROR_LENGTH}
    assert log.errors_dropped == 50


def test_negative_counts_are_refused():
    """A count below zero is a bug in the caller."""
    with pytest.raises(ValueError, match="negative"):
        record_items(started(), synced=-1)


def test_a_clock_that_went_backwards_gives_no_negative_duration():
    """An end before the start is clamped to the start."""
    assert finish_sync(started(), T0 - timedelta(hours=1)).duration == timedelta(0)


def test_statistics_over_logs():
    """Counts per status, item totals, success rates and the average duration."""
    logs = [
        finish_sync(record_items(started("a"), synced=10), T0 + timedelta(seconds=10)),
        finish_sync(record_items(started("b"), synced=8, failed=2), T0 + timedelta(seconds=20)),
        fail_sync(started("c"), T0 + timedelta(seconds=30), "down"),
        started("d"),
    ]
    stats = summarise(logs)
    assert stats.runs == 4
    assert stats.finished_runs == 3
    assert stats.by_status[SyncStatus.COMPLETED] == 1
    assert stats.success_rate == pytest.approx(1 / 3)
    assert stats.item_success_rate == pytest.approx(18 / 20)
    assert stats.average_duration == timedelta(seconds=20)


def test_statistics_over_no_logs_have_no_rates():
    """With nothing run, rates are unknown rather than zero."""
    stats = summarise([])
    assert (stats.runs, stats.success_rate, stats.item_success_rate) == (0, None, None)
