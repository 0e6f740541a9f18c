"""Issue 15 over the management API: asking for a webhook check and a reconciliation, the
store's webhook health, and the metrics that watch it."""

from shipcrowd_woo.domain.errors import StoreUnavailable
from tests.apps import OTHER_COMPANY


def _disable(api, topic):
    [record] = [w for w in api.sandbox.webhooks.values() if w.topic == topic]
    record.status = "disabled"


def _finished(api, job_id):
    job = api.call("GET", f"/sync/jobs/{job_id}")
    assert job.status_code == 200
    return job.get_json()


def test_a_check_asked_for_repairs_records_the_health_and_imports_what_was_missed(api, installed):
    store_id = installed["id"]
    assert installed["webhooks"]["health"] == "unchecked"
    _disable(api, "order.updated")
    queued = api.call("POST", f"/stores/{store_id}/webhooks/check")
    assert queued.status_code == 202, queued.get_json()
    api.drain()
    job = _finished(api, queued.get_json()["id"])
    assert job["state"] == "completed"
    assert job["result"]["health"] == "repaired"
    assert job["result"]["reactivated"] == 1
    follow_up = _finished(api, job["result"]["sync_job_id"])
    assert follow_up["kind"] == "sync_orders"
    assert follow_up["state"] == "completed"
    assert all(w.status == "active" for w in api.sandbox.webhooks.values())

    webhooks = api.call("GET", f"/stores/{store_id}").get_json()["webhooks"]
    assert webhooks["health"] == "repaired"
    assert webhooks["repaired_at"] == webhooks["checked_at"] is not None
    listed = api.call("GET", "/stores").get_json()["items"][0]["webhooks"]
    assert listed == webhooks
    logs = api.call("GET", f"/stores/{store_id}/sync/logs?type=webhook").get_json()["items"]
    assert [(log["status"], log["synced"]) for log in logs] == [("completed", 1)]

    metrics = api.client.get("/metrics").get_data(as_text=True)
    assert 'shipcrowd_woo_webhook_repairs_total{action="reactivated"} 1.0' in metrics
    assert "shipcrowd_woo_stores_with_unhealthy_webhooks 0.0" in metrics


def test_a_webhook_the_store_will_not_reactivate_shows_as_disabled_in_the_gauge(api, installed):
    _disable(api, "order.created")
    api.stores.fail("activate_webhook", *[StoreUnavailable("shop", "PUT webhooks: 503")] * 4)
    queued = api.call("POST", f"/stores/{installed['id']}/webhooks/check")
    api.drain()
    job = _finished(api, queued.get_json()["id"])
    assert job["result"]["health"] == "disabled"
    store = api.call("GET", f"/stores/{installed['id']}").get_json()
    assert store["webhooks"]["health"] == "disabled"
    metrics = api.client.get("/metrics").get_data(as_text=True)
    assert "shipcrowd_woo_stores_with_unhealthy_webhooks 1.0" in metrics


def test_a_reconciliation_asked_for_runs_as_a_job_with_its_sync_log(api, installed):
    store_id = installed["id"]
    api.call("POST", f"/stores/{store_id}/sync/orders", json={"mode": "full"})
    api.drain()
    [gone] = list(api.sandbox.orders)[:1]
    del api.sandbox.orders[gone]
    queued = api.call("POST", f"/stores/{store_id}/sync/reconcile")
    assert queued.status_code == 202
    api.drain()
    job = _finished(api, queued.get_json()["id"])
    assert job["kind"] == "reconcile_orders"
    assert job["state"] == "completed"
    assert job["result"]["marked_deleted"] == 1
    logs = api.call("GET", f"/stores/{store_id}/sync/logs?type=order").get_json()["items"]
    [reconciliation] = [log for log in logs if log["id"] == job["result"]["sync_log_id"]]
    assert reconciliation["status"] == "completed"


def test_another_companys_store_cannot_be_checked_or_reconciled(api, installed):
    for path in ("webhooks/check", "sync/reconcile"):
        answer = api.call("POST", f"/stores/{installed['id']}/{path}", OTHER_COMPANY)
        assert answer.status_code == 404
