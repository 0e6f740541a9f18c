"""The order feed on fakes (issue 31): every change a consumer sees appends one event in the
transaction that makes it, replays and echoes append nothing, and a consumer reads orders and
events by cursor."""

import json
import threading
from datetime import timedelta

import pytest

from shipcrowd_woo.adapters.feed_signals import InProcessFeedSignal
from shipcrowd_woo.domain.errors import (
    CursorExpired,
    OrderNotFound,
    StoreNotFound,
    ValidationFailed,
)
from shipcrowd_woo.domain.feed import Change, EventType
from shipcrowd_woo.domain.fulfilment import FulfilmentRequest, ShippedLine
from shipcrowd_woo.domain.jobs import FulfilOrder, SyncMode
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.ports.repositories import OrderQuery
from shipcrowd_woo.services.auto_push import AutoPush
from shipcrowd_woo.services.feed import OrderFeed, purge_old_events
from shipcrowd_woo.services.fulfilments import UnfulfillableAtStore
from shipcrowd_woo.services.job_runner import use_cases
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.scheduling import Scheduler, Sweeps
from shipcrowd_woo.services.webhooks import WebhookProcessor
from tests.builders import make_order
from tests.fake_store import FakeScheduleGuard, FakeTaskQueue
from tests.unit.services.conftest import COMPANY, OTHER_COMPANY
from tests.unit.services.test_webhook_processing import deliver


def events(world, after=0):
    return OrderFeed(world.context, InProcessFeedSignal()).events(COMPANY, after, 1000).events


def imported(world):
    store = world.install()
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    return store


def process(world, store, topic, payload):
    WebhookProcessor(world.context, world.confirmations).process(
        deliver(world, store, topic, payload)
    )


def open_order(world, status="processing"):
    return next(i for i, o in sorted(world.sandbox.orders.items()) if o["status"] == status)


def test_an_import_appends_one_created_event_per_order_and_importing_again_appends_none(world):
    """Every imported order is `order.created`, numbered 1..N in commit order; a full
    import of the same store again changes nothing a consumer sees."""
    store = imported(world)
    first = events(world)
    assert [e.seq for e in first] == list(range(1, len(world.sandbox.orders) + 1))
    assert {e.type for e in first} == {EventType.CREATED}
    assert {e.key.source_id for e in first} == set(world.sandbox.orders)
    world.clock.advance(minutes=20)
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    assert len(events(world)) == len(first)


def test_each_event_carries_the_order_as_it_now_is(world):
    """data: the Shipcrowd order, its version, shipping decision and units to ship."""
    imported(world)
    order_id = open_order(world)
    (event,) = [e for e in events(world) if e.key.source_id == order_id]
    data = json.loads(event.data)
    sandbox = world.sandbox.orders[order_id]
    assert data["order_id"] == order_id
    assert data["order"]["external_order_number"] == sandbox["number"]
    assert data["shippable"]["state"] == "ship"
    assert data["version"]["modified_at"].startswith(sandbox["date_modified_gmt"])
    assert [line["to_ship"] for line in data["lines"]] == [
        line["quantity"] for line in sandbox["line_items"]
    ]


def test_a_delivery_that_changes_a_field_names_it_and_a_duplicate_or_echo_appends_nothing(world):
    """A new customer note is `order.changed` [customer_note]; the same body again, or a
    later save that changed nothing we show, appends nothing."""
    store = imported(world)
    before = len(events(world))
    order_id = open_order(world)
    world.clock.advance(seconds=30)
    world.sandbox.update_order(order_id, customer_note="Leave it with the neighbour")
    body = world.sandbox.order_json(order_id)
    process(world, store, Topic.ORDER_UPDATED, body)
    # The same version sent again (WooCommerce's duplicates differ in what we do not read).
    process(world, store, Topic.ORDER_UPDATED, dict(body, _links={"self": [{"href": "again"}]}))
    world.clock.advance(seconds=30)
    world.sandbox.update_order(order_id, customer_note="Leave it with the neighbour")
    process(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    new = events(world, before)
    assert [(e.type, e.changes, e.key.source_id) for e in new] == [
        (EventType.CHANGED, (Change.CUSTOMER_NOTE,), order_id)
    ]


def test_a_cancellation_at_the_store_moves_the_shippable_state(world):
    """processing -> cancelled: `order.shippable_changed`, naming the status too."""
    store = imported(world)
    before = len(events(world))
    order_id = open_order(world)
    world.clock.advance(seconds=30)
    world.sandbox.update_order(order_id, status="cancelled")
    process(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    (event,) = events(world, before)
    assert event.type is EventType.SHIPPABLE_CHANGED
    assert {Change.STATUS, Change.SHIPPABLE} <= set(event.changes)
    assert json.loads(event.data)["shippable"] == {
        "state": "cancel",
        "why": "status cancelled: cancel (the default rule)",
    }


def test_a_status_pushed_by_us_is_one_event_and_its_echo_none(world):
    """Our own cancel is written from the store's answer (one event); the webhook the store
    then sends of that same version appends nothing."""
    store = imported(world)
    before = len(events(world))
    order_id = open_order(world)
    world.clock.advance(seconds=30)
    OrderSync(world.context, world.confirmations).cancel(COMPANY, store.id, order_id)
    process(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    assert [e.type for e in events(world, before)] == [EventType.SHIPPABLE_CHANGED]


def test_a_deletion_at_the_store_is_an_event_once(world):
    """order.deleted marks the order deleted: `order.deleted`, shippable cancel; again, none."""
    store = imported(world)
    before = len(events(world))
    order_id = open_order(world)
    process(world, store, Topic.ORDER_DELETED, {"id": order_id})
    process(world, store, Topic.ORDER_DELETED, f'{{ "id": {order_id} }}'.encode())
    (event,) = events(world, before)
    assert event.type is EventType.DELETED
    data = json.loads(event.data)
    assert data["deleted_at_store"] is not None
    assert data["shippable"]["state"] == "cancel"


def test_a_full_refund_is_a_cancellation_of_every_unit(world):
    """A refunded order ships nothing: every line's refunded = ordered, to_ship 0."""
    store = imported(world)
    before = len(events(world))
    order_id = open_order(world)
    world.clock.advance(seconds=30)
    order = world.sandbox.orders[order_id]
    world.sandbox.update_order(
        order_id,
        status="refunded",
        refunds=[{"id": 9001, "reason": "", "total": f"-{order['total']}"}],
    )
    process(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    (event,) = events(world, before)
    assert event.type is EventType.SHIPPABLE_CHANGED
    assert Change.REFUNDED in event.changes
    lines = json.loads(event.data)["lines"]
    assert all(line["refunded"] == line["ordered"] and line["to_ship"] == 0 for line in lines)


def test_a_fulfilment_lowers_what_is_left_to_ship_and_a_refused_one_gives_it_back(world):
    """Accepting a fulfilment of one unit: `order.fulfilled`, that line's to_ship down by 1;
    the store refusing it (the order ended there) gives the unit back, in another event."""
    store = imported(world)
    queue = FakeTaskQueue()
    guard = FakeScheduleGuard(world.clock.now)
    jobs = JobService(world.context, queue)
    run = use_cases(
        world.context, jobs, guard, AutoPush(world.context, jobs, guard, timedelta(seconds=5))
    )
    order_id = next(
        i
        for i, o in sorted(world.sandbox.orders.items())
        if o["status"] == "processing" and o["line_items"][0]["quantity"] > 1
    )
    line = world.sandbox.orders[order_id]["line_items"][0]
    before = len(events(world))
    request = FulfilmentRequest("PPL", "1", lines=(ShippedLine(line["id"], 1),))
    submitted = run.fulfilments.submit(COMPANY, store.id, order_id, request)
    (event,) = events(world, before)
    assert event.type is EventType.FULFILLED
    (first, *_) = json.loads(event.data)["lines"]
    assert (first["fulfilled"], first["to_ship"]) == (1, line["quantity"] - 1)
    # The order is cancelled at the store before the job runs: the fulfilment is refused,
    # its unit shipped nothing, and the feed says so (the cancellation's own event aside).
    world.sandbox.update_order(order_id, status="cancelled")
    with pytest.raises(UnfulfillableAtStore):
        run.fulfilments.deliver(FulfilOrder(COMPANY, store.id, submitted.fulfilment.id))
    (refused,) = events(world, before + 1)
    assert refused.type is EventType.FULFILLED
    (first, *_) = json.loads(refused.data)["lines"]
    assert (first["fulfilled"], first["to_ship"]) == (0, line["quantity"])


def test_reading_the_feed_pages_by_cursor_and_filters(world):
    """limit and has_more page the feed; a filter by type or store still moves the cursor
    to where the feed was when nothing matched; another company sees none of it."""
    store = imported(world)
    feed = OrderFeed(world.context, InProcessFeedSignal())
    seen, after = [], 0
    while True:
        page = feed.events(COMPANY, after, limit=40)
        seen += page.events
        after = page.next_after
        if not page.has_more:
            break
    assert [e.seq for e in seen] == list(range(1, len(world.sandbox.orders) + 1))
    deleted = feed.events(COMPANY, 0, 10, types=[EventType.DELETED])
    assert deleted.events == ()
    assert deleted.next_after == len(seen)
    assert len(feed.events(COMPANY, 0, 10, store_ids=[store.id]).events) == 10
    assert feed.events(OTHER_COMPANY, 0, 10).events == ()
    with pytest.raises(ValidationFailed):
        feed.events(COMPANY, -1, 0, wait=99)


def test_a_cursor_older_than_the_retention_answers_where_to_restart(world):
    """Purged events cannot be skipped silently: CursorExpired names the restart cursor."""
    imported(world)
    total = len(events(world))
    world.clock.advance(days=31)
    assert (
        purge_old_events(world.context.uow_factory, world.clock, timedelta(days=30), 100) == total
    )
    feed = OrderFeed(world.context, InProcessFeedSignal())
    with pytest.raises(CursorExpired) as expired:
        feed.events(COMPANY, 5, 10)
    assert expired.value.restart_after == total
    assert feed.events(COMPANY, total, 10).events == ()
    assert feed.events(COMPANY, 0, 10).next_after == total


def test_a_long_poll_returns_as_soon_as_a_commit_appends(world):
    """A reader waiting on an empty feed wakes on the commit's announcement, not a timer."""
    store = imported(world)
    signal = InProcessFeedSignal()
    world.database.announce = signal.announce
    feed = OrderFeed(world.context, signal)
    head = feed.bounds(COMPANY).last_seq
    waiting = threading.Event()
    real_wait = signal.wait

    def wait(company_id, mark, timeout):
        waiting.set()
        return real_wait(company_id, mark, timeout)

    signal.wait = wait
    found = []
    reader = threading.Thread(target=lambda: found.append(feed.events(COMPANY, head, 10, wait=20)))
    reader.start()
    assert waiting.wait(10)
    order_id = open_order(world)
    world.clock.advance(seconds=30)
    world.sandbox.update_order(order_id, customer_note="now")
    process(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    reader.join(10)
    assert not reader.is_alive()
    (page,) = found
    assert [e.key.source_id for e in page.events] == [order_id]


def test_orders_list_by_keyset_with_filters_and_mapped_skus(world):
    """Pages by cursor meet every order once; filters by status and shipping decision;
    each line shows its warehouse SKU, or None where unmapped."""
    store = imported(world)
    feed = OrderFeed(world.context, InProcessFeedSignal())
    seen, cursor = [], 0
    while True:
        listing = feed.orders(OrderQuery(COMPANY, limit=30, after=cursor))
        seen += [reading.key.source_id for reading in listing.orders]
        if listing.next_cursor is None:
            break
        cursor = listing.next_cursor
    assert sorted(seen) == sorted(world.sandbox.orders)
    assert len(seen) == len(set(seen))
    shipping = feed.orders(OrderQuery(COMPANY, limit=100, shippable=[Shipping.SHIP]))
    assert shipping.orders
    assert all(r.shippable.state is Shipping.SHIP for r in shipping.orders)
    held = feed.orders(OrderQuery(COMPANY, limit=100, woo_statuses=["on-hold"]))
    assert {r.order.woo_status for r in held.orders} == {"on-hold"}
    reading = feed.order(COMPANY, store.id, open_order(world))
    assert {line.warehouse_sku for line in reading.lines} == {None}
    with pytest.raises(OrderNotFound):
        feed.order(COMPANY, store.id, 999_999)
    with pytest.raises(StoreNotFound):
        feed.order(OTHER_COMPANY, store.id, open_order(world))


def test_orders_stored_before_the_feed_existed_get_their_first_event_from_the_sweep(world):
    """An upgraded database holds orders without an event: the scheduler's recovery sweep
    publishes each once (`order.created`), then stops looking."""
    store = world.install()
    orders = [make_order(i, store_id=store.id, company=COMPANY) for i in range(1, 8)]
    with world.uow() as uow:
        uow.orders.upsert_all(orders)  # as a release before the feed wrote them
        uow.commit()
    scheduler = Scheduler(
        world.context, JobService(world.context, FakeTaskQueue()), world.guard, Sweeps()
    )
    first = scheduler.tick()
    assert first.orders_first_published == 7
    assert [(e.type, e.key.source_id) for e in events(world)] == [
        (EventType.CREATED, i) for i in range(1, 8)
    ]
    world.clock.advance(minutes=2)
    assert scheduler.tick().orders_first_published == 0
    assert len(events(world)) == 7


def test_an_order_fulfilled_before_the_feed_existed_is_first_published_as_shipped(world):
    """The first event of an order stored before the feed counts its fulfilments: a fully
    shipped order is not told as one to ship."""
    store = imported(world)
    queue = FakeTaskQueue()
    guard = FakeScheduleGuard(world.clock.now)
    jobs = JobService(world.context, queue)
    run = use_cases(
        world.context, jobs, guard, AutoPush(world.context, jobs, guard, timedelta(seconds=5))
    )
    order_id = open_order(world)
    run.fulfilments.submit(COMPANY, store.id, order_id, FulfilmentRequest("PPL", "7"))
    key = OrderKey(COMPANY, store.id, order_id)
    del world.database.feed_states[key]  # as a database from before the feed holds it
    before = len(events(world))
    scheduler = Scheduler(world.context, jobs, world.guard, Sweeps())
    assert scheduler.tick().orders_first_published == 1
    (event,) = events(world, before)
    data = json.loads(event.data)
    assert event.type is EventType.CREATED
    assert data["shippable"]["state"] == "ignore"
    assert all(line["to_ship"] == 0 for line in data["lines"])
