"""Importing orders from a store: full, incremental and single; status pushes; reconciling
orders deleted at the store."""

import functools
import logging
from collections.abc import Callable, Iterable
from datetime import datetime

import attrs

from shipcrowd_woo.domain.errors import StoreBusy, StoreClientError, ValidationFailed
from shipcrowd_woo.domain.feed import FeedDraft
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.jobs import SyncMode, SyncOrders
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.rejections import Rejection
from shipcrowd_woo.domain.shipping import ShippingRules
from shipcrowd_woo.domain.statuses import WOO_STATUS_TABLE, normalise_woo_status
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType, fail_sync, finish_sync, record_items
from shipcrowd_woo.domain.transform import TransformContext, transform_order
from shipcrowd_woo.domain.versions import Verdict, current_from_request
from shipcrowd_woo.ports.repositories import StagedOrder
from shipcrowd_woo.ports.store_client import OrderPage, StoreClient
from shipcrowd_woo.services.confirmations import OrderConfirmations
from shipcrowd_woo.services.context import StoreWork
from shipcrowd_woo.services.feed_publishing import drafted, publish_stored
from shipcrowd_woo.services.order_writing import (
    Written,
    changed,
    fetched,
    transform_context,
    write_orders,
    write_staged,
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
    _confirmations: OrderConfirmations

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
                    requested_at = self._ctx.clock.now()
                    order = client.get_order(order_id)
                    pages = [OrderPage.of((order,), requested_at, self._ctx.clock.now())]
                else:
                    pages = client.order_pages(
                        modified_after=after, expected_orders=_expected(client, mode)
                    )
                with self._ctx.reads() as uow:
                    stage = uow.orders.staging()
                prepare = functools.partial(
                    _prepared, transform_context(store, started), stage, store.shipping
                )
                for page, (staged, failures) in self._ctx.prepare_ahead(pages, prepare):
                    log, page_newest = self._save_page(store, staged, failures, log)
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
        self, store: Store, staged: list[StagedOrder], failures: list[str], log: SyncLog
    ) -> tuple[SyncLog, datetime | None]:
        """Write a page with its log, in one transaction; the orders it leaves unsettled
        are confirmed from the store afterwards."""
        # Read outside the write: an incremental page is mostly orders we hold already.
        sent = changed(self._ctx.reads, staged)
        with self._ctx.uow_factory() as uow:
            written = write_staged(uow, sent, self._ctx.clock.now())
            created, replaced = written.count(Verdict.CREATE), written.count(Verdict.REPLACE)
            log = record_items(
                log,
                synced=created + replaced,
                skipped=len(staged) - created - replaced,
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
        self._confirmations.schedule(written.to_confirm)
        return log, max((o.modified_at for o in staged), default=None)

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
            saved = fetched(
                store,
                functools.partial(client.update_order_status, order_id, wanted),
                self._ctx.clock.now,
            )
        if isinstance(saved, Rejection):
            raise ValidationFailed({"order": saved.summary})
        self._write([saved])
        return saved

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
        keys = [OrderKey(store.company_id, store.id, source_id) for source_id in sorted(source_ids)]
        with self._ctx.uow_factory() as uow:
            marked = [key for key in keys if uow.orders.mark_deleted(key, now)]
            publish_stored(uow, marked, now)
            uow.commit()
        return len(marked)

    def _import_missing(self, store: Store, client: StoreClient, source_ids: list[int]) -> int:
        found = []
        for source_id in source_ids:
            try:
                order = fetched(
                    store, functools.partial(client.get_order, source_id), self._ctx.clock.now
                )
            except StoreClientError as error:
                logger.warning(
                    "could not import order %s of %s: %s", source_id, store.url, error.detail
                )
                continue
            if isinstance(order, Order):
                found.append(order)
        written = self._write(found)
        return written.count(Verdict.CREATE) + written.count(Verdict.REPLACE)

    def _write(self, orders: list[Order]) -> Written:
        """Write fetched orders in a transaction of their own."""
        with self._ctx.uow_factory() as uow:
            written = write_orders(uow, orders, self._ctx.clock.now())
            uow.commit()
        self._confirmations.schedule(written.to_confirm)
        return written

    def _save_log(self, log: SyncLog) -> SyncLog:
        with self._ctx.uow_factory() as uow:
            if uow.sync_logs.get(log.id) is None:
                uow.sync_logs.add(log)
            else:
                uow.sync_logs.update(log)
            uow.commit()
        return log


def _prepared(
    context: TransformContext,
    stage: Callable[[Order, FeedDraft | None], StagedOrder],
    rules: ShippingRules,
    page: OrderPage,
) -> tuple[list[StagedOrder], list[str]]:
    """A page's orders read, transformed and staged for writing with their feed drafts,
    and why each of the others was rejected. Runs where `prepare_ahead` runs it: possibly
    another process."""
    context = attrs.evolve(
        context,
        observed_at=page.observed_at,
        current_from=current_from_request(page.requested_at),
    )
    staged: list[StagedOrder] = []
    failures: list[str] = []
    for item in page.read():
        result = item if isinstance(item, Rejection) else transform_order(item, context)
        if isinstance(result, Order):
            staged.append(stage(result, drafted(result, rules)))
        else:
            failures.append(result.summary)
    return staged, failures


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
