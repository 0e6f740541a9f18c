"""Sync through the API: jobs queued with 202, run by the in-process worker, followed by
their id; sync logs and statistics."""

import threading
from datetime import timedelta

import pytest

from shipcrowd_woo.domain.errors import StoreUnavailable
from shipcrowd_woo.domain.site_index import RestStyle
from tests.apps import STORE_URL, make_api


def _sync(api, store_id, **body):
    return api.call("POST", f"/stores/{store_id}/sync/orders", json=body)


def test_order_sync_is_queued_then_completed_with_counts(api, installed):
    queued = _sync(api, installed["id"], mode="full")
    assert queued.status_code == 202
    job = queued.get_json()
    assert (job["state"], job["kind"], job["store_id"]) == (
        "queued",
        "sync_orders",
        installed["id"],
    )
    api.drain()
    done = api.call("GET", f"/sync/jobs/{job['id']}").get_json()
    assert done["state"] == "completed"
    assert done["attempts"] == 1
    assert done["result"]["created"] == len(api.sandbox.orders) == 60
    assert done["result"]["status"] == "completed"
    assert done["finished_at"] >= done["started_at"]
    again = _sync(api, installed["id"]).get_json()
    api.drain()
    incremental = api.call("GET", f"/sync/jobs/{again['id']}").get_json()
    assert incremental["result"]["created"] == 0


def test_single_order_sync(api, installed):
    order_id = next(iter(api.sandbox.orders))
    job = _sync(api, installed["id"], mode="single", order_id=order_id).get_json()
    api.drain()
    done = api.call("GET", f"/sync/jobs/{job['id']}").get_json()
    assert (done["state"], done["result"]["created"]) == ("completed", 1)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "single"}, "order_id"),
        ({"mode": "single", "order_id": 0}, "order_id"),
        ({"mode": "sometimes"}, "mode"),
        ({"mode": "full", "order_id": "7"}, "order_id"),
        ({"mode": "full", "extra": 1}, ""),
    ],
)
def test_bad_sync_requests_are_422(api, installed, body, field):
    response = _sync(api, installed["id"], **body)
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(error["field"] == field for error in errors), errors


def test_a_failing_store_fails_the_job_after_its_retries(api, installed):
    outage = StoreUnavailable(STORE_URL, "connection refused")
    api.stores.fail("order_pages", *[outage] * 4)
    job = _sync(api, installed["id"], mode="full").get_json()
    api.drain()
    failed = api.call("GET", f"/sync/jobs/{job['id']}").get_json()
    assert failed["state"] == "failed"
    assert failed["attempts"] == 4  # the first try and 3 retries
    assert "connection refused" in failed["error"]
    logs = api.call("GET", f"/stores/{installed['id']}/sync/logs?type=order").get_json()
    assert [log["status"] for log in logs["items"]] == ["failed"] * 4
    assert "connection refused" in logs["items"][0]["errors"][0]


def test_a_transient_failure_is_retried_and_then_succeeds(api, installed):
    api.stores.fail("order_pages", StoreUnavailable(STORE_URL, "timed out"))
    job = _sync(api, installed["id"], mode="full").get_json()
    api.drain()
    done = api.call("GET", f"/sync/jobs/{job['id']}").get_json()
    assert (done["state"], done["attempts"], done["error"]) == ("completed", 2, None)


def test_unknown_job_is_404(api):
    response = api.call("GET", "/sync/jobs/no-such-job")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_inventory_sync_pushes_warehouse_stock(api, installed):
    stocked = api.call("PUT", "/stock", json={"items": [{"sku": "W-00000", "quantity": 5}]})
    assert stocked.get_json() == {"recorded": 1}
    api.call(
        "POST",
        f"/stores/{installed['id']}/mappings",
        json={"woo_product_id": 10, "shipcrowd_sku": "W-00000"},
    )
    job = api.call("POST", f"/stores/{installed['id']}/sync/inventory", json={}).get_json()
    assert job["kind"] == "push_inventory"
    api.drain()
    done = api.call("GET", f"/sync/jobs/{job['id']}").get_json()
    assert (done["state"], done["result"]["synced"]) == ("completed", 1)
    assert api.sandbox.products[10]["stock_quantity"] == 5


@pytest.mark.parametrize("skus", ["ABC", {"X": 1}, [1], True, "", [["A"]]])
def test_skus_to_push_must_be_a_list_of_text(api, installed, skus):
    """Issue 14, point 6: "ABC" was pushed as ["A", "B", "C"] and {"X": 1} as ["X"]."""
    path = f"/stores/{installed['id']}/sync/inventory"
    response = api.call("POST", path, json={"skus": skus})
    assert response.status_code == 422, response.get_json()
    fields = [error["field"] for error in response.get_json()["errors"]]
    assert all(field.startswith("skus") for field in fields), fields


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"sku": "A", "quantity": "5"}]}, "items[0].quantity"),
        ({"items": [{"quantity": 5}]}, "items[0].sku"),
        ({}, "items"),
        ({"items": [{"sku": "A", "quantity": 1.5}]}, "items[0].quantity"),
        ({"items": {"sku": "A", "quantity": 1}}, "items"),
        ({"items": "AB"}, "items"),
        ({"items": [{"sku": "A\ud800", "quantity": 1}]}, "items[0].sku"),
        ({"items": [{"sku": "A\u0000", "quantity": 1}]}, "items[0].sku"),
    ],
)
def test_bad_stock_reports_are_422_with_the_path(api, body, field):
    """(A lone surrogate in a SKU reached the database driver as a 500: issue 14, point 4.)"""
    response = api.call("PUT", "/stock", json=body)
    assert response.status_code == 422
    assert field in [error["field"] for error in response.get_json()["errors"]]


def test_sync_logs_are_paginated_and_filtered(api, installed):
    for _ in range(3):
        _sync(api, installed["id"], mode="full")
        api.drain()
    path = f"/stores/{installed['id']}/sync"
    page = api.call("GET", f"{path}/logs?limit=2").get_json()
    assert (page["total"], len(page["items"])) == (3, 2)
    assert page["items"][0]["started_at"] >= page["items"][1]["started_at"]
    assert api.call("GET", f"{path}/logs?type=inventory").get_json()["total"] == 0
    bad = api.call("GET", f"{path}/logs?type=everything")
    assert bad.status_code == 422
    stats = api.call("GET", f"{path}/stats?type=order").get_json()
    assert stats["runs"] == 3
    assert stats["by_status"]["completed"] == 3
    assert stats["success_rate"] == 1.0


class _StuckStores:
    """Store clients whose order listing never ends (Python keeps running, so Dramatiq's
    time limit can interrupt it)."""

    def __init__(self, stores):
        self._stores = stores
        self.discover = stores.discover

    def __call__(self, url, key, secret, rest_style=RestStyle.PRETTY):
        client = self._stores(url, key, secret, rest_style)

        def stuck(**_):
            while True:
                threading.Event().wait(0.01)
            yield from ()

        client.order_pages = stuck
        return client


def test_a_job_over_its_time_limit_is_retried_then_failed(migrated_sqlite_template, tmp_path):
    api = make_api(
        migrated_sqlite_template,
        tmp_path,
        clients=_StuckStores,
        job_time_limit=timedelta(milliseconds=200),
        job_max_retries=1,
    )
    try:
        store = api.install()
        job = _sync(api, store["id"], mode="full").get_json()
        api.drain()
        failed = api.call("GET", f"/sync/jobs/{job['id']}").get_json()
    finally:
        api.close()
    assert (failed["state"], failed["attempts"]) == ("failed", 2)
    assert "time limit" in failed["error"]


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [("PUT", "/stock", "member"), ("PUT", "/stock", "admin"), ("POST", "/install", "admin")],
)
def test_json_nested_past_the_recursion_limit_is_400_not_500(api, method, path, role):
    """Issue 14, point 4: deep nesting made get_json(silent=True) raise RecursionError (500),
    and a member's token was enough. 30,000 levels fit the body limit and pass the
    interpreter's recursion limit many times over."""
    body = b'{"items": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
    response = api.call(
        method, path, role=role, data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["detail"] == "the body is nested too deeply"
