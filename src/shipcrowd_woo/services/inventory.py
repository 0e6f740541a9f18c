"""Shipcrowd's warehouse stock pushed to the stores that sell it."""

from collections.abc import Collection, Sequence
from datetime import datetime
from itertools import groupby

import attrs

from shipcrowd_woo.domain.errors import StoreBusy, StoreClientError, ValidationFailed
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.inventory import (
    DEFAULT_WAREHOUSE,
    PlannedUpdate,
    WarehouseItem,
    clean_warehouse,
)
from shipcrowd_woo.domain.mapping_rules import (
    clean_sku,
    record_not_reached,
    record_sync_error,
    record_sync_success,
)
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType, fail_sync, finish_sync, record_items
from shipcrowd_woo.domain.woo_catalog import BatchItemResult
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.auto_push import AutoPush
from shipcrowd_woo.services.context import StoreWork
from shipcrowd_woo.services.order_sync import SyncOutcome
from shipcrowd_woo.services.reservations import stock_plan
from shipcrowd_woo.services.sync_logs import open_sync_log

# WooCommerce's batch limit (check_batch_limit); each request is one endpoint's items.
BATCH_SIZE = 100
# Passes over the batches a flaky store failed, within one run.
PASSES = 3
MAX_QUANTITY = 10**9
# A push carries at most this many waiting changes; the rest go in the next one.
MAX_CHANGES_A_PUSH = 10_000


@attrs.frozen
class StockLevel:
    """A warehouse SKU's stock as Shipcrowd reports it."""

    sku: str
    quantity: int
    name: str = ""
    warehouse: str = DEFAULT_WAREHOUSE


@attrs.define(eq=False)
class InventorySync:
    """The warehouse feed and the push of stock levels to stores."""

    _ctx: StoreWork
    # Without it, recording stock pushes nothing by itself.
    _auto_push: AutoPush | None = None

    def set_stock(self, company_id: CompanyId, levels: Sequence[StockLevel]) -> int:
        """Record the warehouses' stock of SKUs (each level's warehouse); returns how many
        were recorded. Levels that changed are pushed by themselves to the stores that
        follow the warehouse."""
        problems: dict[str, str] = {}
        items = []
        now = self._ctx.clock.now()
        for index, level in enumerate(levels):
            try:
                sku = clean_sku(level.sku)
            except ValueError as error:
                problems[f"items[{index}].sku"] = str(error)
                continue
            try:
                warehouse = clean_warehouse(level.warehouse)
            except ValueError as error:
                problems[f"items[{index}].warehouse"] = str(error)
                continue
            if not 0 <= level.quantity <= MAX_QUANTITY:
                problems[f"items[{index}].quantity"] = f"must be between 0 and {MAX_QUANTITY}"
                continue
            items.append(
                WarehouseItem(
                    company_id, sku, level.name.strip()[:255], level.quantity, now, warehouse
                )
            )
        if problems:
            raise ValidationFailed(problems)
        with self._ctx.uow_factory() as uow:
            before = {
                (warehouse, sku): quantity
                for warehouse in {item.warehouse for item in items}
                for sku, quantity in uow.warehouse.quantities(
                    company_id, [i.sku for i in items if i.warehouse == warehouse], {warehouse}
                ).items()
            }
            uow.warehouse.upsert(items)
            changed = {
                item.sku
                for item in items
                if before.get((item.warehouse, item.sku)) != item.quantity
            }
            stores = self.note_changes(uow, company_id, changed, now)
            uow.commit()
        self.schedule_pushes(company_id, stores)
        return len(items)

    def note_changes(
        self, uow: UnitOfWork, company_id: CompanyId, skus: Collection[str], at: datetime
    ) -> set[StoreId]:
        """Write down changed SKUs in the caller's transaction (see AutoPush.note)."""
        if self._auto_push is None:
            return set()
        return self._auto_push.note(uow, company_id, skus, at)

    def schedule_pushes(self, company_id: CompanyId, stores: set[StoreId]) -> None:
        """After the commit: schedule the pushes of what `note_changes` wrote down."""
        if self._auto_push is not None and stores:
            self._auto_push.schedule(company_id, stores)

    def push_changes(self, company_id: CompanyId, store_id: StoreId) -> SyncOutcome:
        """Push the store's waiting stock changes (a PushStockChanges job): the levels stored
        now, through the mappings that follow the warehouse."""
        if self._auto_push is None:
            return SyncOutcome(None, "stock does not follow the warehouse in this process")
        taken = self._auto_push.taken(store_id, MAX_CHANGES_A_PUSH)
        if not taken:
            return SyncOutcome(None, "no stock changes waiting")
        outcome = self.push(
            company_id, store_id, [change.sku for change in taken], following_warehouse=True
        )
        self._auto_push.carried(company_id, store_id, taken)
        return outcome

    def push(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        skus: Sequence[str] = (),
        *,
        following_warehouse: bool = False,
    ) -> SyncOutcome:
        """Push the stock of the store's mapped SKUs (all, or those given): one batch request
        per 100 items of one endpoint, per-item errors counted on their mapping (disabled at
        the tenth in a row), successes resetting the count. Batches the store fails are sent
        again in later passes; items still not through are marked on their mappings (not
        counted towards disabling) and the run ends PARTIAL. When nothing gets through the
        run fails and the error propagates (the job is retried). No fixed pauses: the
        transport backs off only when the store asks. `following_warehouse` pushes only
        through mappings that take stock changes by themselves (sync on fulfilment)."""
        with self._ctx.uow_factory() as uow:
            store = uow.stores.get(company_id, store_id)
            # A push of some SKUs (every push of changes) reads their mappings only, not the
            # store's whole catalogue.
            found = (
                uow.mappings.for_skus(company_id, store_id, set(skus))
                if skus
                else uow.mappings.for_store(company_id, store_id)
            )
            mappings = [m for m in found if not following_warehouse or m.sync_on_fulfillment]
            plan = stock_plan(uow, store, mappings)
        if not store.can_sync:
            return SyncOutcome(None, "the store is paused or disconnected")
        if not store.inventory_sync.enabled:
            return SyncOutcome(None, "inventory sync is turned off for this store")
        lock_name = StoreId(f"{store.id}:inventory")
        with self._ctx.store_lock.hold(lock_name, self._ctx.sync_lock_ttl) as held:
            if not held:
                raise StoreBusy("another inventory push of this store is running")
            log = open_sync_log(
                self._ctx,
                store,
                SyncType.INVENTORY,
                {"requested_skus": len(set(skus)), "batch_requests": 0},
            )
            log = record_items(log, skipped=len(plan.left_out))
            self._save(log, new=True)
            return SyncOutcome(self._push(store, plan.updates, log))

    def _push(
        self,
        store: Store,
        updates: Sequence[PlannedUpdate],
        log: SyncLog,
    ) -> SyncLog:
        chunks = _chunks(updates)
        pending = chunks
        requests = 0
        failures: list[tuple[list[PlannedUpdate], StoreClientError]] = []
        with self._ctx.client_for(store) as client:
            # Batches the store failed to take (after the client's own retries) get further
            # passes; stock values are absolute, so sending one again is harmless.
            for _ in range(PASSES):
                failures = []
                for chunk in pending:
                    try:
                        results = client.update_stock([update for _, update, _ in chunk])
                    except StoreClientError as error:
                        failures.append((chunk, error))
                        continue
                    requests += 1
                    log = self._record(log, chunk, results)
                if not failures or len(failures) == len(chunks):
                    break
                pending = [chunk for chunk, _ in failures]
        log = attrs.evolve(log, metadata={**log.metadata, "batch_requests": requests})
        if failures and len(failures) == len(chunks):
            # Nothing got through: the store is down. The run fails without blaming any
            # mapping, and the job is retried.
            outage = failures[-1][1]
            not_pushed = sum(len(chunk) for chunk, _ in failures)
            log = record_items(
                log, failed=not_pushed, errors=[f"{not_pushed} items not pushed: {outage.detail}"]
            )
            self._save(fail_sync(log, self._ctx.clock.now(), outage.detail))
            raise outage
        for chunk, failure in failures:
            log = self._record(log, chunk, failure)
        ended = finish_sync(log, self._ctx.clock.now())
        with self._ctx.uow_factory() as uow:
            uow.sync_logs.update(ended)
            uow.stores.record_inventory_sync(store.id, self._ctx.clock.now())
            uow.commit()
        return ended

    def _record(
        self,
        log: SyncLog,
        chunk: Sequence[PlannedUpdate],
        outcome: Sequence[BatchItemResult] | StoreClientError,
    ) -> SyncLog:
        """Write a chunk's outcome on its mappings and the log: the store's answer for each
        item, or the error that kept the whole chunk from the store."""
        now = self._ctx.clock.now()
        with self._ctx.uow_factory() as uow:
            if isinstance(outcome, StoreClientError):
                message = f"not pushed, the store failed the batch: {outcome.detail}"
                for mapping, _, _ in chunk:
                    current = uow.mappings.get(mapping.company_id, mapping.id)
                    uow.mappings.update(record_not_reached(current, message, now))
                errors = [f"{len(chunk)} items not pushed: {outcome.detail}"]
                log = record_items(log, failed=len(chunk), errors=errors)
            else:
                log = self._record_results(uow, log, chunk, outcome, now)
            uow.sync_logs.update(log)
            uow.commit()
        return log

    @staticmethod
    def _record_results(
        uow: UnitOfWork,
        log: SyncLog,
        chunk: Sequence[PlannedUpdate],
        results: Sequence[BatchItemResult],
        now: datetime,
    ) -> SyncLog:
        errors: list[str] = []
        for (mapping, _, availability), result in zip(chunk, results, strict=True):
            current = uow.mappings.get(mapping.company_id, mapping.id)
            if result.ok:
                uow.mappings.update(record_sync_success(current, now, availability))
            else:
                message = f"{result.error_code}: {result.error_message}"
                uow.mappings.update(record_sync_error(current, message, now))
                errors.append(f"{mapping.shipcrowd_sku}: {message}")
        synced = sum(1 for result in results if result.ok)
        return record_items(log, synced=synced, failed=len(errors), errors=errors)

    def _save(self, log: SyncLog, new: bool = False) -> None:
        with self._ctx.uow_factory() as uow:
            (uow.sync_logs.add if new else uow.sync_logs.update)(log)
            uow.commit()


def _chunks(
    updates: Sequence[PlannedUpdate],
) -> list[list[PlannedUpdate]]:
    """Updates grouped by endpoint (simple products, or one parent's variations), then cut
    into batches of 100: the fewest requests WooCommerce allows."""

    def endpoint(planned: PlannedUpdate) -> int:
        return planned[1].product_id if planned[1].variation_id is not None else 0

    ordered = sorted(updates, key=lambda planned: (endpoint(planned), planned[1].product_id))
    chunks: list[list[PlannedUpdate]] = []
    for _, group in groupby(ordered, key=endpoint):
        items = list(group)
        chunks.extend(items[i : i + BATCH_SIZE] for i in range(0, len(items), BATCH_SIZE))
    return chunks
