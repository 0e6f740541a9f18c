"""Store management through the API: install, list, read, test, pause, resume, credentials,
webhooks, disconnect — and every way a request can be wrong."""

import io

import pytest

from shipcrowd_woo.domain.errors import StoreUnavailable
from tests.apps import OTHER_COMPANY, STORE_URL


def test_install_answers_the_store_without_its_secrets(api):
    response = api.call(
        "POST",
        "/install",
        json={"store_url": STORE_URL + "/", "consumer_key": api.key, "consumer_secret": api.secret},
    )
    assert response.status_code == 201
    body = response.get_json()
    text = response.get_data(as_text=True)
    assert api.secret not in text
    assert api.key not in text
    assert body["store"]["consumer_key"] == f"{api.key[:3]}…{api.key[-4:]}"
    assert body["store"]["url"] == STORE_URL
    assert body["store"]["wc_version"] == "10.0.2"
    assert len(body["webhooks"]["created"]) == 8
    assert body["reconnected"] is False


def test_installing_a_connected_store_again_is_409(api, installed):
    response = api.call(
        "POST",
        "/install",
        json={"store_url": STORE_URL, "consumer_key": api.key, "consumer_secret": api.secret},
    )
    assert response.status_code == 409
    assert response.get_json()["type"].endswith("/conflict")


def test_install_with_rejected_credentials_is_422_and_stores_nothing(api):
    response = api.call(
        "POST",
        "/install",
        json={"store_url": STORE_URL, "consumer_key": api.key, "consumer_secret": "cs_wrong"},
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"].endswith("/store-credentials-rejected")
    assert "cs_wrong" not in response.get_data(as_text=True)
    assert api.call("GET", "/stores").get_json()["total"] == 0


def test_install_where_no_store_answers_is_422(api):
    api.stores.fail("system_status", StoreUnavailable(STORE_URL, "connection refused"))
    response = api.call(
        "POST",
        "/install",
        json={"store_url": STORE_URL, "consumer_key": api.key, "consumer_secret": api.secret},
    )
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/store-unreachable")
    assert "connection refused" in response.get_json()["detail"]


def test_a_connected_store_that_is_down_is_502(api, installed):
    api.stores.fail("system_status", StoreUnavailable(STORE_URL, "connection refused"))
    response = api.call("POST", f"/stores/{installed['id']}/test")
    assert response.status_code == 502
    assert response.get_json()["type"].endswith("/store-unavailable")


def test_install_validation_lists_every_bad_field(api):
    response = api.call(
        "POST",
        "/install",
        json={"store_url": 42, "consumer_secret": True, "colour": "red"},
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"].endswith("/validation-error")
    fields = {error["field"]: error["message"] for error in problem["errors"]}
    assert fields["store_url"] == "must be text"
    assert fields["consumer_key"] == "is required"
    assert fields["consumer_secret"] == "must be text"
    assert "colour" in next(m for m in fields.values() if "unknown" in m)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://shop.example.com", "http"),
        ("https://", "host"),
        ("https://admin:pw@shop.example.com", "password"),
        ("https://shop.example.com/?a=1", "query"),
        ("https://shop example.com", "spaces"),
    ],
)
def test_install_refuses_bad_or_unsafe_urls(api, url, message):
    response = api.call(
        "POST",
        "/install",
        json={"store_url": url, "consumer_key": "ck_x", "consumer_secret": "cs_x"},
    )
    assert response.status_code == 422, response.get_json()
    [error] = response.get_json()["errors"]
    assert error["field"] == "store_url"
    assert message in error["message"].lower()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "kind"),
    [
        (b"{not json", "application/json", 400, "bad-request"),
        (b'["a list"]', "application/json", 422, "validation-error"),
        (b"store_url=x", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (b"{}", "text/plain", 415, "unsupported-media-type"),
    ],
)
def test_malformed_bodies_are_problems(api, body, content_type, status, kind):
    response = api.call("POST", "/install", data=body, content_type=content_type)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith(f"/{kind}")


def test_an_oversized_body_is_413(api):
    big = b'{"store_url": "' + b"x" * (70 * 1024) + b'"}'
    response = api.call("POST", "/install", data=big, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["type"].endswith("/payload-too-large")


def test_an_oversized_body_sent_chunked_is_413(api):
    response = api.call(
        "POST",
        "/install",
        input_stream=io.BytesIO(b'{"store_url": "' + b"x" * (70 * 1024) + b'"}'),
        headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        # What gunicorn and werkzeug's server say of a chunked body they have de-chunked.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


def test_list_is_paginated(api):
    for n in range(3):
        url = f"https://shop{n}.example.com"
        api.install(url=url, credentials=api.stores.add(url, api.sandbox))
    first = api.call("GET", "/stores?limit=2").get_json()
    second = api.call("GET", "/stores?limit=2&offset=2").get_json()
    assert (first["total"], len(first["items"]), first["limit"]) == (3, 2, 2)
    assert (second["offset"], len(second["items"])) == (2, 1)
    ids = {s["id"] for s in first["items"]} | {s["id"] for s in second["items"]}
    assert len(ids) == 3


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "offset=-1", "offset=1e3"])
def test_bad_pagination_is_422(api, query):
    response = api.call("GET", f"/stores?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] in ("limit", "offset")


def test_get_test_pause_resume(api, installed):
    path = f"/stores/{installed['id']}"
    assert api.call("GET", path).get_json() == installed
    tested = api.call("POST", f"{path}/test")
    assert tested.status_code == 200
    assert tested.get_json()["wc_version"] == "10.0.2"
    assert api.call("POST", f"{path}/pause").get_json()["is_paused"] is True
    assert api.call("GET", path).get_json()["is_paused"] is True
    assert api.call("POST", f"{path}/resume").get_json()["is_paused"] is False


def test_unknown_store_is_404(api):
    for method, suffix in (("GET", ""), ("POST", "/test"), ("POST", "/pause")):
        response = api.call(method, f"/stores/no-such-store{suffix}")
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_connection_test_reports_a_rejected_key(api, installed):
    store, _, _ = api.stores.stores[STORE_URL]
    key, secret = store.create_api_key()
    api.stores.stores[STORE_URL] = (store, key, secret)
    response = api.call("POST", f"/stores/{installed['id']}/test")
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/store-credentials-rejected")


def test_credentials_are_replaced_only_when_the_new_ones_work(api, installed):
    store, _, _ = api.stores.stores[STORE_URL]
    key, secret = store.create_api_key()
    path = f"/stores/{installed['id']}/credentials"
    refused = api.call("PUT", path, json={"consumer_key": key, "consumer_secret": "cs_nope"})
    assert refused.status_code == 422
    assert (
        api.call("GET", f"/stores/{installed['id']}")
        .get_json()["consumer_key"]
        .endswith(api.key[-4:])
    )
    api.stores.stores[STORE_URL] = (store, key, secret)
    replaced = api.call("PUT", path, json={"consumer_key": key, "consumer_secret": secret})
    assert replaced.status_code == 200
    assert replaced.get_json()["consumer_key"] == f"{key[:3]}…{key[-4:]}"
    assert secret not in replaced.get_data(as_text=True)
    missing = api.call("PUT", path, json={})
    assert {e["field"] for e in missing.get_json()["errors"]} == {
        "consumer_key",
        "consumer_secret",
    }


def test_webhook_registration_is_idempotent(api, installed):
    path = f"/stores/{installed['id']}/webhooks/register"
    again = api.call("POST", path).get_json()
    assert len(again["kept"]) == 8
    assert again["created"] == [] == again["failed"]
    hook = next(iter(api.sandbox.webhooks.values()))
    api.sandbox.webhooks.pop(hook.id)
    repaired = api.call("POST", path).get_json()
    assert len(repaired["created"]) == 1


def test_disconnect_deactivates_and_removes_webhooks(api, installed):
    response = api.call("DELETE", f"/stores/{installed['id']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["is_active"] is False
    assert body["uninstalled_at"] is not None
    assert api.sandbox.webhooks == {}
    assert api.call("GET", f"/stores/{installed['id']}").get_json()["is_active"] is False


def test_unknown_routes_and_methods_are_problems(api, installed):
    missing = api.call("GET", "/nowhere")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"
    wrong = api.call("PATCH", f"/stores/{installed['id']}")
    assert wrong.status_code == 405
    assert wrong.mimetype == "application/problem+json"
    assert "GET" in wrong.headers["Allow"]


def test_settings_change_what_the_body_names_and_show_on_the_store(api, installed):
    """Issue 18, section 3: PATCH /stores/{id}/settings changes only what it names; the
    store's view shows every setting."""
    path = f"/stores/{installed['id']}/settings"
    response = api.call(
        "PATCH",
        path,
        json={
            "order_sync": {"interval_minutes": 60, "overlap_minutes": 10, "auto_sync": False},
            "inventory_sync": {
                "auto_sync": False,
                "buffer": "10%",
                "maximum": 40,
                "warehouses": ["north", " south "],
            },
            "fulfilment": {"notify_customer": False},
        },
    )
    assert response.status_code == 200
    shown = api.call("GET", f"/stores/{installed['id']}").get_json()
    assert shown == response.get_json()
    assert shown["order_sync"] == {
        "enabled": True,
        "auto_sync": False,
        "interval_minutes": 60,
        "overlap_minutes": 10,
    }
    assert shown["inventory_sync"] == {
        "enabled": True,
        "auto_sync": False,
        "limits": {"buffer": "10%", "floor": None, "maximum": 40},
        "warehouses": ["north", "south"],
    }
    every = api.call("PATCH", path, json={"inventory_sync": {"warehouses": []}}).get_json()
    assert every["inventory_sync"]["warehouses"] is None
    assert shown["fulfilment"] == {"complete_on_ship": True, "notify_customer": False}
    unchanged = api.call("PATCH", path, json={}).get_json()
    assert unchanged == every


def test_bad_settings_are_422_listing_every_bad_field_and_change_nothing(api, installed):
    path = f"/stores/{installed['id']}/settings"
    before = api.call("GET", f"/stores/{installed['id']}").get_json()
    out_of_range = api.call(
        "PATCH",
        path,
        json={
            "order_sync": {"interval_minutes": 4, "overlap_minutes": -1, "enabled": False},
        },
    )
    assert out_of_range.status_code == 422
    assert out_of_range.mimetype == "application/problem+json"
    assert {e["field"] for e in out_of_range.get_json()["errors"]} == {
        "order_sync.interval_minutes",
        "order_sync.overlap_minutes",
    }
    too_long = api.call("PATCH", path, json={"order_sync": {"interval_minutes": 24 * 60 + 1}})
    assert too_long.status_code == 422
    wrong_types = api.call(
        "PATCH",
        path,
        json={"order_sync": {"interval_minutes": "hourly"}, "fulfilment": {"notify": True}},
    )
    assert wrong_types.status_code == 422
    assert {(e["field"], e["message"]) for e in wrong_types.get_json()["errors"]} == {
        ("order_sync.interval_minutes", "must be a whole number"),
        ("fulfilment", "unknown field(s): notify"),
    }
    bad_limits = api.call(
        "PATCH",
        path,
        json={
            "inventory_sync": {
                "buffer": "150%",
                "floor": -2,
                "maximum": True,
                "warehouses": ["north", "  "],
            }
        },
    )
    assert bad_limits.status_code == 422
    assert {e["field"] for e in bad_limits.get_json()["errors"]} == {
        "inventory_sync.buffer",
        "inventory_sync.floor",
        "inventory_sync.maximum",
        "inventory_sync.warehouses",
    }
    assert api.call("GET", f"/stores/{installed['id']}").get_json() == before


def test_settings_are_for_admins_of_the_company_that_owns_the_store(api, installed):
    path = f"/stores/{installed['id']}/settings"
    change = {"order_sync": {"interval_minutes": 30}}
    assert api.call("PATCH", path, role="member", json=change).status_code == 403
    assert api.call("PATCH", path, company=OTHER_COMPANY, json=change).status_code == 404
    shown = api.call("GET", f"/stores/{installed['id']}").get_json()
    assert shown["order_sync"]["interval_minutes"] == 15
