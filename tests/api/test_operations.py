"""Liveness, readiness, Prometheus metrics and the OpenAPI document."""

import re

from prometheus_client.parser import text_string_to_metric_families

from shipcrowd_woo.entrypoints.api.intake import ROUTE
from shipcrowd_woo.entrypoints.api.openapi import openapi_document
from tests.apps import make_api


def test_healthz_answers_without_authentication(api):
    response = api.client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_checks_the_database(api, tmp_path):
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "broker": "ok"}
    database = tmp_path / "api.sqlite3"
    database.unlink()
    database.mkdir()  # the file is gone and cannot be created again
    api.services.engine.dispose()
    broken = api.client.get("/readyz")
    assert broken.status_code == 503
    assert broken.mimetype == "application/problem+json"
    assert broken.get_json()["checks"] == {"database": "unavailable", "broker": "ok"}


def test_readyz_checks_the_broker(migrated_sqlite_template, tmp_path):
    api = make_api(migrated_sqlite_template, tmp_path, redis_url="redis://127.0.0.1:9/0")
    try:
        response = api.client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"] == {"database": "ok", "broker": "unavailable"}
    finally:
        api.close()


def _metric(text, name, **labels):
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def test_metrics_count_what_happened(api, installed):
    api.call("POST", f"/stores/{installed['id']}/sync/orders", json={"mode": "full"})
    api.call("POST", f"/stores/{installed['id']}/sync/orders", json={"mode": "full"})
    before = api.client.get("/metrics").get_data(as_text=True)
    assert _metric(before, "shipcrowd_woo_queue_depth") == 2
    assert _metric(before, "shipcrowd_woo_feed_events_kept") == 0
    api.drain()
    api.client.post("/webhooks/woocommerce/order/created", data=b"webhook_id=1")
    api.client.post("/webhooks/woocommerce/order/created", data=b"{}")
    response = api.client.get("/metrics")
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert _metric(text, "shipcrowd_woo_queue_depth") == 0
    assert _metric(text, "shipcrowd_woo_sync_runs_total", type="order", status="completed") == 2
    assert _metric(text, "shipcrowd_woo_orders_total", outcome="imported") == 60
    assert _metric(text, "shipcrowd_woo_orders_total", outcome="skipped") == 60
    # Issue 31: the first import published each order once, the second none.
    assert _metric(text, "shipcrowd_woo_feed_events_kept") == 60
    assert _metric(text, "shipcrowd_woo_jobs_total", kind="sync_orders", state="completed") == 2
    assert (
        _metric(
            text, "shipcrowd_woo_webhook_deliveries_total", topic="order.created", result="ping"
        )
        == 1
    )
    assert (
        _metric(
            text,
            "shipcrowd_woo_webhook_deliveries_total",
            topic="order.created",
            result="refused_401",
        )
        == 1
    )
    assert _metric(text, "shipcrowd_woo_webhook_intake_seconds_count") == 2


def test_the_openapi_document_describes_every_route(api):
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document == openapi_document()
    assert document["openapi"] == "3.1.0"
    described = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = {
        (re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in api.app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    served.add((ROUTE, "POST"))  # served in front of Flask (api/intake.py)
    assert served == described
