"""State changes of stores and jobs as domain functions (issue 20, point 6): each move the
rules allow, and the moves they refuse."""

from datetime import timedelta

import pytest

from shipcrowd_woo.domain.errors import InvalidTransition
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import (
    JobRecord,
    JobState,
    SyncMode,
    SyncOrders,
    attempt_failed,
    completed,
    started,
)
from shipcrowd_woo.domain.site_index import RestStyle, SiteIndex
from shipcrowd_woo.domain.store import disconnected, moved, paused, reconnected, resumed
from shipcrowd_woo.domain.woo_catalog import SystemStatus
from tests.builders import T0, make_store, sealed

STATUS = SystemStatus("https://shop.example.com", "10.1.0", "6.9", " eur ", 2, "Europe/Prague")


def _job() -> JobRecord:
    store = make_store()
    job = SyncOrders(store.company_id, store.id, SyncMode.FULL)
    return JobRecord(JobId("j-1"), store.company_id, job, JobState.QUEUED, T0)


def test_a_job_runs_attempt_by_attempt_to_one_end():
    first = started(_job(), T0)
    assert (first.state, first.attempts, first.started_at) == (JobState.RUNNING, 1, T0)
    again = attempt_failed(first, T0, "StoreUnavailable: down" + "x" * 600, retry=True)
    assert (again.state, again.finished_at, len(again.error or "")) == (JobState.QUEUED, None, 500)
    second = started(again, T0 + timedelta(seconds=15))
    done = completed(second, T0 + timedelta(seconds=16), {"created": 3})
    assert (done.state, done.attempts, done.error, done.summary) == (
        JobState.COMPLETED,
        2,
        None,
        {"created": 3},
    )
    with pytest.raises(InvalidTransition):
        started(done, T0)
    with pytest.raises(InvalidTransition):
        completed(again, T0, {})
    gave_up = attempt_failed(started(again, T0), T0, "AuthenticationFailed", retry=False)
    assert (gave_up.state, gave_up.finished_at) == (JobState.FAILED, T0)


def test_a_job_whose_worker_died_mid_attempt_starts_its_next_attempt():
    running = started(_job(), T0)
    assert started(running, T0).attempts == 2


def test_only_a_connected_store_pauses_and_resumes():
    store = make_store()
    assert paused(store).is_paused
    assert not resumed(paused(store)).is_paused
    gone = disconnected(store, T0)
    assert (gone.is_active, gone.uninstalled_at) == (False, T0)
    for change in (paused, resumed):
        with pytest.raises(InvalidTransition, match="install it again"):
            change(gone)


def test_installing_a_disconnected_store_again_reconnects_it_with_what_was_tested():
    gone = paused(make_store())
    gone = disconnected(gone, T0)
    site = SiteIndex("https://shop.example.com", "Shop", ("wc/v3",), RestStyle.QUERY)
    back = reconnected(gone, STATUS, sealed("k2"), sealed("s2"), "  ", site)
    assert (back.is_active, back.is_paused, back.uninstalled_at) == (True, False, None)
    assert (back.currency, back.wc_version, back.name) == ("EUR", "10.1.0", gone.name)
    assert (back.rest_style, back.namespaces) == (RestStyle.QUERY, ("wc/v3",))
    away = moved(back, "https://www.shop.example.com", site)
    assert away.url == "https://www.shop.example.com"
