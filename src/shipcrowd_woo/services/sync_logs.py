"""Sync logs: pages, statistics and success rates per store and type, and retention."""

from collections.abc import Mapping
from datetime import datetime, timedelta

from shipcrowd_woo.domain.ids import CompanyId, StoreId, SyncLogId
from shipcrowd_woo.domain.pagination import MAX_PAGE_SIZE, Page, PageRequest
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import (
    MetadataValue,
    SyncLog,
    SyncStats,
    SyncType,
    start_sync,
    summarise,
)
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.repositories import UnitOfWorkFactory
from shipcrowd_woo.services.context import Records
from shipcrowd_woo.services.retention import purge_older_than

DEFAULT_RETENTION = timedelta(days=90)
DEFAULT_BATCH_SIZE = 1000


def open_sync_log(
    records: Records,
    store: Store,
    sync_type: SyncType,
    metadata: Mapping[str, MetadataValue],
    started: datetime | None = None,
) -> SyncLog:
    """A new log, under a new id, for a run of `sync_type` at the store starting now (or at
    `started`)."""
    moment = started or records.clock.now()
    log_id = SyncLogId(records.new_id())
    return start_sync(log_id, store.company_id, store.id, sync_type, moment, metadata)


def purge_old_sync_logs(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    retention: timedelta = DEFAULT_RETENTION,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Delete logs started more than `retention` ago, one short transaction per batch, so a
    large backlog never holds locks for long. Returns how many were deleted."""
    return purge_older_than(
        uow_factory,
        clock,
        retention,
        batch_size,
        lambda uow, cutoff, size: uow.sync_logs.delete_started_before(cutoff, size),
    )


def sync_log_page(
    uow_factory: UnitOfWorkFactory,
    company_id: CompanyId,
    store_id: StoreId,
    sync_type: SyncType | None,
    page: PageRequest,
) -> Page[SyncLog]:
    """A page of the company's store's logs, newest first (StoreNotFound for another's)."""
    with uow_factory() as uow:
        uow.stores.get(company_id, store_id)
        return uow.sync_logs.page(store_id, sync_type, page)


def sync_stats(
    uow_factory: UnitOfWorkFactory,
    company_id: CompanyId,
    store_id: StoreId,
    sync_type: SyncType | None = None,
    window: int = 1000,
) -> SyncStats:
    """Counts, success rate and average duration over the newest `window` logs."""
    logs: list[SyncLog] = []
    offset = 0
    while len(logs) < window:
        page = sync_log_page(
            uow_factory,
            company_id,
            store_id,
            sync_type,
            PageRequest(offset=offset, limit=min(MAX_PAGE_SIZE, window - len(logs))),
        )
        logs.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    return summarise(logs)
