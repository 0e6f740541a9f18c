"""Order import use cases on fakes."""

from datetime import timedelta

import attrs
import pytest

from shipcrowd_woo.adapters.preparation import InProcesses
from shipcrowd_woo.converters.woocommerce import parse_order
from shipcrowd_woo.domain.errors import StoreBusy, StoreUnavailable, ValidationFailed
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.statuses import OrderStatus
from shipcrowd_woo.domain.sync_log import SyncStatus
from shipcrowd_woo.domain.transform import transform_order
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.order_writing import transform_context
from shipcrowd_woo.services.stores import StoreService
from tests.fakes import FakeUnitOfWork
from tests.unit.services.conftest import COMPANY


def stored_orders(world, store):
    return {k.source_id: o for k, o in world.database.orders.items() if k.store_id == store.id}


def test_a_full_import_creates_every_order_and_counts_it(world):
    """250 orders in three pages: 250 created, a COMPLETED log, stats and cursor updated."""
    store = world.install()
    outcome = OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    log = outcome.log
    assert (log.status, log.synced, log.skipped, log.failed) == (SyncStatus.COMPLETED, 250, 0, 0)
    assert log.metadata["created"] == 250
    assert len(stored_orders(world, store)) == 250
    saved = StoreService(world.context).get(COMPANY, store.id)
    assert saved.stats.orders_synced == 250
    newest = max(o["date_modified_gmt"] for o in world.sandbox.orders.values())
    assert saved.order_cursor.isoformat().startswith(newest)
    assert world.stores.called("order_page") == [1, 2, 3]


def test_a_second_import_skips_what_did_not_change_and_updates_what_did(world):
    """After five orders move along at the store, an incremental run updates those five."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    sync.run(COMPANY, store.id, SyncMode.FULL)
    world.clock.advance(minutes=30)
    changed = world.sandbox.advance_orders(5)
    log = sync.run(COMPANY, store.id, SyncMode.INCREMENTAL).log
    assert log.metadata["updated"] == 5
    assert log.metadata["created"] == 0
    orders = stored_orders(world, store)
    for order_id in changed:
        assert orders[order_id].woo_status == world.sandbox.orders[order_id]["status"]


def test_an_incremental_import_reads_from_the_cursor_minus_the_overlap(world):
    """modified_after = newest modification of the last successful run - 5 minutes."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    sync.run(COMPANY, store.id, SyncMode.FULL)
    cursor = StoreService(world.context).get(COMPANY, store.id).order_cursor
    sync.run(COMPANY, store.id, SyncMode.INCREMENTAL)
    assert world.stores.called("order_pages") == [None, cursor - timedelta(minutes=5)]


def test_the_cursor_never_passes_the_start_of_the_run(world):
    """An order saved at the store while a run pages is read again next time."""
    store = world.install()
    world.clock.advance(minutes=10)
    world.sandbox.advance_orders(1)
    world.clock.advance(minutes=-20)
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    assert StoreService(world.context).get(COMPANY, store.id).order_cursor == world.clock.now()


def test_a_rejected_order_makes_the_run_partial_with_its_reason(world):
    """One malformed order is recorded; the other 249 are imported."""
    store = world.install()
    bad = min(world.sandbox.orders)
    world.sandbox.orders[bad]["total"] = "12,50"
    log = OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL).log
    assert (log.status, log.synced, log.failed) == (SyncStatus.PARTIAL, 249, 1)
    assert log.errors == (f"order {bad}: total: '12,50' is not an amount",)


def test_pages_prepared_in_processes_import_as_pages_prepared_in_this_one(world):
    """In our entrypoints pages are read, transformed and staged in processes of their
    own (bootstrap): the same orders, the same rejection, the same counts."""
    store = world.install()
    bad = min(world.sandbox.orders)
    world.sandbox.orders[bad]["total"] = "12,50"
    processes = InProcesses(2)
    in_processes = attrs.evolve(world.context, prepare_ahead=processes)
    try:
        sync = OrderSync(in_processes, world.confirmations)
        log = sync.run(COMPANY, store.id, SyncMode.FULL).log
    finally:
        processes.close()
    assert (log.status, log.synced, log.failed) == (SyncStatus.PARTIAL, 249, 1)
    assert log.errors == (f"order {bad}: total: '12,50' is not an amount",)
    assert log.metadata["created"] == 249
    from_processes = stored_orders(world, store)
    world.database.orders.clear()
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    assert stored_orders(world, store) == from_processes


def test_a_store_failure_fails_the_run_keeps_the_cursor_and_propagates(world):
    """The store went down on page 2: FAILED log, cursor untouched, error raised for the
    job queue to retry; the orders of page 1 are kept."""
    store = world.install()
    calls = {"n": 0}
    real = world.sandbox.order_json

    def flaky(order_id, fields=None):
        calls["n"] += 1
        if calls["n"] == 150:
            raise StoreUnavailable(store.url, "GET orders: HTTP 503")
        return real(order_id, fields)

    world.sandbox.order_json = flaky
    with pytest.raises(StoreUnavailable):
        OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    saved = StoreService(world.context).get(COMPANY, store.id)
    assert saved.order_cursor is None
    [log] = world.database.sync_logs.values()
    assert log.status is SyncStatus.FAILED
    assert log.errors == ("GET orders: HTTP 503",)
    assert len(stored_orders(world, store)) == 100


@pytest.mark.parametrize("change", [{"is_paused": True}, {"is_active": False}])
def test_a_paused_or_disconnected_store_is_not_synced_and_says_so(world, change):
    """Nothing is called; the outcome says why."""
    store = world.install()
    with world.uow() as uow:
        uow.stores.update(attrs.evolve(store, **change))
        uow.commit()
    outcome = OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    assert outcome.log is None
    assert "paused" in outcome.skipped or "disconnected" in outcome.skipped
    assert world.stores.called("order_pages") == []


def test_two_syncs_of_one_store_never_run_at_once(world):
    """When another worker holds the store's lock, this run does nothing and says so."""
    store = world.install()
    world.lock.busy.add(store.id)
    with pytest.raises(StoreBusy, match="another order sync of this store is running"):
        OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    assert world.stores.called("order_pages") == []


def test_a_single_order_is_imported_without_moving_the_cursor(world):
    """SINGLE fetches one order by id."""
    store = world.install()
    order_id = max(world.sandbox.orders)
    log = (
        OrderSync(world.context, world.confirmations)
        .run(COMPANY, store.id, SyncMode.SINGLE, order_id)
        .log
    )
    assert (log.synced, log.status) == (1, SyncStatus.COMPLETED)
    assert list(stored_orders(world, store)) == [order_id]
    assert StoreService(world.context).get(COMPANY, store.id).order_cursor is None
    with pytest.raises(ValidationFailed):
        OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.SINGLE)


def test_a_status_pushed_to_the_store_is_kept_as_the_store_saved_it(world):
    """push_status and cancel update the store and our copy."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    order_id = next(i for i, o in world.sandbox.orders.items() if o["status"] == "processing")
    order = sync.push_status(COMPANY, store.id, order_id, "wc-completed")
    assert world.sandbox.orders[order_id]["status"] == "completed"
    assert order.status is OrderStatus.COMPLETED
    assert sync.cancel(COMPANY, store.id, order_id).status is OrderStatus.CANCELLED
    with pytest.raises(ValidationFailed):
        sync.push_status(COMPANY, store.id, order_id, "shipped-by-owl")


def _deliver_stale(world, store, order_id, changes):
    """A delivery of the order as the store held it, with `changes`, received now."""
    snapshot = transform_order(
        parse_order(world.sandbox.order_json(order_id) | changes),
        transform_context(store, world.clock.now()),
    )
    world.database.orders[snapshot.key] = snapshot
    return snapshot.key


def test_a_page_sent_before_a_same_second_delivery_arrived_is_confirmed(world):
    """We hold a delivery of the same second with other content, received as the page's
    request was sent: neither proves itself newer, so the import leaves the stored version,
    asks the store nothing itself, and the order is confirmed: the store's version wins."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    order_id = next(i for i, o in world.sandbox.orders.items() if o["status"] == "processing")
    key = _deliver_stale(world, store, order_id, {"status": "pending"})
    log = sync.run(COMPANY, store.id, SyncMode.FULL).log
    assert world.stores.called("get_order") == []
    assert world.database.orders[key].woo_status == "pending"
    assert key in world.database.confirmations
    assert log.skipped >= 1
    world.confirm()
    assert world.stores.called("get_order") == [order_id]
    assert world.database.orders[key].woo_status == "processing"


def test_a_page_sent_after_a_same_second_delivery_arrived_replaces_it(world):
    """The same, with the page's request sent more than the clock tolerance after the
    delivery arrived: the page proves itself newer and replaces it, nothing confirmed."""
    store = world.install()
    order_id = next(i for i, o in world.sandbox.orders.items() if o["status"] == "processing")
    key = _deliver_stale(world, store, order_id, {"status": "pending"})
    world.clock.advance(seconds=2)
    OrderSync(world.context, world.confirmations).run(COMPANY, store.id, SyncMode.FULL)
    assert world.database.orders[key].woo_status == "processing"
    assert world.database.confirmations == {}


def test_a_same_second_snapshot_written_between_the_read_and_the_write_is_confirmed(world):
    """A delivery of the same second, observed after the import's page, is written between
    the import's read of the stored versions and its write: the page cannot prove itself
    newer, so it does not overwrite it, and the store settles it."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    sync.run(COMPANY, store.id, SyncMode.FULL)
    world.clock.advance(minutes=1)
    [order_id] = world.sandbox.advance_orders(1)
    key = OrderKey(COMPANY, store.id, order_id)
    at_store = world.sandbox.order_json(order_id)
    rival = transform_order(
        parse_order(at_store | {"customer_note": "a save the store no longer holds"}),
        transform_context(store, world.clock.now() + timedelta(seconds=1)),
    )
    raced = []

    class ThenADeliveryLands(FakeUnitOfWork):
        def __enter__(self):
            uow = super().__enter__()
            versions = uow.orders.versions

            def read(keys, lock=False):
                found = versions(keys, lock)
                if key in keys and not raced:
                    raced.append(key)
                    world.database.orders[key] = rival
                    world.clock.advance(seconds=2)  # later reads observe later
                return found

            uow.orders.versions = read
            return uow

    racing = attrs.evolve(world.context, reads=lambda: ThenADeliveryLands(world.database))
    OrderSync(racing, world.confirmations).run(COMPANY, store.id, SyncMode.INCREMENTAL)
    assert raced == [key]
    assert world.database.orders[key] == rival
    world.confirm()
    assert order_id in world.stores.called("get_order")
    saved = world.database.orders[key]
    assert (saved.woo_status, saved.customer_note) == (
        at_store["status"],
        at_store["customer_note"],
    )


def test_reconciliation_marks_orders_deleted_at_the_store_and_imports_missing_ones(world):
    """A permanently deleted order (no webhook) is marked, not dropped; an order we lack is
    imported."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    sync.run(COMPANY, store.id, SyncMode.FULL)
    deleted = min(world.sandbox.orders)
    world.sandbox.delete_order(deleted)
    [new_id] = world.sandbox.add_random_orders(1)
    log = sync.reconcile_deletions(COMPANY, store.id)
    assert (log.metadata["marked_deleted"], log.metadata["imported"]) == (1, 1)
    orders = stored_orders(world, store)
    assert orders[deleted].deleted_at_store == world.clock.now()
    assert new_id in orders


def test_reconciliation_refuses_to_mark_most_orders_deleted_at_once(world):
    """A store listing nothing is more likely broken than emptied."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    sync.run(COMPANY, store.id, SyncMode.FULL)
    world.sandbox.orders.clear()
    log = sync.reconcile_deletions(COMPANY, store.id)
    assert log.status is SyncStatus.FAILED
    assert "refusing to mark 250 of 250" in log.errors[0]
    assert all(o.deleted_at_store is None for o in stored_orders(world, store).values())


def test_an_incremental_import_that_finds_changes_notes_webhook_trouble(world):
    """Issue 15: changes an incremental import finds were announced by no delivery (a
    processed delivery leaves the order on the store's version): evidence for a webhook
    check. A first full import notes nothing, nor does one that finds no change."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    sync.run(COMPANY, store.id, SyncMode.FULL)
    sync.run(COMPANY, store.id, SyncMode.INCREMENTAL)
    assert StoreService(world.context).get(COMPANY, store.id).webhook_health.trouble_at is None
    world.clock.advance(minutes=15)
    world.sandbox.advance_orders(2)
    sync.run(COMPANY, store.id, SyncMode.INCREMENTAL)
    health = StoreService(world.context).get(COMPANY, store.id).webhook_health
    assert health.trouble_at == world.clock.now()
    assert "2 order changes no delivery announced" in health.trouble
