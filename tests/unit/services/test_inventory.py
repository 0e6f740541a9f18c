"""Inventory push use cases on fakes."""

import attrs
import pytest

from shipcrowd_woo.domain.errors import StoreUnavailable, ValidationFailed
from shipcrowd_woo.domain.mapping_rules import MAX_CONSECUTIVE_SYNC_ERRORS
from shipcrowd_woo.domain.sync_log import SyncStatus
from shipcrowd_woo.services.inventory import InventorySync, StockLevel
from shipcrowd_woo.services.mappings import MappingService
from shipcrowd_woo.services.stores import StoreService
from tests.unit.services.conftest import COMPANY

# The world's catalogue: its simple products in one batch, and one batch per variable
# product's variations.
BATCHES = 5


def prepared(world, quantity=7):
    """A store, its catalogue mapped by SKU, and warehouse stock for every SKU."""
    store = world.install()
    skus = [p["sku"] for p in world.sandbox.products.values() if p["type"] != "variable"]
    InventorySync(world.context).set_stock(COMPANY, [StockLevel(s, quantity) for s in skus])
    MappingService(world.context).auto_map(COMPANY, store.id)
    return store


def test_every_mapped_sku_gets_the_warehouse_quantity_in_the_fewest_requests(world):
    """Simple products in one products/batch, variations through their parents."""
    store = prepared(world, quantity=7)
    log = InventorySync(world.context).push(COMPANY, store.id).log
    sellable = [p for p in world.sandbox.products.values() if p["type"] != "variable"]
    assert (log.status, log.synced, log.failed) == (SyncStatus.COMPLETED, len(sellable), 0)
    assert all(p["stock_quantity"] == 7 for p in sellable)
    parents = {p["parent_id"] for p in sellable if p["parent_id"]}
    assert log.metadata["batch_requests"] == 1 + len(parents)
    with world.uow() as uow:
        mappings = uow.mappings.for_store(COMPANY, store.id)
    assert {m.last_pushed_quantity for m in mappings} == {7}
    assert StoreService(world.context).get(COMPANY, store.id).stats.inventory_syncs == 1


def test_only_the_skus_asked_for_are_pushed(world):
    """A set of SKUs limits the push."""
    store = prepared(world)
    sku = next(p["sku"] for p in world.sandbox.products.values() if p["type"] == "simple")
    log = InventorySync(world.context).push(COMPANY, store.id, [sku]).log
    assert log.synced == 1


def test_mappings_without_stock_or_switched_off_are_left_out_and_counted(world):
    """No warehouse row, inventory sync off, or disabled: skipped, not failed."""
    store = prepared(world)
    with world.uow() as uow:
        first, second, *_ = uow.mappings.for_store(COMPANY, store.id)
        uow.mappings.update(attrs.evolve(first, sync_inventory=False))
        uow.mappings.update(attrs.evolve(second, is_active=False))
        uow.commit()
    log = InventorySync(world.context).push(COMPANY, store.id).log
    assert log.skipped == 2


def test_per_item_errors_count_on_the_mapping_and_the_tenth_disables_it(world):
    """A product deleted at the store fails item by item; ten pushes in a row disable its
    mapping, and the run is PARTIAL each time."""
    store = prepared(world)
    victim = next(i for i, p in world.sandbox.products.items() if p["type"] == "simple")
    del world.sandbox.products[victim]
    sync = InventorySync(world.context)
    for attempt in range(MAX_CONSECUTIVE_SYNC_ERRORS):
        log = sync.push(COMPANY, store.id).log
        assert log.status in (SyncStatus.PARTIAL, SyncStatus.COMPLETED), attempt
    with world.uow() as uow:
        mapping = next(
            m for m in uow.mappings.for_store(COMPANY, store.id) if m.woo_product_id == victim
        )
    assert not mapping.is_active
    assert mapping.sync_errors == MAX_CONSECUTIVE_SYNC_ERRORS
    assert "woocommerce_rest_product_invalid_id" in mapping.last_sync_error


def test_a_store_failure_fails_the_run_without_counting_against_mappings(world):
    """The store is down: FAILED log, nothing held against the mappings, error raised."""
    store = prepared(world)
    outage = StoreUnavailable(store.url, "POST products/batch: 503")
    world.stores.fail("update_stock", *[outage] * BATCHES)
    with pytest.raises(StoreUnavailable):
        InventorySync(world.context).push(COMPANY, store.id)
    logs = [log for log in world.database.sync_logs.values() if log.sync_type.value == "inventory"]
    assert logs[0].status is SyncStatus.FAILED
    with world.uow() as uow:
        assert all(m.sync_errors == 0 for m in uow.mappings.for_store(COMPANY, store.id))


def test_a_batch_the_store_failed_is_sent_again_in_the_same_run(world):
    """A flaky store fails one batch; a later pass sends it again and the run completes."""
    store = prepared(world, quantity=4)
    world.stores.fail("update_stock", StoreUnavailable(store.url, "POST products/batch: 502"))
    log = InventorySync(world.context).push(COMPANY, store.id).log
    assert (log.status, log.failed, log.metadata["batch_requests"]) == (
        SyncStatus.COMPLETED,
        0,
        BATCHES,
    )
    sellable = [p for p in world.sandbox.products.values() if p["type"] != "variable"]
    assert all(p["stock_quantity"] == 4 for p in sellable)


def test_items_a_batch_never_got_through_with_are_marked_on_their_mappings(world):
    """One batch fails on every pass, the others go through: PARTIAL, the batch's items
    say why on their mappings, and nothing counts towards disabling them."""
    store = prepared(world, quantity=5)
    bad = StoreUnavailable(store.url, "POST products/batch: 502")
    passes_of_the_rest = [None] * (BATCHES - 1)
    world.stores.fail("update_stock", bad, *passes_of_the_rest, bad, bad)
    log = InventorySync(world.context).push(COMPANY, store.id).log
    simple = [p for p in world.sandbox.products.values() if p["type"] == "simple"]
    assert (log.status, log.failed) == (SyncStatus.PARTIAL, len(simple))
    with world.uow() as uow:
        mappings = uow.mappings.for_store(COMPANY, store.id)
    unreached = [m for m in mappings if m.last_sync_error]
    assert len(unreached) == len(simple)
    assert all("502" in m.last_sync_error and m.sync_errors == 0 for m in unreached)
    assert all(m.is_active for m in mappings)


def test_a_paused_store_is_not_pushed_to(world):
    """Skipped with the reason."""
    store = prepared(world)
    StoreService(world.context).pause(COMPANY, store.id)
    outcome = InventorySync(world.context).push(COMPANY, store.id)
    assert outcome.log is None
    assert "paused" in outcome.skipped


def test_the_warehouse_feed_refuses_bad_items_with_every_reason(world):
    """Empty SKUs and negative quantities are reported together; nothing is recorded."""
    with pytest.raises(ValidationFailed) as raised:
        InventorySync(world.context).set_stock(
            COMPANY, [StockLevel("", 1), StockLevel("OK", -1), StockLevel("GOOD", 2)]
        )
    assert set(raised.value.problems) == {"items[0].sku", "items[1].quantity"}
    assert world.database.warehouse == {}
