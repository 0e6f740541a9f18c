"""Push subscriptions on fakes (issue 31, point 4): events delivered in sequence, signed per
Standard Webhooks, retried on the schedule, disabled after a day failing, re-enabled from
where they stopped, and never two deliverers at once."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.feed import EventType
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.subscriptions import (
    RETRY_SCHEDULE,
    Attempt,
    DeliveryPolicy,
    SubscriptionNotFound,
    SubscriptionState,
)
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.subscriptions import (
    SubscriptionDelivery,
    SubscriptionService,
    deliveries_due,
)
from tests.fake_store import FakeSubscriberClient
from tests.unit.services.conftest import COMPANY, OTHER_COMPANY

URL = "https://hooks.example.com/shipcrowd"
BUDGET = timedelta(seconds=30)


@pytest.fixture
def client():
    return FakeSubscriberClient()


@pytest.fixture
def service(world, client):
    return SubscriptionService(world.context, client, world.queue)


@pytest.fixture
def delivery(world, client):
    """One lane: every event in sequence, as most tests here state it (side by side, lanes
    of orders, at the end)."""
    return SubscriptionDelivery(world.context, client, DeliveryPolicy(lanes=1))


def reference_signed(secret, body, headers):
    """Whether the reference library (standardwebhooks 1.1.0) signs these bytes as one of
    the signatures sent (its `verify` checks the timestamp against the real clock, and
    these tests run on a fake one)."""
    moment = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = standardwebhooks.Webhook(secret.reveal()).sign(
        headers["webhook-id"], moment, body.decode()
    )
    return expected in headers["webhook-signature"].split(" ")


def imported(world):
    store = world.install()
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    return store


def feed_ids(world):
    return [e.id for e in world.database.feed_events[COMPANY]]


def test_a_subscription_from_zero_gets_every_kept_event_in_sequence_signed(
    world, service, delivery, client
):
    """Each event once, in sequence, `webhook-id` its id; the reference library verifies
    the signature over the exact bytes with the secret shown at creation."""
    imported(world)
    created = service.create(COMPANY, URL, after=0)
    assert created.secret.reveal().startswith("whsec_")
    assert created.reading.backlog == len(feed_ids(world))
    assert delivery.deliver(BUDGET).more is False
    assert client.delivered_ids() == feed_ids(world)
    for url, body, headers in client.requests:
        assert url == URL
        assert reference_signed(created.secret, body, headers)
        assert int(headers["webhook-timestamp"]) == int(world.clock.now().timestamp())
        payload = json.loads(body)
        assert payload["id"] == headers["webhook-id"]
        assert payload["type"] == "order.created"
    assert service.get(COMPANY, created.reading.subscription.id).backlog == 0


def test_a_new_subscription_starts_at_the_head_unless_asked_for_more(
    world, service, delivery, client
):
    """By default only events after its creation; nothing is sent for the past."""
    imported(world)
    service.create(COMPANY, URL)
    assert delivery.deliver(BUDGET) == delivery.deliver(BUDGET)
    assert client.requests == []


def test_filters_deliver_only_the_types_and_stores_asked_for_and_pass_over_the_rest(
    world, service, delivery, client
):
    """A subscription to deletions of one store gets none of the created events, and its
    cursor moves past them (no backlog)."""
    store = imported(world)
    created = service.create(COMPANY, URL, ["order.deleted"], [store.id], after=0)
    delivery.deliver(BUDGET)
    assert client.requests == []
    reading = service.get(COMPANY, created.reading.subscription.id)
    assert reading.backlog == 0
    assert reading.subscription.after == world.database.feed_heads[COMPANY].last_seq


def test_a_failed_event_is_retried_on_the_schedule_and_nothing_after_it_overtakes_it(
    world, service, delivery, client
):
    """The subscriber refuses the third event: no later event is sent until it is taken;
    the retries wait 5 s, then 5 min (Standard Webhooks' schedule)."""
    imported(world)
    subscription = service.create(COMPANY, URL, after=0).reading.subscription
    ids = feed_ids(world)
    client.answer = lambda url, body: Attempt(
        500 if json.loads(body)["id"] == ids[2] else 200, "boom"
    )
    first = delivery.deliver(BUDGET)
    assert first.retry_in == RETRY_SCHEDULE[0]
    assert client.delivered_ids() == ids[:3]
    assert delivery.deliver(BUDGET).retry_in is None  # not due yet: nothing sent
    assert len(client.requests) == 3
    world.clock.advance(seconds=5)
    assert delivery.deliver(BUDGET).retry_in == RETRY_SCHEDULE[1]
    stored = service.get(COMPANY, subscription.id).subscription
    assert (stored.failures, stored.last_error) == (2, "HTTP 500 boom")
    client.answer = lambda url, body: Attempt(200)
    world.clock.advance(minutes=5)
    delivery.deliver(BUDGET)
    assert client.delivered_ids() == [*ids[:3], ids[2], *ids[2:]]
    stored = service.get(COMPANY, subscription.id).subscription
    assert (stored.failures, stored.failing_since, stored.last_error) == (0, None, "HTTP 500 boom")


def test_a_subscriber_down_for_an_hour_gets_the_backlog_in_order(world, service, delivery, client):
    """Connection refused for an hour of retries; then every event, in sequence, once
    each after the one that kept failing."""
    imported(world)
    service.create(COMPANY, URL, after=0)
    client.answer = lambda url, body: Attempt(None, "connection refused")
    for _ in range(60):
        delivery.deliver(BUDGET)
        world.clock.advance(minutes=1)
    refused = len(client.requests)
    assert 3 <= refused <= 5  # 5 s, 5 min, 30 min: not every minute
    client.answer = lambda url, body: Attempt(204)
    world.clock.advance(hours=2)
    delivery.deliver(BUDGET)
    taken = client.delivered_ids()[refused:]
    assert taken == feed_ids(world)


def test_failing_for_a_day_disables_and_enabling_replays_from_where_it_stopped(
    world, service, delivery, client
):
    """After a day of failures the subscription is disabled with its last error; nothing
    is sent while disabled; re-enabled, it resumes at the event that failed."""
    imported(world)
    subscription = service.create(COMPANY, URL, after=0).reading.subscription
    client.answer = lambda url, body: Attempt(503, "unavailable")
    for _ in range(40):
        delivery.deliver(BUDGET)
        world.clock.advance(hours=1)
    stored = service.get(COMPANY, subscription.id)
    assert stored.subscription.state is SubscriptionState.DISABLED
    assert "HTTP 503 unavailable" in stored.subscription.last_error
    assert stored.backlog == len(feed_ids(world))
    sent = len(client.requests)
    world.clock.advance(days=2)
    delivery.deliver(BUDGET)
    assert len(client.requests) == sent
    client.answer = lambda url, body: Attempt(200)
    assert service.enable(COMPANY, subscription.id).subscription.state is SubscriptionState.ACTIVE
    assert world.queue.delivery_wakes[-1] is None
    delivery.deliver(BUDGET)
    assert client.delivered_ids()[sent:] == feed_ids(world)


def test_410_gone_disables_at_once(world, service, delivery, client):
    """The subscriber asks to stop: no retry."""
    imported(world)
    subscription = service.create(COMPANY, URL, after=0).reading.subscription
    client.answer = lambda url, body: Attempt(410)
    assert delivery.deliver(BUDGET).retry_in is None
    stored = service.get(COMPANY, subscription.id).subscription
    assert stored.state is SubscriptionState.DISABLED
    assert "410 Gone" in stored.last_error


def test_retry_after_is_honoured_when_longer_than_the_schedule(world, service, delivery, client):
    """429 with Retry-After: 120 waits 120 s, not 5."""
    imported(world)
    service.create(COMPANY, URL, after=0)
    client.answer = lambda url, body: Attempt(429, retry_after=timedelta(seconds=120))
    assert delivery.deliver(BUDGET).retry_in == timedelta(seconds=120)


def changed(world, store, **changes):
    """Change an open order at the store and import it: one event."""
    order_id = next(
        i for i, o in sorted(world.sandbox.orders.items()) if o["status"] == "processing"
    )
    world.clock.advance(minutes=1)
    world.sandbox.update_order(order_id, **changes)
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.SINGLE, order_id)


def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap(
    world, service, delivery, client
):
    """Both the old and the new secret verify during the day after rotation; then only the
    new one signs."""
    store = imported(world)
    created = service.create(COMPANY, URL)
    rotated = service.rotate_secret(COMPANY, created.reading.subscription.id)
    assert rotated.secret.reveal() != created.secret.reveal()
    changed(world, store, customer_note="Ring twice")
    delivery.deliver(BUDGET)
    _, body, headers = client.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert reference_signed(created.secret, body, headers)
    assert reference_signed(rotated.secret, body, headers)
    world.clock.advance(days=1)
    changed(world, store, customer_note="Ring three times")
    delivery.deliver(BUDGET)
    _, body, headers = client.requests[-1]
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert reference_signed(rotated.secret, body, headers)
    assert not reference_signed(created.secret, body, headers)


def test_only_one_deliverer_holds_a_subscription_and_a_lapsed_hold_is_taken_over(
    world, service, delivery, client
):
    """While one deliverer holds it no other claims it; when the holder dies (its hold
    lapses) another resumes from the cursor: the event in flight arrives twice at most."""
    imported(world)
    service.create(COMPANY, URL, after=0)
    now = world.clock.now()
    with world.uow() as uow:
        held = uow.subscriptions.claim(now, "killed-worker", now + timedelta(seconds=90))
        uow.commit()
    assert held is not None
    delivery.deliver(BUDGET)
    assert client.requests == []
    world.clock.advance(seconds=91)
    delivery.deliver(BUDGET)
    assert client.delivered_ids() == feed_ids(world)
    with world.uow() as uow:
        assert uow.subscriptions.progress(held.passed(5), "killed-worker", now) is False


def test_a_deleted_subscription_is_not_delivered_and_is_gone(world, service, delivery, client):
    """Delete: nothing more is sent; reading it again is SubscriptionNotFound."""
    imported(world)
    subscription = service.create(COMPANY, URL, after=0).reading.subscription
    service.delete(COMPANY, subscription.id)
    delivery.deliver(BUDGET)
    assert client.requests == []
    with pytest.raises(SubscriptionNotFound):
        service.get(COMPANY, subscription.id)


def test_another_companys_subscription_is_not_found(world, service):
    """Scoped by company like every resource."""
    subscription = service.create(COMPANY, URL).reading.subscription
    for call in (service.get, service.delete, service.enable, service.rotate_secret):
        with pytest.raises(SubscriptionNotFound):
            call(OTHER_COMPANY, subscription.id)
    assert service.listed(OTHER_COMPANY) == []


@pytest.mark.parametrize(
    ("url", "types", "stores", "field"),
    [
        ("ftp://hooks.example.com/", (), (), "url"),
        ("https://user:pw@hooks.example.com/", (), (), "url"),
        ("not a url", (), (), "url"),
        ("https://hooks.internal/", (), (), "url"),
        (URL, ("order.exploded",), (), "event_types"),
        (URL, (), ("no-such-store",), "store_ids"),
    ],
)
def test_bad_subscriptions_are_refused_with_the_field(service, client, url, types, stores, field):
    """Shape, the SSRF guard's verdict, event types and stores are checked at creation."""
    client.refused.add("hooks.internal")
    with pytest.raises(ValidationFailed) as refused:
        service.create(COMPANY, url, types, stores)
    assert field in refused.value.problems


def test_the_sweep_sees_a_due_backlog(world, service, delivery):
    """deliveries_due: true while an active subscription has events after its cursor."""
    imported(world)
    service.create(COMPANY, URL, after=0)
    with world.uow() as uow:
        assert deliveries_due(uow, world.clock.now())
    delivery.deliver(BUDGET)
    with world.uow() as uow:
        assert not deliveries_due(uow, world.clock.now())


def test_every_event_type_can_be_subscribed_to(service):
    """The filter takes every type the feed has."""
    created = service.create(COMPANY, URL, [t.value for t in EventType])
    assert created.reading.subscription.types == frozenset(EventType)


def _changed_twice(world, store):
    """Three orders changed twice more after the import: orders with events apart."""
    orders = sorted(world.sandbox.orders)[:3]
    for note in ("first", "second"):
        world.clock.advance(seconds=2)
        for order_id in orders:
            world.sandbox.update_order(order_id, customer_note=f"{note} change")
        for order_id in orders:
            OrderSync(world.context, world.confirmations).run(
                COMPANY, store.id, SyncMode.SINGLE, order_id
            )
    return orders


def _per_order(world, ids):
    """The delivered event ids by order, in the order they arrived."""
    order_of = {e.id: e.key.source_id for e in world.database.feed_events[COMPANY]}
    arrived: dict[int, list[str]] = {}
    for event_id in ids:
        arrived.setdefault(order_of[event_id], []).append(event_id)
    return arrived


def test_in_lanes_every_event_arrives_once_and_each_orders_in_sequence(world, service, client):
    """Side by side (8 lanes, the default): different orders' events may arrive in any
    order, one order's always in sequence."""
    lanes = SubscriptionDelivery(world.context, client)
    _changed_twice(world, imported(world))
    service.create(COMPANY, URL, after=0)
    assert lanes.deliver(BUDGET).more is False
    assert sorted(client.delivered_ids()) == sorted(feed_ids(world))
    assert _per_order(world, client.delivered_ids()) == _per_order(world, feed_ids(world))


def test_in_lanes_a_failed_event_holds_back_its_orders_later_ones_until_it_is_taken(
    world, service, client
):
    """The subscriber refuses one order's middle event: that order's last event is not sent
    until it is taken; whatever arrives twice is the refused one or later (at least once);
    each order's first arrivals are in sequence."""
    lanes = SubscriptionDelivery(world.context, client)
    changed = _changed_twice(world, imported(world))
    service.create(COMPANY, URL, after=0)
    events = world.database.feed_events[COMPANY]
    refused, last = [e for e in events if e.key.source_id == changed[0]][1:3]
    client.answer = lambda url, body: Attempt(
        500 if json.loads(body)["id"] == refused.id else 200, "boom"
    )
    assert lanes.deliver(BUDGET).retry_in == RETRY_SCHEDULE[0]
    assert last.id not in client.delivered_ids()
    client.answer = lambda url, body: Attempt(200)
    world.clock.advance(seconds=5)
    lanes.deliver(BUDGET)
    ids = client.delivered_ids()
    assert set(ids) == set(feed_ids(world))
    seq_of = {e.id: e.seq for e in events}
    assert min(seq_of[i] for i in ids if ids.count(i) > 1) >= refused.seq
    firsts = list(dict.fromkeys(ids))
    assert _per_order(world, firsts) == _per_order(world, feed_ids(world))
