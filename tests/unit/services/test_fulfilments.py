"""Fulfilments and the stock that follows the warehouse, on fakes: the store is the sandbox's
in-memory WooCommerce, reached through the fake client (every call visible)."""

import contextlib
from datetime import timedelta

import attrs
import pytest

from shipcrowd_woo.domain.errors import OrderNotFound, StoreNotFound, StoreUnavailable
from shipcrowd_woo.domain.fulfilment import (
    TRACKING_META_KEY,
    FulfilmentRequest,
    FulfilmentState,
    OrderNotShippable,
    ShippedLine,
    customer_message,
)
from shipcrowd_woo.domain.jobs import FulfilOrder, JobState, PushStockChanges, SyncMode
from shipcrowd_woo.domain.store_settings import SettingsChange
from shipcrowd_woo.domain.sync_log import SyncStatus, SyncType
from shipcrowd_woo.services.auto_push import AutoPush
from shipcrowd_woo.services.fulfilments import Fulfilments
from shipcrowd_woo.services.inventory import InventorySync, StockLevel
from shipcrowd_woo.services.job_runner import JobRunner, use_cases
from shipcrowd_woo.services.jobs import JobService, Transient
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.reservations import reserved_units
from shipcrowd_woo.services.stores import StoreService
from tests.fake_store import FakeScheduleGuard, FakeTaskQueue
from tests.unit.services.conftest import COMPANY, OTHER_COMPANY

PPL = FulfilmentRequest("PPL", "123456789", "https://www.ppl.cz/vyhledat-zasilku?shipmentId=1")
WINDOW = timedelta(seconds=5)


@attrs.define
class Loop:
    """The fulfilment loop of one world: its services, queue and schedule claims."""

    world: object
    queue: FakeTaskQueue
    guard: FakeScheduleGuard
    jobs: JobService
    inventory: InventorySync
    fulfilments: Fulfilments
    runner: JobRunner
    store: object

    def run_sent(self, kind=None):
        """Run the jobs sent so far (of one kind), as a worker would; returns their records."""
        sent, self.queue.sent = self.queue.sent, []
        ran = []
        for job_id, job, _ in sent:
            if kind is None or isinstance(job, kind):
                ran.append(self.runner.run(job_id, job))
            else:
                self.queue.sent.append((job_id, job, None))
        return ran


@pytest.fixture
def loop(world):
    return _make_loop(world)


def _make_loop(world):
    store = world.install()
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    skus = [p["sku"] for p in world.sandbox.products.values() if p["type"] != "variable"]
    queue = FakeTaskQueue()
    guard = FakeScheduleGuard(world.clock.now)
    jobs = JobService(world.context, queue)
    run = use_cases(world.context, jobs, guard, AutoPush(world.context, jobs, guard, WINDOW))
    run.inventory.set_stock(COMPANY, [StockLevel(s, 50) for s in skus])
    run.mappings.auto_map(COMPANY, store.id)
    queue.sent.clear()
    return Loop(
        world,
        queue,
        guard,
        jobs,
        run.inventory,
        run.fulfilments,
        JobRunner(world.context, run),
        store,
    )


def _open_order(world, status="processing", lines=1):
    return next(
        order_id
        for order_id, order in sorted(world.sandbox.orders.items())
        if order["status"] == status and len(order["line_items"]) >= lines
    )


def _customer_notes(world, order_id):
    return [n for n in world.sandbox.order_notes(order_id) if n["customer_note"]]


def test_a_fulfilment_puts_tracking_a_customer_note_and_completion_at_the_store(loop):
    """Three requests: read the order, one save of tracking + status, one note."""
    world = loop.world
    order_id = _open_order(world)
    submitted = loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    assert submitted.created
    assert submitted.job.state is JobState.QUEUED
    world.stores.calls.clear()
    (record,) = loop.run_sent(FulfilOrder)
    assert record.state is JobState.COMPLETED
    assert record.summary["requests"] == 3
    assert [name for name, _ in world.stores.calls] == [
        "order_tracking",
        "save_order_tracking",
        "add_order_note",
    ]
    (item,) = world.sandbox.order_meta(order_id, TRACKING_META_KEY)
    assert (item["custom_tracking_provider"], item["tracking_number"]) == ("PPL", "123456789")
    assert world.sandbox.orders[order_id]["status"] == "completed"
    (note,) = _customer_notes(world, order_id)
    assert "PPL" in note["note"]
    assert "123456789" in note["note"]
    assert PPL.tracking_url in note["note"]
    stored = loop.fulfilments.get(COMPANY, submitted.fulfilment.id)
    assert stored.state is FulfilmentState.DELIVERED
    assert stored.status_completed
    with world.uow() as uow:
        log = uow.sync_logs.get(record.summary["sync_log_id"])
    assert (log.sync_type, log.status, log.synced) == (SyncType.FULFILMENT, SyncStatus.COMPLETED, 1)


def test_the_same_fulfilment_sent_twice_makes_one_note_and_one_tracking_item(loop):
    world = loop.world
    order_id = _open_order(world)
    first = loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    again = loop.fulfilments.submit(
        COMPANY, loop.store.id, order_id, attrs.evolve(PPL, carrier="ppl ")
    )
    assert not again.created
    assert again.fulfilment.id == first.fulfilment.id
    assert again.job.id == first.job.id
    assert [job for _, job, _ in loop.queue.sent if isinstance(job, FulfilOrder)] == [first.job.job]
    loop.run_sent()
    # The job sent again (a lost acknowledgement) does nothing more.
    assert loop.runner.run(first.job.id, first.job.job).state is JobState.COMPLETED
    assert len(world.sandbox.order_meta(order_id, TRACKING_META_KEY)) == 1
    assert len(_customer_notes(world, order_id)) == 1


def test_a_run_that_died_after_sending_the_note_does_not_write_a_second(loop):
    """The note is marked as started before it is sent; the next attempt looks for it."""
    world = loop.world
    order_id = _open_order(world)
    submitted = loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    world.stores.fail("add_order_note", StoreUnavailable(world.sandbox.base_url, "timed out"))
    with pytest.raises(StoreUnavailable):
        loop.fulfilments.deliver(submitted.job.job)
    # The request had reached the store after all: its note is there.
    halfway = loop.fulfilments.get(COMPANY, submitted.fulfilment.id)
    assert halfway.note_started
    assert halfway.note_id is None
    assert halfway.tracking_written
    world.sandbox.add_order_note(order_id, customer_message(halfway), customer_note=True)
    delivery = loop.fulfilments.deliver(submitted.job.job)
    assert delivery.fulfilment.state is FulfilmentState.DELIVERED
    assert len(_customer_notes(world, order_id)) == 1
    assert len(world.sandbox.order_meta(order_id, TRACKING_META_KEY)) == 1


def test_partial_shipments_keep_each_others_tracking_and_complete_with_the_last(loop):
    world = loop.world
    order_id = _open_order(world, lines=2)
    first_line, *rest = world.sandbox.orders[order_id]["line_items"]
    world.sandbox.update_order(
        order_id,
        meta_data=[{"key": TRACKING_META_KEY, "value": [{"tracking_number": "OTHER-PLUGIN"}]}],
    )
    part = attrs.evolve(PPL, lines=(ShippedLine(first_line["id"], first_line["quantity"]),))
    loop.fulfilments.submit(COMPANY, loop.store.id, order_id, part)
    loop.run_sent(FulfilOrder)
    assert world.sandbox.orders[order_id]["status"] == "processing"
    loop.fulfilments.submit(COMPANY, loop.store.id, order_id, FulfilmentRequest("DPD", "4711"))
    loop.run_sent(FulfilOrder)
    numbers = [i["tracking_number"] for i in world.sandbox.order_meta(order_id, TRACKING_META_KEY)]
    assert numbers == ["OTHER-PLUGIN", "123456789", "4711"]
    assert world.sandbox.orders[order_id]["status"] == "completed"
    shipped = loop.fulfilments.for_order(COMPANY, loop.store.id, order_id)
    assert [f.completes_order for f in shipped] == [False, True]
    assert shipped[1].lines == tuple(ShippedLine(line["id"], line["quantity"]) for line in rest)


def test_a_cancelled_order_is_refused_here_and_at_the_store(loop):
    world = loop.world
    cancelled = _open_order(world, status="cancelled")
    with pytest.raises(OrderNotShippable):
        loop.fulfilments.submit(COMPANY, loop.store.id, cancelled, PPL)
    # Cancelled at the store after we accepted the fulfilment: nothing is written there.
    order_id = _open_order(world)
    submitted = loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    world.sandbox.update_order(order_id, status="cancelled")
    (record,) = loop.run_sent(FulfilOrder)
    assert record.state is JobState.FAILED
    assert "cancelled" in record.error
    assert world.sandbox.orders[order_id]["status"] == "cancelled"
    assert world.sandbox.order_meta(order_id, TRACKING_META_KEY) is None
    assert _customer_notes(world, order_id) == []
    refused = loop.fulfilments.get(COMPANY, submitted.fulfilment.id)
    assert refused.state is FulfilmentState.REFUSED


def test_orders_and_stores_of_other_companies_are_not_found(loop):
    order_id = _open_order(loop.world)
    with pytest.raises(StoreNotFound):
        loop.fulfilments.submit(OTHER_COMPANY, loop.store.id, order_id, PPL)
    with pytest.raises(OrderNotFound):
        loop.fulfilments.submit(COMPANY, loop.store.id, 999_999, PPL)


def test_the_extensions_route_is_used_when_the_store_has_it(world):
    """With the Shipment Tracking extension the tracking goes through its route, before the
    status (its "completed" e-mail shows the tracking)."""
    world.sandbox.install_shipment_tracking()
    loop_ = _make_loop(world)
    order_id = _open_order(world)
    loop_.fulfilments.submit(COMPANY, loop_.store.id, order_id, PPL)
    world.stores.calls.clear()
    loop_.run_sent(FulfilOrder)
    assert [name for name, _ in world.stores.calls] == [
        "order_tracking",
        "add_shipment_tracking",
        "update_order_status",
        "add_order_note",
    ]
    (item,) = world.sandbox.order_meta(order_id, TRACKING_META_KEY)
    assert item["tracking_number"] == "123456789"
    assert world.sandbox.orders[order_id]["status"] == "completed"


def test_the_store_decides_on_completion_and_on_telling_the_customer(loop):
    world = loop.world
    StoreService(world.context).change_settings(
        COMPANY,
        loop.store.id,
        SettingsChange(fulfilment_complete_on_ship=False, fulfilment_notify_customer=False),
    )
    order_id = _open_order(world)
    loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    loop.run_sent(FulfilOrder)
    assert world.sandbox.orders[order_id]["status"] == "processing"
    assert _customer_notes(world, order_id) == []
    assert any("123456789" in n["note"] for n in world.sandbox.order_notes(order_id))


def test_a_fulfilment_that_ran_out_of_attempts_is_failed_and_resumes_when_sent_again(loop):
    world = loop.world
    order_id = _open_order(world)
    submitted = loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    down = StoreUnavailable(world.sandbox.base_url, "down")
    world.stores.fail("order_tracking", *[down] * 4)
    for _ in range(4):
        with contextlib.suppress(Transient):
            loop.runner.run(submitted.job.id, submitted.job.job)
    assert loop.fulfilments.get(COMPANY, submitted.fulfilment.id).state is FulfilmentState.FAILED
    again = loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    assert not again.created
    assert again.job.id != submitted.job.id
    loop.run_sent(FulfilOrder)
    assert loop.fulfilments.get(COMPANY, submitted.fulfilment.id).state is FulfilmentState.DELIVERED


# Stock that follows the warehouse -------------------------------------------------------


def test_shipped_units_leave_the_warehouse_and_reach_the_store_by_themselves(loop):
    world = loop.world
    order_id = _open_order(world)
    line = world.sandbox.orders[order_id]["line_items"][0]
    with world.uow() as uow:
        (mapping,) = [
            m
            for m in uow.mappings.for_store(COMPANY, loop.store.id)
            if m.target == (line["product_id"], line["variation_id"] or None)
        ]
        # What the store is offered before the parcel leaves: on hand less what the open
        # orders (this one included) still have to ship.
        offered = 50 - reserved_units(uow, COMPANY, [mapping.shipcrowd_sku])[mapping.shipcrowd_sku]
    loop.fulfilments.submit(COMPANY, loop.store.id, order_id, PPL)
    with world.uow() as uow:
        left = uow.warehouse.quantities(COMPANY, [mapping.shipcrowd_sku])[mapping.shipcrowd_sku]
    assert left == 50 - sum(
        i["quantity"]
        for i in world.sandbox.orders[order_id]["line_items"]
        if (i["product_id"], i["variation_id"] or None) == mapping.target
    )
    pushes = [
        (job, delay) for _, job, delay in loop.queue.sent if isinstance(job, PushStockChanges)
    ]
    assert pushes == [(PushStockChanges(COMPANY, loop.store.id), WINDOW)]
    world.clock.advance(seconds=5)
    loop.run_sent(PushStockChanges)
    target = world.sandbox.products[mapping.woo_variation_id or mapping.woo_product_id]
    # Shipping took the units off on hand and off what is reserved: the level is unchanged.
    assert target["stock_quantity"] == offered
    with world.uow() as uow:
        pushed = uow.mappings.get(COMPANY, mapping.id).last_push
    assert pushed is not None
    assert (pushed.on_hand, pushed.on_hand - pushed.reserved, pushed.level) == (
        left,
        offered,
        offered,
    )


def test_a_burst_of_changes_makes_one_push_per_window_in_the_fewest_batches(loop):
    world = loop.world
    skus = sorted({m.shipcrowd_sku for m in _mappings(loop)})
    for quantity in (40, 41, 42):
        loop.inventory.set_stock(COMPANY, [StockLevel(s, quantity) for s in skus])
        world.clock.advance(seconds=1)
    (push,) = [job for _, job, _ in loop.queue.sent]
    assert push == PushStockChanges(COMPANY, loop.store.id)
    world.stores.calls.clear()
    (record,) = loop.run_sent()
    assert record.summary["synced"] == len(_mappings(loop))
    assert len(world.stores.called("update_stock")) == record.summary["batch_requests"]
    with world.uow() as uow:
        assert uow.stock_changes.for_store(loop.store.id, 10) == []
        reserved = reserved_units(uow, COMPANY, skus)
    # The newest level, less what the imported open orders still have to ship of each SKU.
    stocked = [p for p in world.sandbox.products.values() if p["type"] != "variable"]
    assert {p["sku"]: p["stock_quantity"] for p in stocked} == {
        p["sku"]: max(0, 42 - reserved.get(p["sku"], 0)) for p in stocked
    }
    assert any(reserved.values())


def test_a_level_recorded_again_unchanged_pushes_nothing(loop):
    skus = sorted({m.shipcrowd_sku for m in _mappings(loop)})
    loop.inventory.set_stock(COMPANY, [StockLevel(s, 50) for s in skus])
    assert loop.queue.sent == []


def test_a_change_made_while_a_push_runs_goes_in_the_next(loop):
    world = loop.world
    first, second = sorted({m.shipcrowd_sku for m in _mappings(loop)})[:2]
    loop.inventory.set_stock(COMPANY, [StockLevel(first, 10)])
    world.clock.advance(seconds=5)
    taken = loop.inventory._auto_push.taken(loop.store.id, 100)  # the push has read its changes
    loop.inventory.set_stock(COMPANY, [StockLevel(first, 9), StockLevel(second, 8)])
    loop.inventory._auto_push.carried(COMPANY, loop.store.id, taken)
    with world.uow() as uow:
        waiting = {c.sku for c in uow.stock_changes.for_store(loop.store.id, 10)}
    assert waiting == {first, second}
    assert [job for _, job, _ in loop.queue.sent].count(
        PushStockChanges(COMPANY, loop.store.id)
    ) == 2


def test_stores_and_mappings_that_do_not_follow_the_warehouse_get_no_push(loop):
    world = loop.world
    mappings = _mappings(loop)
    with world.uow() as uow:
        uow.mappings.update(attrs.evolve(mappings[0], sync_on_fulfillment=False))
        uow.commit()
    loop.inventory.set_stock(COMPANY, [StockLevel(mappings[0].shipcrowd_sku, 1)])
    assert loop.queue.sent == []
    StoreService(world.context).change_settings(
        COMPANY, loop.store.id, SettingsChange(inventory_sync_auto_sync=False)
    )
    loop.inventory.set_stock(COMPANY, [StockLevel(mappings[1].shipcrowd_sku, 1)])
    assert loop.queue.sent == []


def test_changes_whose_push_was_lost_are_swept(loop):
    world = loop.world
    sku = _mappings(loop)[0].shipcrowd_sku
    loop.inventory.set_stock(COMPANY, [StockLevel(sku, 3)])
    loop.queue.sent.clear()  # the message is lost
    auto_push = loop.inventory._auto_push
    assert auto_push.sweep() == 0
    world.clock.advance(seconds=31)
    assert auto_push.sweep() == 1
    assert auto_push.sweep() == 0  # not again before SWEEP_EVERY
    loop.run_sent()
    with world.uow() as uow:
        assert uow.stock_changes.for_store(loop.store.id, 10) == []


def _mappings(loop):
    with loop.world.uow() as uow:
        return list(uow.mappings.for_store(COMPANY, loop.store.id))


def test_a_fulfilment_takes_its_units_off_the_warehouse_that_shipped_it(loop):
    """Multi-location: shipped from "north", north's stock goes down, the default's stays."""
    world = loop.world
    order_id = _open_order(world)
    line = world.sandbox.orders[order_id]["line_items"][0]
    with world.uow() as uow:
        (mapping,) = [
            m
            for m in uow.mappings.for_store(COMPANY, loop.store.id)
            if m.target == (line["product_id"], line["variation_id"] or None)
        ]
    sku = mapping.shipcrowd_sku
    loop.inventory.set_stock(COMPANY, [StockLevel(sku, 30, warehouse="north")])
    request = attrs.evolve(PPL, warehouse="north")
    submitted = loop.fulfilments.submit(COMPANY, loop.store.id, order_id, request)
    assert submitted.fulfilment.warehouse == "north"
    shipped = sum(
        i["quantity"]
        for i in world.sandbox.orders[order_id]["line_items"]
        if (i["product_id"], i["variation_id"] or None) == mapping.target
    )
    with world.uow() as uow:
        assert uow.warehouse.quantities(COMPANY, [sku], {"north"}) == {sku: 30 - shipped}
        assert uow.warehouse.quantities(COMPANY, [sku], {"default"}) == {sku: 50}
