"""Processing inbox deliveries, topic by topic, on fakes."""

import hashlib
import json
import random

import attrs

from shipcrowd_woo.domain.ids import DeliveryId
from shipcrowd_woo.domain.jobs import ConfirmOrders, SyncMode
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.webhooks import Delivery, DeliveryState, Topic
from shipcrowd_woo.sandbox.delivery import wp_json_encode
from shipcrowd_woo.services.inbox import LEASE
from shipcrowd_woo.services.inventory import InventorySync, StockLevel
from shipcrowd_woo.services.mappings import MappingService
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.webhooks import WebhookProcessor
from tests.unit.services.conftest import COMPANY


def deliver(world, store, topic: Topic, payload) -> DeliveryId:
    body = wp_json_encode(payload) if not isinstance(payload, bytes) else payload
    delivery = Delivery(
        id=DeliveryId(world.context.new_id()),
        company_id=store.company_id,
        store_id=store.id,
        topic=topic,
        woo_webhook_id=1,
        body=body,
        body_sha256=hashlib.sha256(body).hexdigest(),
        received_at=world.clock.now(),
    )
    with world.uow() as uow:
        assert uow.deliveries.add(delivery)
        uow.commit()
    return delivery.id


def stored(world, store, order_id):
    return world.database.orders.get(OrderKey(COMPANY, store.id, order_id))


def test_an_order_delivery_is_upserted_and_processing_it_twice_does_it_once(world):
    """order.created stores the order; a second run finds the delivery processed."""
    store = world.install()
    order_id = min(world.sandbox.orders)
    delivery = deliver(world, store, Topic.ORDER_CREATED, world.sandbox.order_json(order_id))
    processor = WebhookProcessor(world.context, world.confirmations)
    first = processor.process(delivery)
    assert (first.state, first.effect) == (DeliveryState.PROCESSED, f"order {order_id}: create")
    assert stored(world, store, order_id) is not None
    second = processor.process(delivery)
    assert second.effect == "already processed"
    assert world.database.deliveries[delivery].processed_at is not None


def test_a_later_update_replaces_and_an_older_one_does_not(world):
    """Deliveries arriving out of order: the newest modification wins."""
    store = world.install()
    order_id = min(world.sandbox.orders)
    old = world.sandbox.order_json(order_id)
    world.clock.advance(seconds=30)
    world.sandbox.update_order(order_id, status="completed")
    new = world.sandbox.order_json(order_id)
    processor = WebhookProcessor(world.context, world.confirmations)
    processor.process(deliver(world, store, Topic.ORDER_UPDATED, new))
    outcome = processor.process(deliver(world, store, Topic.ORDER_UPDATED, old))
    assert outcome.effect == f"order {order_id}: stale"
    assert stored(world, store, order_id).woo_status == "completed"


def test_a_same_second_conflict_is_confirmed_from_the_store(world):
    """`processing` is stored; a `pending` of the same second arrives later: arrival order
    proves nothing, so the stored version stays and the order is confirmed from the store
    once the clock tolerance has passed — the batch itself asks the store nothing."""
    store = world.install()
    order_id = next(i for i, o in world.sandbox.orders.items() if o["status"] == "pending")
    pending = world.sandbox.order_json(order_id)
    world.sandbox.orders[order_id]["status"] = "processing"
    processor = WebhookProcessor(world.context, world.confirmations)
    processor.process(
        deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    )
    world.clock.advance(seconds=1)
    outcome = processor.process(deliver(world, store, Topic.ORDER_UPDATED, pending))
    assert outcome.effect == f"order {order_id}: unsettled"
    assert world.stores.called("get_order") == []
    assert stored(world, store, order_id).woo_status == "processing"
    assert [job for _, job, _ in world.queue.sent] == [ConfirmOrders(COMPANY, store.id)]
    assert world.confirm() == 1
    assert world.stores.called("get_order") == [order_id]
    assert stored(world, store, order_id).woo_status == "processing"
    assert world.database.confirmations == {}


def test_the_newer_of_two_same_second_deliveries_is_stored_once_the_store_confirms_it(world):
    """The recorded case the other way round: `pending` is stored, `processing` of the same
    second arrives: it waits for the store's word, which is `processing`."""
    store = world.install()
    order_id = next(i for i, o in world.sandbox.orders.items() if o["status"] == "pending")
    processor = WebhookProcessor(world.context, world.confirmations)
    processor.process(
        deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    )
    world.sandbox.orders[order_id]["status"] = "processing"
    world.clock.advance(seconds=0.2)
    processor.process(
        deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    )
    assert stored(world, store, order_id).woo_status == "pending"
    world.confirm()
    assert stored(world, store, order_id).woo_status == "processing"


def test_an_order_deleted_delivery_marks_the_order_deleted_at_the_store(world):
    """The body is only {"id": N}; the order is kept, marked."""
    store = world.install()
    order_id = min(world.sandbox.orders)
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.SINGLE, order_id)
    outcome = WebhookProcessor(world.context, world.confirmations).process(
        deliver(world, store, Topic.ORDER_DELETED, {"id": order_id})
    )
    assert "marked deleted" in outcome.effect
    assert stored(world, store, order_id).deleted_at_store == world.clock.now()


def test_product_deliveries_map_new_skus_refresh_titles_and_ignore_our_own_echo(world):
    """product.created auto-maps a matching SKU; a renamed product refreshes its mapping; the
    product.updated our own stock push causes does nothing."""
    store = world.install()
    product_id = next(i for i, p in world.sandbox.products.items() if p["type"] == "simple")
    sku = world.sandbox.products[product_id]["sku"]
    InventorySync(world.context).set_stock(COMPANY, [StockLevel(sku, 3)])
    processor = WebhookProcessor(world.context, world.confirmations)
    created = processor.process(
        deliver(world, store, Topic.PRODUCT_CREATED, world.sandbox.product_json(product_id))
    )
    assert created.effect == f"product {product_id}: mapped to {sku}"
    InventorySync(world.context).push(COMPANY, store.id)
    echo = processor.process(
        deliver(world, store, Topic.PRODUCT_UPDATED, world.sandbox.product_json(product_id))
    )
    assert echo.effect == f"product {product_id}: echo of our stock push, nothing to do"
    world.sandbox.products[product_id]["name"] = "Renamed widget"
    renamed = processor.process(
        deliver(world, store, Topic.PRODUCT_UPDATED, world.sandbox.product_json(product_id))
    )
    assert renamed.effect == f"product {product_id}: mapping refreshed"
    [mapping] = [m for m in world.database.mappings.values() if m.woo_product_id == product_id]
    assert mapping.woo_title == "Renamed widget"


def test_a_product_deleted_delivery_deactivates_its_mappings(world):
    """Trashing a variable product deactivates its variations' mappings."""
    store = world.install()
    parent = next(i for i, p in world.sandbox.products.items() if p["type"] == "variable")
    skus = [world.sandbox.products[v]["sku"] for v in world.sandbox.products[parent]["variations"]]
    InventorySync(world.context).set_stock(COMPANY, [StockLevel(s, 1) for s in skus])
    MappingService(world.context).auto_map(COMPANY, store.id)
    outcome = WebhookProcessor(world.context, world.confirmations).process(
        deliver(world, store, Topic.PRODUCT_DELETED, {"id": parent})
    )
    assert outcome.effect == "3 mappings deactivated"


def test_customer_deliveries_keep_the_newest_snapshot(world):
    """customer.created then customer.updated: the update is kept."""
    store = world.install()
    customer = world.sandbox.upsert_customer(7, first_name="Ada")
    processor = WebhookProcessor(world.context, world.confirmations)
    processor.process(deliver(world, store, Topic.CUSTOMER_CREATED, dict(customer)))
    world.clock.advance(seconds=5)
    world.sandbox.clock = world.clock.now
    customer = world.sandbox.upsert_customer(7, first_name="Augusta Ada")
    processor.process(deliver(world, store, Topic.CUSTOMER_UPDATED, dict(customer)))
    with world.uow() as uow:
        assert uow.customers.get(COMPANY, store.id, 7).first_name == "Augusta Ada"


def test_a_customer_is_parsed_like_orders_and_products_and_one_bad_date_fails_nothing(world):
    """Issue 20 point 5: customers had their own parsing in the processor, whose date parse
    raised OverflowError on "0001-01-01T00:00:00+05:00" (an offset that moves year 1 out of
    range) — an error out of the whole batch. A customer is now a WooCustomer parsed by the
    converter, its time read by the domain's parse: the date is no date, the snapshot kept;
    a customer without a usable id fails alone, with the converter's reason."""
    store = world.install()
    processor = WebhookProcessor(world.context, world.confirmations)
    customer = {
        "id": 9,
        "email": " ada@example.com ",
        "first_name": "Ada",
        "date_modified_gmt": "0001-01-01T00:00:00+05:00",
    }
    kept = processor.process(deliver(world, store, Topic.CUSTOMER_UPDATED, customer))
    refused = processor.process(deliver(world, store, Topic.CUSTOMER_CREATED, {"id": "nine"}))
    gone = processor.process(deliver(world, store, Topic.ORDER_DELETED, {"id": 0}))
    assert kept.state is DeliveryState.PROCESSED
    assert (refused.state, gone.state) == (DeliveryState.FAILED, DeliveryState.FAILED)
    assert "id" in refused.effect
    assert "id" in gone.effect
    with world.uow() as uow:
        snapshot = uow.customers.get(COMPANY, store.id, 9)
    assert (snapshot.email, snapshot.modified_at) == ("ada@example.com", None)


def test_an_unusable_body_fails_the_delivery_with_its_reason(world):
    """Not JSON, not an object, an order that cannot be read: FAILED, never retried."""
    store = world.install()
    processor = WebhookProcessor(world.context, world.confirmations)
    for body, reason in [
        (b"{nope", "the body is not JSON"),
        (b"[1, 2]", "the body is not a JSON object"),
        (json.dumps({"id": 1, "currency": "XYZ"}).encode(), "order 1: currency"),
    ]:
        outcome = processor.process(deliver(world, store, Topic.ORDER_UPDATED, body))
        assert outcome.state is DeliveryState.FAILED
        assert reason in outcome.effect


def test_a_delivery_of_a_disconnected_store_is_still_processed(world):
    """History arriving late is kept."""
    store = world.install()
    with world.uow() as uow:
        uow.stores.update(attrs.evolve(store, is_active=False))
        uow.commit()
    order_id = min(world.sandbox.orders)
    outcome = WebhookProcessor(world.context, world.confirmations).process(
        deliver(world, store, Topic.ORDER_CREATED, world.sandbox.order_json(order_id))
    )
    assert outcome.state is DeliveryState.PROCESSED


def _deliveries_of_three_saves(world, store):
    """Every order's current JSON, then two saves of each within its second."""
    ids = sorted(world.sandbox.orders)[:20]
    bodies = [world.sandbox.order_json(i) for i in ids]
    for round_number in range(2):
        for order_id in ids:
            world.sandbox.update_order(order_id, customer_note=f"save {round_number}")
            bodies.append(world.sandbox.order_json(order_id))
    return ids, bodies


def test_a_batch_coalesces_the_deliveries_of_one_order_and_the_newest_wins(world):
    """Issue 17: three saves of each of 20 orders, delivered shuffled and drained as one
    batch: each order is written once and the older deliveries settled as superseded; two
    saves in one second cannot be ordered by their deliveries, so each order is confirmed
    from the store, and ends at its newest version."""
    store = world.install()
    ids, bodies = _deliveries_of_three_saves(world, store)
    random.Random(17).shuffle(bodies)
    deliveries = []
    for body in bodies:
        deliver(world, store, Topic.ORDER_UPDATED, body)
        world.clock.advance(seconds=0.001)
    with world.uow() as uow:
        deliveries = [uow.deliveries.get(i) for i in world.database.deliveries]
    commits = world.database.commits
    outcomes = WebhookProcessor(world.context, world.confirmations).process_batch(deliveries)
    # The batch's transaction, and the record of the one job confirming its orders.
    assert world.database.commits == commits + 2
    assert sorted(o.superseded for o in outcomes.values()) == [False] * 20 + [True] * 40
    assert len(world.database.confirmations) == 20
    world.confirm()
    for order_id in ids:
        assert stored(world, store, order_id).customer_note == "save 1"
    assert {d.state for d in world.database.deliveries.values()} == {DeliveryState.PROCESSED}


def test_a_same_second_version_another_writer_committed_first_is_confirmed(world):
    """Issue 29: another worker commits a same-second version with other content just before
    this batch's transaction: neither delivery proves itself newer, so neither overwrites the
    other blindly; the order is confirmed from the store and ends at the store's own."""
    store = world.install()
    order_id = min(world.sandbox.orders)
    world.sandbox.update_order(order_id, customer_note="ours")
    ours = world.sandbox.order_json(order_id)
    racing = {**ours, "customer_note": "theirs"}
    world.sandbox.update_order(order_id, customer_note="the store's own")
    delivery = deliver(world, store, Topic.ORDER_UPDATED, ours)
    world.clock.advance(seconds=1)
    raced = False

    def writes_after_a_racing_writer():
        nonlocal raced
        if not raced:  # the batch's write transaction is next
            raced = True
            theirs = deliver(world, store, Topic.ORDER_UPDATED, racing)
            WebhookProcessor(world.context, world.confirmations).process(theirs)
            world.clock.advance(seconds=1)
        return world.context.uow_factory()

    context = attrs.evolve(world.context, uow_factory=writes_after_a_racing_writer)
    outcome = WebhookProcessor(context, world.confirmations).process(delivery)
    assert outcome.state is DeliveryState.PROCESSED
    assert outcome.effect == f"order {order_id}: unsettled"
    assert stored(world, store, order_id).customer_note == "theirs"
    world.confirm()
    assert stored(world, store, order_id).customer_note == "the store's own"


def test_a_batch_raced_on_every_attempt_still_ends_on_the_stores_newest_versions(world):
    """Issue 29, the interleaving behind the stale orders of the race test: before each of a
    batch's writes another worker stores the newest version of one of its orders, delivered
    a moment before ours. 452821c compared again twice, then wrote its last attempt by the
    version rule alone — (modified, observed) — and the older save, observed later, won: the
    third order stayed on it. Now nothing is retried and nothing decided by arrival: the
    orders are confirmed from the store and all end on its newest versions."""
    store = world.install()
    ids = sorted(world.sandbox.orders)[:3]
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    world.clock.advance(minutes=1)
    older = {}
    for order_id in ids:
        world.sandbox.update_order(order_id, customer_note="an older save")
        older[order_id] = world.sandbox.order_json(order_id)
        world.sandbox.update_order(order_id, customer_note="the newest save")
    newest = [deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(i)) for i in ids]
    world.clock.advance(seconds=0.5)
    ours = [deliver(world, store, Topic.ORDER_UPDATED, older[i]) for i in ids]
    with world.uow() as uow:
        batch = [uow.deliveries.get(delivery_id) for delivery_id in ours]
    racers = iter(newest)
    other_worker = WebhookProcessor(world.context, world.confirmations)

    def another_worker_writes_first():
        racer = next(racers, None)
        if racer is not None:
            other_worker.process(racer)
        return world.context.uow_factory()

    context = attrs.evolve(world.context, uow_factory=another_worker_writes_first)
    WebhookProcessor(context, world.confirmations).process_batch(batch)
    for racer in racers:  # the newest deliveries no write of ours came before
        other_worker.process(racer)
    world.confirm()
    assert [stored(world, store, i).customer_note for i in ids] == ["the newest save"] * 3


def test_a_batch_whose_lease_ended_while_it_ran_is_settled_once_and_stays_newest(world):
    """Issue 29: a drain's batch outlives its lease, a second drain claims and processes the
    same deliveries, the first finishes late with the older ones. Only the transaction that
    settles a delivery applies it, and no write decides by arrival: the order ends on the
    store's newest version and each delivery is applied once."""
    store = world.install()
    order_id = min(world.sandbox.orders)
    world.sandbox.update_order(order_id, customer_note="an older save")
    older = world.sandbox.order_json(order_id)
    world.sandbox.update_order(order_id, customer_note="the newest save")
    first = [
        deliver(world, store, Topic.ORDER_UPDATED, older),
        deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id)),
    ]
    slow = world.context.inbox.claim(world.clock.now(), LEASE, 10)
    world.clock.advance(seconds=LEASE.total_seconds() + 1)
    again = world.context.inbox.claim(world.clock.now(), LEASE, 10)
    assert [d.id for d in slow] == [d.id for d in again] == first
    processor = WebhookProcessor(world.context, world.confirmations)
    processor.process_batch(again)
    late = processor.process_batch(slow)
    assert late == {}  # settled by the other drain already: nothing applied twice
    world.confirm()
    assert stored(world, store, order_id).customer_note == "the newest save"
    assert {d.state for d in world.database.deliveries.values()} == {DeliveryState.PROCESSED}
