"""Processing inbox deliveries, topic by topic, on fakes."""

import hashlib
import json
import random

import attrs

from shipcrowd_woo.domain.ids import DeliveryId
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.webhooks import Delivery, DeliveryState, Topic
from shipcrowd_woo.sandbox.delivery import wp_json_encode
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
    processor = WebhookProcessor(world.context)
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
    processor = WebhookProcessor(world.context)
    processor.process(deliver(world, store, Topic.ORDER_UPDATED, new))
    outcome = processor.process(deliver(world, store, Topic.ORDER_UPDATED, old))
    assert outcome.effect == f"order {order_id}: stale"
    assert stored(world, store, order_id).woo_status == "completed"


def test_a_same_second_conflict_is_settled_by_fetching_the_order(world):
    """`processing` is stored; a `pending` of the same second arrives later: the store is
    asked, says `processing`, and that is kept."""
    store = world.install()
    order_id = next(i for i, o in world.sandbox.orders.items() if o["status"] == "pending")
    pending = world.sandbox.order_json(order_id)
    world.sandbox.orders[order_id]["status"] = "processing"
    processor = WebhookProcessor(world.context)
    processor.process(
        deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    )
    world.clock.advance(seconds=1)
    processor.process(deliver(world, store, Topic.ORDER_UPDATED, pending))
    assert world.stores.called("get_order")[-1] == order_id
    assert stored(world, store, order_id).woo_status == "processing"


def test_an_order_deleted_delivery_marks_the_order_deleted_at_the_store(world):
    """The body is only {"id": N}; the order is kept, marked."""
    store = world.install()
    order_id = min(world.sandbox.orders)
    OrderSync(world.context).run(COMPANY, store.id, SyncMode.SINGLE, order_id)
    outcome = WebhookProcessor(world.context).process(
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
    processor = WebhookProcessor(world.context)
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
    outcome = WebhookProcessor(world.context).process(
        deliver(world, store, Topic.PRODUCT_DELETED, {"id": parent})
    )
    assert outcome.effect == "3 mappings deactivated"


def test_customer_deliveries_keep_the_newest_snapshot(world):
    """customer.created then customer.updated: the update is kept."""
    store = world.install()
    customer = world.sandbox.upsert_customer(7, first_name="Ada")
    processor = WebhookProcessor(world.context)
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
    processor = WebhookProcessor(world.context)
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
    processor = WebhookProcessor(world.context)
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
    outcome = WebhookProcessor(world.context).process(
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
    batch: each order is written once, at the store's newest version (two saves in one
    second are settled by fetching the order), the older deliveries settled as superseded."""
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
    outcomes = WebhookProcessor(world.context).process_batch(deliveries)
    assert world.database.commits == commits + 1
    assert sorted(o.superseded for o in outcomes.values()) == [False] * 20 + [True] * 40
    for order_id in ids:
        assert stored(world, store, order_id).customer_note == "save 1"
    assert {d.state for d in world.database.deliveries.values()} == {DeliveryState.PROCESSED}


def test_an_order_another_writer_changed_since_it_was_compared_is_compared_again(world):
    """Issue 17: a batch compares its orders with the stored versions before its write
    transaction. Here another worker stores a same-second version with other content in
    between: the batch notices in its transaction (the rows locked), writes nothing,
    compares again, and the conflict is settled by fetching the order from the store."""
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
            WebhookProcessor(world.context).process(theirs)
            world.clock.advance(seconds=1)
        return world.context.uow_factory()

    context = attrs.evolve(world.context, uow_factory=writes_after_a_racing_writer)
    outcome = WebhookProcessor(context).process(delivery)
    assert outcome.state is DeliveryState.PROCESSED
    assert stored(world, store, order_id).customer_note == "the store's own"
