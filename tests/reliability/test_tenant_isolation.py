"""Tenant isolation with effects checked: company B's token on company A's stores, mappings,
logs and jobs gets 404 and changes nothing; a member's token on admin routes gets 403 and
changes nothing."""

import pytest

from tests.apps import OTHER_COMPANY

CREDENTIALS = {"consumer_key": "ck_from_b", "consumer_secret": "cs_from_b"}


@pytest.fixture
def company_a(api, installed):
    store = installed["id"]
    api.call("PUT", "/stock", json={"items": [{"sku": "W-00000", "quantity": 3}]})
    mapping = api.call(
        "POST", f"/stores/{store}/mappings", json={"woo_product_id": 10, "shipcrowd_sku": "W-00000"}
    ).get_json()
    job = api.call("POST", f"/stores/{store}/sync/orders", json={"mode": "full"}).get_json()
    api.drain()
    return {"store": store, "mapping": mapping["id"], "job": job["id"]}


def _routes(ids):
    store, mapping, job = ids["store"], ids["mapping"], ids["job"]
    return [
        ("GET", f"/stores/{store}", None),
        ("POST", f"/stores/{store}/test", None),
        ("POST", f"/stores/{store}/pause", None),
        ("POST", f"/stores/{store}/resume", None),
        ("DELETE", f"/stores/{store}", None),
        (
            "PUT",
            f"/stores/{store}/credentials",
            {"consumer_key": "ck_b", "consumer_secret": "cs_b"},
        ),
        ("POST", f"/stores/{store}/webhooks/register", None),
        ("POST", f"/stores/{store}/sync/orders", {"mode": "full"}),
        ("POST", f"/stores/{store}/sync/inventory", {}),
        ("GET", f"/stores/{store}/sync/logs", None),
        ("GET", f"/stores/{store}/sync/stats", None),
        ("GET", f"/sync/jobs/{job}", None),
        ("POST", f"/stores/{store}/mappings/auto", None),
        ("GET", f"/stores/{store}/mappings", None),
        ("POST", f"/stores/{store}/mappings", {"woo_product_id": 11, "shipcrowd_sku": "B"}),
        ("GET", f"/stores/{store}/mappings/stats", None),
        ("GET", f"/stores/{store}/mappings/export", None),
        ("POST", f"/mappings/{mapping}/toggle", {"active": False}),
        ("DELETE", f"/mappings/{mapping}", None),
    ]


def _state(api, ids):
    """Everything company A can see, as A sees it."""
    return {
        "store": api.call("GET", f"/stores/{ids['store']}").get_json(),
        "mappings": api.call("GET", f"/stores/{ids['store']}/mappings").get_json(),
        "logs": api.call("GET", f"/stores/{ids['store']}/sync/logs").get_json(),
        "job": api.call("GET", f"/sync/jobs/{ids['job']}").get_json(),
        "webhooks": sorted((h.topic.value, h.id) for h in _hooks(api, ids["store"])),
    }


def _hooks(api, store_id):
    with api.services.uow_factory() as uow:
        return uow.webhooks.for_store(store_id)


def test_another_company_sees_nothing_and_changes_nothing(api, company_a, figures):
    before = _state(api, company_a)
    for method, path, body in _routes(company_a):
        response = api.call(method, path, OTHER_COMPANY, json=body)
        figures["tenant isolation"]["cross-company requests"] += 1
        assert response.status_code == 404, (method, path, response.get_json())
    api.drain()
    assert _state(api, company_a) == before
    with api.services.uow_factory() as uow:
        assert uow.jobs.stalled_before(api.services.clock.now(), 100) == []


def test_a_member_cannot_do_what_admins_do(api, company_a, figures):
    before = _state(api, company_a)
    admin_only = [
        (
            "POST",
            "/install",
            {"store_url": "https://b.example", "consumer_key": "k", "consumer_secret": "s"},
        ),
        ("DELETE", f"/stores/{company_a['store']}", None),
        (
            "PUT",
            f"/stores/{company_a['store']}/credentials",
            {"consumer_key": "k", "consumer_secret": "s"},
        ),
        ("POST", f"/stores/{company_a['store']}/webhooks/register", None),
    ]
    for method, path, body in admin_only:
        response = api.call(method, path, role="member", json=body)
        figures["tenant isolation"]["member requests on admin routes"] += 1
        assert response.status_code == 403
    assert _state(api, company_a) == before
