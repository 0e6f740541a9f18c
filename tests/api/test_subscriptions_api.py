"""Push subscriptions through the management API (issue 31, point 4): created with a secret
shown once, delivered by the embedded worker to a real HTTP receiver with Standard Webhooks
signatures the reference library accepts, visible when failing (on the subscription and in
/metrics), re-enabled, rotated, deleted; SSRF-guarded, admin-only to change, company-scoped."""

import json

import pytest
import standardwebhooks

from shipcrowd_woo.domain.subscriptions import DeliveryPolicy
from tests.apps import make_api


@pytest.fixture
def pushing(migrated_sqlite_template, tmp_path):
    """The app allowed to call 127.0.0.1 (where the test receiver listens)."""
    built = make_api(migrated_sqlite_template, tmp_path, allow_private_hosts=True)
    yield built
    built.close()


def subscribe(api, url, **fields):
    answer = api.call("POST", "/subscriptions", json={"url": url, **fields})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def imported(api):
    store = api.install()
    api.call("POST", f"/stores/{store['id']}/sync/orders", json={"mode": "full"})
    api.drain()
    return store


def test_a_subscriber_gets_every_event_in_sequence_signed_per_standard_webhooks(pushing, receiver):
    """Each event once (each order's in sequence: here one each, sent side by side); the
    reference verifier accepts every delivery with the secret the creation showed, and the
    body is the event as GET /events gives it."""
    created = subscribe(pushing, receiver.url + "/hooks", after=0)
    assert created["secret"].startswith("whsec_")
    imported(pushing)
    events = pushing.call("GET", "/events?limit=1000").get_json()["events"]
    received = receiver.wait_for(len(events))
    verifier = standardwebhooks.Webhook(created["secret"])
    bodies = [verifier.verify(r["body"], r["headers"]) for r in received]
    assert sorted(bodies, key=lambda body: body["seq"]) == events
    assert sorted(r["headers"]["Webhook-Id"] for r in received) == sorted(e["id"] for e in events)
    assert {r["path"] for r in received} == {"/hooks"}
    listed = pushing.call("GET", "/subscriptions").get_json()["items"]
    assert [s["id"] for s in listed] == [created["subscription"]["id"]]
    assert listed[0]["backlog"] == 0
    assert listed[0]["after"] == events[-1]["seq"]
    assert created["secret"] not in json.dumps(listed)
    assert not any("whsec_" in value for value in map(str, listed[0].values()))


def test_a_failing_subscriber_is_visible_and_re_enabling_replays_from_where_it_stopped(
    pushing, receiver
):
    """500s: failures, last error and backlog on the subscription and in /metrics; the
    events are retried, never skipped (while failing, nothing past the first event of each
    lane is sent); once taken, every event follows, once."""
    imported(pushing)
    receiver.status = 500
    created = subscribe(pushing, receiver.url, after=0)
    sid = created["subscription"]["id"]
    # A round sends at most one event a lane before its failure stops it; the second round
    # comes 5 s later (Standard Webhooks' schedule), once the first failure is saved.
    receiver.wait_for(DeliveryPolicy().lanes + 1, timeout=20)
    seen = pushing.call("GET", f"/subscriptions/{sid}").get_json()
    assert seen["failures"] >= 1
    assert seen["last_error"].startswith("HTTP 500")
    assert seen["backlog"] == len(pushing.sandbox.orders)
    assert seen["next_attempt_at"] is not None
    metrics = pushing.client.get("/metrics").get_data(as_text=True)
    labels = f'{{company_id="company-a",subscription_id="{sid}"}}'
    backlog = len(pushing.sandbox.orders)
    assert f"shipcrowd_woo_subscription_backlog{labels} {backlog}.0" in metrics
    assert f"shipcrowd_woo_subscription_disabled{labels} 0.0" in metrics
    failed = len(receiver.received)
    receiver.status = 204
    enabled = pushing.call("POST", f"/subscriptions/{sid}/enable")
    assert enabled.status_code == 200
    assert enabled.get_json()["failures"] == 0
    every = set(range(1, len(pushing.sandbox.orders) + 1))
    received = receiver.wait_for(failed + len(every))
    # A round under way when it was enabled may have had some of its events taken: those
    # come again (at least once).
    while {json.loads(r["body"])["seq"] for r in received[failed:]} != every:
        assert len(received) < failed + 2 * len(every), "deliveries stopped short"
        received = receiver.wait_for(len(received) + 1)
    heads = set(range(1, DeliveryPolicy().lanes + 1))
    assert {json.loads(r["body"])["seq"] for r in received[:failed]} <= heads


def test_rotating_the_secret_signs_with_both_for_the_overlap(pushing, receiver):
    """After rotation a delivery verifies under the old and the new secret."""
    created = subscribe(pushing, receiver.url)
    sid = created["subscription"]["id"]
    rotated = pushing.call("POST", f"/subscriptions/{sid}/rotate-secret").get_json()
    assert rotated["secret"] != created["secret"]
    assert rotated["subscription"]["previous_secret_until"] is not None
    imported(pushing)
    (first, *_) = receiver.wait_for(1)
    for secret in (created["secret"], rotated["secret"]):
        standardwebhooks.Webhook(secret).verify(first["body"], first["headers"])


def test_urls_the_ssrf_guard_refuses_are_422(api, receiver):
    """Without the allow-private-hosts setting a loopback receiver is refused at
    creation; so are link-local metadata addresses and other schemes."""
    for url in (receiver.url, "http://169.254.169.254/latest", "ftp://hooks.example.com/"):
        answer = api.call("POST", "/subscriptions", json={"url": url})
        assert answer.status_code == 422, url
        assert answer.get_json()["errors"][0]["field"] == "url"
    assert api.call("GET", "/subscriptions").get_json() == {"items": []}


def test_changing_subscriptions_needs_the_admin_role_and_stays_in_the_company(pushing, receiver):
    """A viewer may read but not create, enable, rotate or delete; another company sees
    nothing and gets 404."""
    viewer = pushing.call("POST", "/subscriptions", role="viewer", json={"url": receiver.url})
    assert viewer.status_code == 403
    sid = subscribe(pushing, receiver.url)["subscription"]["id"]
    assert pushing.call("GET", f"/subscriptions/{sid}", role="viewer").status_code == 200
    for method, path in (
        ("POST", f"/subscriptions/{sid}/enable"),
        ("POST", f"/subscriptions/{sid}/rotate-secret"),
        ("DELETE", f"/subscriptions/{sid}"),
    ):
        assert pushing.call(method, path, role="viewer").status_code == 403
        assert pushing.call(method, path, company="company-b").status_code == 404
    assert pushing.call("GET", f"/subscriptions/{sid}", company="company-b").status_code == 404
    assert pushing.call("DELETE", f"/subscriptions/{sid}").status_code == 204
    assert pushing.call("GET", f"/subscriptions/{sid}").status_code == 404


def test_bad_subscription_bodies_name_their_fields(pushing):
    """Unknown types and stores, a negative cursor, a missing URL: 422 with the field."""
    for body, field in (
        ({"url": "https://hooks.example.com/", "event_types": ["order.exploded"]}, "event_types"),
        ({"url": "https://hooks.example.com/", "store_ids": ["nope"]}, "store_ids"),
        ({"url": "https://hooks.example.com/", "after": -1}, "after"),
        ({}, "url"),
    ):
        answer = pushing.call("POST", "/subscriptions", json=body)
        assert answer.status_code == 422, body
        assert field in {e["field"] for e in answer.get_json()["errors"]}, answer.get_json()
