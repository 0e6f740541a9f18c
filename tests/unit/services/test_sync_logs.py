"""Reading sync logs: pages, filtered by type, and statistics per store and type."""

import pytest

from shipcrowd_woo.domain.errors import StoreNotFound
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.pagination import PageRequest
from shipcrowd_woo.domain.sync_log import SyncStatus, SyncType
from shipcrowd_woo.services.inventory import InventorySync
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.sync_logs import sync_log_page, sync_stats
from tests.unit.services.conftest import COMPANY, OTHER_COMPANY


def test_logs_are_read_per_store_and_type_with_statistics(world):
    """Three order runs (one partial) and an inventory push: pages, filters and rates."""
    store = world.install()
    sync = OrderSync(world.context, world.confirmations)
    sync.run(COMPANY, store.id, SyncMode.FULL)
    world.clock.advance(minutes=1)
    world.sandbox.orders[min(world.sandbox.orders)]["total"] = "oops"
    world.sandbox.update_order(min(world.sandbox.orders), customer_note="x")
    sync.run(COMPANY, store.id, SyncMode.INCREMENTAL)
    world.clock.advance(minutes=1)
    sync.run(COMPANY, store.id, SyncMode.SINGLE, max(world.sandbox.orders))
    world.clock.advance(minutes=1)
    InventorySync(world.context).push(COMPANY, store.id)
    uow = world.context.uow_factory
    page = sync_log_page(uow, COMPANY, store.id, None, PageRequest(limit=2))
    assert page.total == 4
    assert [log.sync_type for log in page.items] == [SyncType.INVENTORY, SyncType.ORDER]
    orders = sync_log_page(uow, COMPANY, store.id, SyncType.ORDER, PageRequest())
    assert [log.status for log in orders.items] == [
        SyncStatus.COMPLETED,
        SyncStatus.PARTIAL,
        SyncStatus.COMPLETED,
    ]
    stats = sync_stats(uow, COMPANY, store.id, SyncType.ORDER)
    assert stats.runs == 3
    assert stats.success_rate == pytest.approx(2 / 3)
    assert stats.failed == 1


def test_another_companys_logs_are_not_found(world):
    """Scoped by company like everything else."""
    store = world.install()
    with pytest.raises(StoreNotFound):
        sync_log_page(world.context.uow_factory, OTHER_COMPANY, store.id, None, PageRequest())
