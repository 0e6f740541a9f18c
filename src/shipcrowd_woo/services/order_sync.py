"""Importing orders from a store: full, incremental and single; status pushes; reconciling
orders deleted at the store."""

import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime

import attrs

from shipcrowd_woo.domain.errors import StoreBusy, StoreClientError, ValidationFailed
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.jobs import SyncMode, SyncOrders
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.rejections import Rejection
from shipcrowd_woo.domain.statuses import WOO_STATUS_TABLE, normalise_woo_status
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType, fail_sync, finish_sync, record_items
from shipcrowd_woo.domain.transform import TransformContext, transform_order
from shipcrowd_woo.domain.versions import Verdict
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.ports.repositories import StagedOrder
from shipcrowd_woo.ports.store_client import OrderPage, StoreClient
from shipcrowd_woo.services.context import StoreWork
from shipcrowd_woo.services.order_writing import (
    MAX_WRITE_ATTEMPTS,
    Confirmed,
    confirm_same_second,
    refetcher,
    transform_context,
)
from shipcrowd_woo.services.sync_logs import open_sync_log

logger = logging.getLogger("shipcrowd_woo.orders")
# Orders the store can be told to move to (extensions' statuses are the store's to validate).
PUSHABLE_STATUSES = frozenset(WOO_STATUS_TABLE) - {"trash", "auto-draft", "draft", "new"}
# A reconciliation that would mark more than this share of a store's orders deleted is more
# likely a broken listing (a plugin, a permission) than a mass deletion: it refuses.
MAX_SHARE_MARKED_DELETED = 0.5
MAX_IMPORTED_BY_RECONCILIATION = 500


# Told of each page once it is saved (a progress bar).
PageProgress = Callable[[OrderPage, SyncLog], None]


@attrs.frozen
class SyncOutcome:
    """A run's log, or why nothing ran."""

    log: SyncLog | None
    skipped: str | None = None


@attrs.define(eq=False)
class OrderSync:
    """Order import and order changes pushed back to the store."""

    _ctx: StoreWork

    def run(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        mode: SyncMode,
        order_id: int | None = None,
        on_page: PageProgress | None = None,
    ) -> SyncOutcome:
        """Import orders. Paused or disconnected stores, and stores already syncing (a lock
        shared by every worker), are skipped with the reason. A store already syncing raises
        StoreBusy (the queue runs the job again later). Store errors end the run FAILED and
        propagate (the job queue retries); rejected orders end it PARTIAL. The arguments are
        those of a SyncOrders command, and checked as one."""
        SyncOrders(company_id, store_id, mode, order_id)
        with self._ctx.uow_factory() as uow:
            store = uow.stores.get(company_id, store_id)
        reason = _why_not(store)
        if reason:
            return SyncOutcome(None, reason)
        with self._ctx.store_lock.hold(store.id, self._ctx.sync_lock_ttl) as held:
            if not held:
                raise StoreBusy("another order sync of this store is running")
            return SyncOutcome(self._run(store, mode, order_id, on_page))

    def _run(
        self, store: Store, mode: SyncMode, order_id: int | None, on_page: PageProgress | None
    ) -> SyncLog:
        started = self._ctx.clock.now()
        after = None
        if mode is SyncMode.INCREMENTAL and store.order_cursor is not None:
            after = store.order_cursor - store.order_sync.overlap
        log = open_sync_log(
            self._ctx,
            store,
            SyncType.ORDER,
            {
                "mode": mode.value,
                "modified_after": after.isoformat() if after else None,
                "created": 0,
                "updated": 0,
            },
            started,
        )
        with self._ctx.uow_factory() as uow:
            uow.sync_logs.add(log)
            uow.commit()
        newest: datetime | None = None
        try:
            with self._ctx.client_for(store) as client:
                pages: Iterable[OrderPage]
                if mode is SyncMode.SINGLE:
                    assert order_id is not None
                    order = client.get_order(order_id)
                    pages = [OrderPage.of((order,), self._ctx.clock.now(), 1, 1)]
                else:
                    pages = client.order_pages(
                        modified_after=after, expected_orders=_expected(client, mode)
                    )
                with self._ctx.reads() as uow:
                    stage = uow.orders.staging()
                prepare = functools.partial(_prepared, transform_context(store, started), stage)
                refetch = _staged(refetcher(store, client, self._ctx.clock.now), stage)
                for page, (staged, failures) in self._ctx.prepare_ahead(pages, prepare):
                    log, page_newest = self._save_page(store, refetch, staged, failures, log)
                    newest = max(filter(None, (newest, page_newest)), default=None)
                    if on_page is not None:
                        on_page(page, log)
        except StoreClientError as error:
            self._end(fail_sync(log, self._ctx.clock.now(), error.detail), None)
            raise
        # Orders saved while this run paged have modification times after its start: the
        # cursor never passes the start, so the next run (minus the overlap) reads them.
        cursor = None if mode is SyncMode.SINGLE or newest is None else min(newest, started)
        ended = finish_sync(log, self._ctx.clock.now())
        unannounced = int(ended.metadata.get("created") or 0) + int(
            ended.metadata.get("updated") or 0
        )
        # Deliveries would have brought these first: a webhook may be disabled or lost.
        trouble = (
            f"an incremental import found {unannounced} order changes no delivery announced"
            if after is not None and store.webhooks_enabled and unannounced
            else None
        )
        return self._end(ended, cursor, trouble)

    def _save_page(
        self,
        store: Store,
        refetch: Callable[[int], StagedOrder | None],
        staged: list[StagedOrder],
        failures: list[str],
        log: SyncLog,
    ) -> tuple[SyncLog, datetime | None]:
        for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
            # Read outside the write: a same-second conflict is settled by a fetch from the
            # store, and no write transaction is held over a request.
            confirmed = confirm_same_second(self._ctx.reads, staged, refetch)
            written = self._write_page(store, confirmed, failures, log, attempt)
            if written is not None:
                return written, max((o.modified_at for o in confirmed.orders), default=None)
            logger.info("orders of a page changed while it was read: reading again")
        raise AssertionError("unreachable: the last attempt always writes")

    def _write_page(
        self,
        store: Store,
        confirmed: Confirmed[StagedOrder],
        failures: list[str],
        log: SyncLog,
        attempt: int,
    ) -> SyncLog | None:
        """Write a page with its log; None (nothing written) when another writer made one of
        its orders a same-second conflict since they were compared (a delivery of the same
        second, observed later, would otherwise win the version rule) — unless this is the
        last attempt: the version rule then decides alone."""
        changed = confirmed.changed()
        with self._ctx.uow_factory() as uow:
            outcome = uow.orders.upsert_staged(changed)
            refused = [o for o in changed if outcome[o.key] is Verdict.STALE]
            last = attempt == MAX_WRITE_ATTEMPTS
            if (
                not last
                and refused
                and confirmed.raced(refused, uow.orders.versions([o.key for o in refused]))
            ):
                return None  # rolled back with the unit of work
            verdicts = Counter(outcome.values())
            created, replaced = verdicts[Verdict.CREATE], verdicts[Verdict.REPLACE]
            unchanged = len(confirmed.orders) - len(changed)
            log = record_items(
                log,
                synced=created + replaced,
                skipped=unchanged + verdicts[Verdict.UNCHANGED] + verdicts[Verdict.STALE],
                failed=len(failures),
                errors=failures,
            )
            log = attrs.evolve(
                log,
                metadata={
                    **log.metadata,
                    "created": int(log.metadata.get("created") or 0) + created,
                    "updated": int(log.metadata.get("updated") or 0) + replaced,
                },
            )
            uow.sync_logs.update(log)
            uow.stores.record_order_sync(store.id, created, self._ctx.clock.now(), None)
            uow.commit()
        return log

    def _end(self, ended: SyncLog, cursor: datetime | None, trouble: str | None = None) -> SyncLog:
        """Save the run's end, move the cursor, and note `trouble` for the webhook check."""
        with self._ctx.uow_factory() as uow:
            uow.sync_logs.update(ended)
            if ended.status.value != "failed":
                uow.stores.record_order_sync(ended.store_id, 0, self._ctx.clock.now(), cursor)
            if trouble:
                uow.stores.record_webhook_trouble(ended.store_id, self._ctx.clock.now(), trouble)
            uow.commit()
        return ended

    def push_status(
        self, company_id: CompanyId, store_id: StoreId, order_id: int, status: str
    ) -> Order:
        """Set an order's status at the store and keep the version the store answers with."""
        wanted = normalise_woo_status(status)
        if wanted not in PUSHABLE_STATUSES:
            raise ValidationFailed(
                {"status": f"must be one of {', '.join(sorted(PUSHABLE_STATUSES))}"}
            )
        with self._ctx.uow_factory() as uow:
            store = uow.stores.get(company_id, store_id)
        with self._ctx.client_for(store) as client:
            saved = client.update_order_status(order_id, wanted)
        order = self._transform(store, saved)
        with self._ctx.uow_factory() as uow:
            uow.orders.upsert(order)
            uow.commit()
        return order

    def cancel(self, company_id: CompanyId, store_id: StoreId, order_id: int) -> Order:
        """Cancel an order at the store."""
        return self.push_status(company_id, store_id, order_id, "cancelled")

    def reconcile_deletions(self, company_id: CompanyId, store_id: StoreId) -> SyncLog:
        """Compare the ids the store lists with ours: orders gone from the store (a permanent
        delete sends no webhook) are marked deleted — never dropped — and orders we lack
        (skipped while the store changed under paging) are imported."""
        with self._ctx.uow_factory() as uow:
            store = uow.stores.get(company_id, store_id)
        log = open_sync_log(self._ctx, store, SyncType.ORDER, {"mode": "reconciliation"})
        try:
            with self._ctx.client_for(store) as client:
                at_store = set(client.order_ids())
                with self._ctx.uow_factory() as uow:
                    ours = uow.orders.source_ids(company_id, store_id)
                gone, missing = ours - at_store, sorted(at_store - ours)
                if len(gone) > 10 and len(gone) > MAX_SHARE_MARKED_DELETED * len(ours):
                    ended = fail_sync(
                        log,
                        self._ctx.clock.now(),
                        f"refusing to mark {len(gone)} of {len(ours)} orders deleted at once: "
                        "check the store's API key permissions and plugins",
                    )
                    return self._save_log(ended)
                marked = self._mark_deleted(store, gone)
                imported = self._import_missing(
                    store, client, missing[:MAX_IMPORTED_BY_RECONCILIATION]
                )
        except StoreClientError as error:
            self._save_log(fail_sync(log, self._ctx.clock.now(), error.detail))
            raise
        log = record_items(log, synced=marked + imported, skipped=len(ours) - marked)
        log = attrs.evolve(
            log, metadata={**log.metadata, "marked_deleted": marked, "imported": imported}
        )
        return self._save_log(finish_sync(log, self._ctx.clock.now()))

    def _mark_deleted(self, store: Store, source_ids: set[int]) -> int:
        now = self._ctx.clock.now()
        with self._ctx.uow_factory() as uow:
            marked = sum(
                uow.orders.mark_deleted(OrderKey(store.company_id, store.id, source_id), now)
                for source_id in sorted(source_ids)
            )
            uow.commit()
        return marked

    def _import_missing(self, store: Store, client: StoreClient, source_ids: list[int]) -> int:
        fetch = refetcher(store, client, self._ctx.clock.now)
        found = [order for order in map(fetch, source_ids) if order is not None]
        with self._ctx.uow_factory() as uow:
            imported = sum(uow.orders.upsert(order).writes for order in found)
            uow.commit()
        return imported

    def _save_log(self, log: SyncLog) -> SyncLog:
        with self._ctx.uow_factory() as uow:
            if uow.sync_logs.get(log.id) is None:
                uow.sync_logs.add(log)
            else:
                uow.sync_logs.update(log)
            uow.commit()
        return log

    def _transform(self, store: Store, woo: WooOrder | Rejection) -> Order:
        result = (
            woo
            if isinstance(woo, Rejection)
            else transform_order(woo, transform_context(store, self._ctx.clock.now()))
        )
        if isinstance(result, Rejection):
            raise ValidationFailed({"order": result.summary})
        return result


def _prepared(
    context: TransformContext, stage: Callable[[Order], StagedOrder], page: OrderPage
) -> tuple[list[StagedOrder], list[str]]:
    """A page's orders read, transformed and staged for writing, and why each of the others
    was rejected. Runs where `prepare_ahead` runs it: possibly another process."""
    context = attrs.evolve(context, observed_at=page.observed_at)
    staged: list[StagedOrder] = []
    failures: list[str] = []
    for item in page.read():
        result = item if isinstance(item, Rejection) else transform_order(item, context)
        if isinstance(result, Order):
            staged.append(stage(result))
        else:
            failures.append(result.summary)
    return staged, failures


def _staged(
    refetch: Callable[[int], Order | None], stage: Callable[[Order], StagedOrder]
) -> Callable[[int], StagedOrder | None]:
    """`refetch`, the order it fetched staged for writing."""

    def refetch_staged(source_id: int) -> StagedOrder | None:
        order = refetch(source_id)
        return None if order is None else stage(order)

    return refetch_staged


def _expected(client: StoreClient, mode: SyncMode) -> int | None:
    """How many orders a full import will read (one cheap request), so its first pages are
    asked together; an incremental one reads a page or two, and guessing would waste
    requests."""
    if mode is not SyncMode.FULL:
        return None
    try:
        return client.order_count()
    except StoreClientError:
        return None


def _why_not(store: Store) -> str | None:
    if not store.is_active:
        return "the store is disconnected"
    if store.is_paused:
        return "the store is paused"
    if not store.order_sync.enabled:
        return "order sync is turned off for this store"
    return None
