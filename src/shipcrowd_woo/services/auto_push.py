"""Stock that follows the warehouse: a changed level is pushed to the stores by itself.

A change is written down per (store, SKU) in the transaction that changed the level, then a
push of the store is scheduled: at most one per store per window (a ScheduleGuard claim),
`window` after the first change, so a burst makes one push carrying every SKU it touched. The
push reads the waiting changes, pushes the levels stored at that moment (the newest wins) and
removes only the changes it read: one made while it ran keeps its row and schedules (or
finds) the next push. Should every message be lost, the scheduler's sweep sends a push for
changes that waited far longer than a window. Nothing is lost, nothing pushed twice in a
window.
"""

import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.inventory import StockChange, follows_warehouse
from shipcrowd_woo.domain.jobs import PushStockChanges
from shipcrowd_woo.ports.queue import ScheduleGuard
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.context import Records
from shipcrowd_woo.services.jobs import JobService

log = logging.getLogger("shipcrowd_woo.inventory")
DEFAULT_WINDOW = timedelta(seconds=5)
# Changes still waiting this many windows after they were made lost their push.
LOST_AFTER_WINDOWS = 6
# How often the sweep may send a push for one store (a store down for hours is not
# hammered: each of these pushes runs its own retries).
SWEEP_EVERY = timedelta(minutes=5)
SWEEP_BATCH = 500


@attrs.define(eq=False)
class AutoPush:
    """Writes stock changes down and schedules the pushes that carry them."""

    _ctx: Records
    _jobs: JobService
    _guard: ScheduleGuard
    window: timedelta = DEFAULT_WINDOW

    def note(
        self, uow: UnitOfWork, company_id: CompanyId, skus: Collection[str], at: datetime
    ) -> set[StoreId]:
        """Write down, in the caller's transaction, that these SKUs changed, for every store
        of the company that follows the warehouse and maps them with stock sync on (and
        sync on fulfilment). Returns the stores to `schedule` once committed."""
        return note_stock_changes(uow, company_id, skus, at, self._ctx.new_id())

    def schedule(self, company_id: CompanyId, store_ids: Iterable[StoreId]) -> int:
        """Send each store's push to run one window from now, unless one is already due in
        this window; returns how many were sent."""
        sent = 0
        for store_id in sorted(store_ids):
            if self._guard.claim(_claim(store_id), self.window):
                self._jobs.submit(company_id, PushStockChanges(company_id, store_id), self.window)
                sent += 1
        return sent

    def schedule_noted(self, noted: Mapping[CompanyId, Collection[StoreId]]) -> None:
        """`schedule` the stores a committed unit of work noted changes for."""
        for company_id, store_ids in sorted(noted.items()):
            self.schedule(company_id, store_ids)

    def taken(self, store_id: StoreId, limit: int) -> Sequence[StockChange]:
        """The store's waiting changes, for a push to carry."""
        with self._ctx.uow_factory() as uow:
            return uow.stock_changes.for_store(store_id, limit)

    def carried(
        self, company_id: CompanyId, store_id: StoreId, taken: Sequence[StockChange]
    ) -> None:
        """A push carried these changes: remove them (unless replaced since), and schedule the
        next push when changes arrived meanwhile."""
        with self._ctx.uow_factory() as uow:
            uow.stock_changes.remove(taken)
            more = bool(uow.stock_changes.for_store(store_id, 1))
            uow.commit()
        if more:
            self.schedule(company_id, [store_id])

    def sweep(self) -> int:
        """Send a push for every store whose changes waited far longer than a window (their
        scheduled push was lost or failed for good); returns how many were sent."""
        cutoff = self._ctx.clock.now() - self.window * LOST_AFTER_WINDOWS
        with self._ctx.reads() as uow:
            waiting = uow.stock_changes.waiting_since(cutoff, SWEEP_BATCH)
        sent = 0
        for change in waiting:
            if self._guard.claim(f"stock-push-sweep:{change.store_id}", SWEEP_EVERY):
                log.warning(
                    "stock changes of store %s waited since %s: push sent again",
                    change.store_id,
                    change.changed_at.isoformat(),
                )
                self._jobs.submit(
                    change.company_id, PushStockChanges(change.company_id, change.store_id)
                )
                sent += 1
        return sent


def note_stock_changes(
    uow: UnitOfWork,
    company_id: CompanyId,
    skus: Collection[str],
    at: datetime,
    token: str,
    only: Collection[StoreId] | None = None,
) -> set[StoreId]:
    """`AutoPush.note` for any writer (for `only` these stores, if given), the change named
    by `token`; returns the stores."""
    if not skus:
        return set()
    changes: dict[tuple[StoreId, str], StockChange] = {}
    for store in uow.stores.syncable_of(company_id):
        if not store.follows_warehouse or (only is not None and store.id not in only):
            continue
        for mapping in uow.mappings.for_skus(company_id, store.id, skus):
            if follows_warehouse(mapping):
                changes[(store.id, mapping.shipcrowd_sku)] = StockChange(
                    company_id, store.id, mapping.shipcrowd_sku, token, at
                )
    uow.stock_changes.note(list(changes.values()))
    return {store_id for store_id, _ in changes}


def _claim(store_id: StoreId) -> str:
    return f"stock-push:{store_id}"
