"""Fulfilments: telling a store what Shipcrowd shipped.

Accepting one (`submit`) checks it against the imported order, records it with its job in one
transaction, takes the shipped units off the warehouse stock (whose change is then pushed to
the stores by itself) and sends the job. Delivering it (`deliver`, the job) reads the order at
the store, refuses it there too if it ended meanwhile, writes the tracking (and the status
`completed` once every line shipped) in one save, then adds the note. Each step is recorded
as done, and a run that died between sending the note and recording it looks for the note
before writing another: a fulfilment sent twice, or retried, leaves one tracking item and one
note.
"""

import logging
from collections.abc import Sequence

import attrs

from shipcrowd_woo.domain.errors import (
    AlreadyExists,
    DomainError,
    OrderNotFound,
    StoreBusy,
    StoreClientError,
    StoreResourceNotFound,
)
from shipcrowd_woo.domain.fulfilment import (
    Fulfilment,
    FulfilmentId,
    FulfilmentRequest,
    FulfilmentState,
    OrderNotShippable,
    ShippedLine,
    accepted,
    customer_message,
    delivered,
    ensure_shippable,
    failed,
    find_note,
    fulfilment_key,
    plan_shipment,
    refused,
    resent,
    status_to_set,
    tracking_item,
    validate_request,
    with_tracking,
)
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.jobs import FulfilOrder, JobRecord
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType, fail_sync, finish_sync, record_items
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.ports.store_client import StoreClient
from shipcrowd_woo.services.context import StoreWork
from shipcrowd_woo.services.feed_publishing import publish_stored
from shipcrowd_woo.services.inventory import InventorySync
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.sync_logs import open_sync_log

log = logging.getLogger("shipcrowd_woo.fulfilments")


@attrs.frozen
class Submitted:
    """A fulfilment as accepted, its job, and whether this request created it (False: the
    same fulfilment was sent before; a failed one is sent again under a new job)."""

    fulfilment: Fulfilment
    job: JobRecord
    created: bool


@attrs.frozen
class Delivery:
    """What delivering a fulfilment did at the store."""

    fulfilment: Fulfilment
    log: SyncLog | None
    requests: int


class UnfulfillableAtStore(DomainError):
    """The store's order turned out to have ended (or to be gone) when the fulfilment was
    delivered: recorded as refused, not retried."""


@attrs.define(eq=False)
class Fulfilments:
    """Accepting fulfilments and delivering them to the stores."""

    _ctx: StoreWork
    _jobs: JobService
    _inventory: InventorySync

    def submit(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        order_id: int,
        request: FulfilmentRequest,
    ) -> Submitted:
        """Accept a fulfilment of an imported order and queue its delivery. The same
        fulfilment sent again returns the first (OrderNotFound for an order we do not hold,
        OrderNotShippable for one that ended, ValidationFailed listing every bad field)."""
        validate_request(request)
        order_key = OrderKey(company_id, store_id, order_id)
        try:
            return self._submit(order_key, request)
        except AlreadyExists:
            # The same fulfilment, sent at the same moment, was committed first.
            return self._submit(order_key, request)

    def _submit(self, order_key: OrderKey, request: FulfilmentRequest) -> Submitted:
        company_id, store_id = order_key.company_id, order_key.store_id
        order_id = order_key.source_id
        key = fulfilment_key(request)
        now = self._ctx.clock.now()
        with self._ctx.uow_factory() as uow:
            uow.stores.get(company_id, store_id)
            existing = uow.fulfilments.find_by_key(company_id, store_id, order_id, key)
            if existing is not None:
                return self._again(uow, existing)
            # Two fulfilments of one order accepted at once would both be planned from the
            # same earlier ones and could ship the same units twice: the order's row is
            # locked until this one is recorded (PostgreSQL; a SQLite writer holds the file).
            uow.orders.versions([order_key], lock=True)
            order = uow.orders.get(order_key)
            if order is None:
                raise OrderNotFound(f"order {order_id}")
            plan = plan_shipment(
                order, uow.fulfilments.for_order(company_id, store_id, order_id), request
            )
            fulfilment_id = FulfilmentId(self._ctx.new_id())
            record = self._jobs.new_record(
                company_id, FulfilOrder(company_id, store_id, fulfilment_id)
            )
            fulfilment = accepted(fulfilment_id, order_key, request, plan, record.id, now)
            uow.fulfilments.add(fulfilment)
            uow.jobs.add(record)
            stores = self._take_off_stock(uow, order, plan.lines, fulfilment.warehouse)
            publish_stored(uow, [order_key], now)
            uow.commit()
        self._jobs.send(record)
        self._inventory.schedule_pushes(company_id, stores)
        return Submitted(fulfilment, record, created=True)

    def _again(self, uow: UnitOfWork, existing: Fulfilment) -> Submitted:
        if existing.state is not FulfilmentState.FAILED:
            return Submitted(existing, uow.jobs.get(existing.company_id, existing.job_id), False)
        record = self._jobs.new_record(
            existing.company_id,
            FulfilOrder(existing.company_id, existing.store_id, existing.id),
        )
        again = resent(existing, record.id)
        uow.fulfilments.update(again)
        uow.jobs.add(record)
        uow.commit()
        self._jobs.send(record)
        return Submitted(again, record, created=False)

    def _take_off_stock(
        self, uow: UnitOfWork, order: Order, shipped: Sequence[ShippedLine], warehouse: str
    ) -> set[StoreId]:
        """The shipped units leave the warehouse that shipped them: its stock of the mapped
        SKUs goes down, and
        the change is written down for the stores that follow the warehouse."""
        key = order.key
        by_line = {line.woo_line_id: line for line in order.lines}
        targets = {
            line.line_id: (by_line[line.line_id].product_id, by_line[line.line_id].variation_id)
            for line in shipped
        }
        woo_ids = {woo_id for target in targets.values() for woo_id in target if woo_id}
        sku_of = {
            mapping.target: mapping.shipcrowd_sku
            for mapping in uow.mappings.for_products(key.company_id, key.store_id, woo_ids)
        }
        units: dict[str, int] = {}
        for line in shipped:
            sku = sku_of.get(targets[line.line_id])
            if sku is not None:
                units[sku] = units.get(sku, 0) + line.quantity
        now = self._ctx.clock.now()
        levels = uow.warehouse.decrement(key.company_id, units, now, warehouse)
        return self._inventory.note_changes(uow, key.company_id, levels.keys(), now)

    def for_order(
        self, company_id: CompanyId, store_id: StoreId, order_id: int
    ) -> Sequence[Fulfilment]:
        """The order's fulfilments, oldest first (StoreNotFound for another's store)."""
        with self._ctx.reads() as uow:
            uow.stores.get(company_id, store_id)
            return uow.fulfilments.for_order(company_id, store_id, order_id)

    def get(self, company_id: CompanyId, fulfilment_id: FulfilmentId) -> Fulfilment:
        """One of the company's fulfilments."""
        with self._ctx.reads() as uow:
            return uow.fulfilments.get(company_id, fulfilment_id)

    def deliver(self, job: FulfilOrder) -> Delivery:
        """Carry out the fulfilment at the store (the FulfilOrder job). Store failures
        propagate for the job to retry; an order that ended at the store is refused."""
        with self._ctx.uow_factory() as uow:
            fulfilment = uow.fulfilments.get(job.company_id, FulfilmentId(job.fulfilment_id))
            store = uow.stores.get(job.company_id, job.store_id)
        if fulfilment.is_final:
            return Delivery(fulfilment, None, 0)
        if not store.can_sync:
            raise UnfulfillableAtStore(
                "the store is paused or disconnected: resume it, then send the fulfilment again"
            )
        lock = StoreId(f"{store.id}:order:{fulfilment.order_id}")
        with self._ctx.store_lock.hold(lock, self._ctx.sync_lock_ttl) as held:
            if not held:
                raise StoreBusy(f"another fulfilment of order {fulfilment.order_id} is being sent")
            sync_log = open_sync_log(
                self._ctx,
                store,
                SyncType.FULFILMENT,
                {
                    "order_id": fulfilment.order_id,
                    "fulfilment_id": fulfilment.id,
                    "carrier": fulfilment.carrier,
                    "requests": 0,
                },
            )
            # The log is written once, with the outcome: a delivery takes a few requests, and
            # every write waits for SQLite's one writer (bench/fulfilment_bench.py).
            counted = _Requests()
            try:
                with self._ctx.client_for(store) as client:
                    fulfilment = self._carry_out(client, store, fulfilment, counted)
            except (UnfulfillableAtStore, StoreClientError) as error:
                reason = getattr(error, "detail", None) or str(error)
                ended = fail_sync(
                    record_items(sync_log, failed=1),
                    self._ctx.clock.now(),
                    reason,
                )
                ended = _with_requests(ended, counted.made)
                # The steps done before the failure were saved as they were done.
                fulfilment = self.get(fulfilment.company_id, fulfilment.id)
                if isinstance(error, UnfulfillableAtStore):
                    fulfilment = refused(fulfilment, self._ctx.clock.now(), reason)
                else:
                    fulfilment = attrs.evolve(fulfilment, error=reason[:500])
                self._save(fulfilment, ended, new_log=True)
                raise
            ended = _with_requests(
                finish_sync(record_items(sync_log, synced=1), self._ctx.clock.now()),
                counted.made,
            )
            fulfilment = delivered(fulfilment, self._ctx.clock.now())
            self._save(fulfilment, ended, new_log=True)
            return Delivery(fulfilment, ended, counted.made)

    def gave_up(self, job: FulfilOrder, reason: str) -> None:
        """The job ran out of attempts: the fulfilment is FAILED (sending it again resumes
        it where it stopped)."""
        with self._ctx.uow_factory() as uow:
            fulfilment = uow.fulfilments.get(job.company_id, FulfilmentId(job.fulfilment_id))
            if not fulfilment.is_final:
                uow.fulfilments.update(failed(fulfilment, self._ctx.clock.now(), reason[:500]))
                uow.commit()

    def _carry_out(
        self, client: StoreClient, store: Store, fulfilment: Fulfilment, requests: "_Requests"
    ) -> Fulfilment:
        order_id = fulfilment.order_id
        try:
            requests.made += 1
            tracked = client.order_tracking(order_id)
            ensure_shippable(order_id, tracked.status)
        except StoreResourceNotFound:
            raise UnfulfillableAtStore(f"order {order_id} is gone from the store") from None
        except OrderNotShippable as ended:
            raise UnfulfillableAtStore(str(ended)) from None
        ours = tracking_item(fulfilment)
        status = status_to_set(fulfilment, tracked.status, store.fulfilment.complete_on_ship)
        tracking = with_tracking(tracked.tracking, ours)
        if store.has_shipment_tracking:
            # The extension's route first: its "completed" e-mail then shows the tracking.
            if tracking is not None:
                requests.made += 1
                client.add_shipment_tracking(order_id, ours)
            if status is not None:
                requests.made += 1
                client.update_order_status(order_id, status)
        elif tracking is not None or status is not None:
            requests.made += 1
            client.save_order_tracking(order_id, tracking or tracked.tracking, status)
        fulfilment = attrs.evolve(
            fulfilment,
            tracking_written=True,
            status_completed=fulfilment.status_completed or status is not None,
        )
        if fulfilment.note_id is not None:
            return fulfilment
        note = None
        if fulfilment.note_started:
            requests.made += 1
            note = find_note(client.order_notes(order_id), fulfilment)
        if note is None:
            fulfilment = attrs.evolve(fulfilment, note_started=True)
            self._save(fulfilment)
            requests.made += 1
            note = client.add_order_note(
                order_id, customer_message(fulfilment), store.fulfilment.notify_customer
            )
        return attrs.evolve(fulfilment, note_id=note.id)

    def _save(
        self,
        fulfilment: Fulfilment | None = None,
        sync_log: SyncLog | None = None,
        new_log: bool = False,
    ) -> None:
        with self._ctx.uow_factory() as uow:
            if fulfilment is not None and fulfilment.state is FulfilmentState.REFUSED:
                # A refused fulfilment shipped nothing: its units are to ship again. The
                # order's row is locked first, as every publisher locks it.
                key = OrderKey(fulfilment.company_id, fulfilment.store_id, fulfilment.order_id)
                uow.orders.versions([key], lock=True)
                uow.fulfilments.update(fulfilment)
                publish_stored(uow, [key], self._ctx.clock.now())
            elif fulfilment is not None:
                uow.fulfilments.update(fulfilment)
            if sync_log is not None:
                (uow.sync_logs.add if new_log else uow.sync_logs.update)(sync_log)
            uow.commit()


@attrs.define
class _Requests:
    """Requests made at the store by one delivery (reported on its sync log)."""

    made: int = 0


def _with_requests(sync_log: SyncLog, requests: int) -> SyncLog:
    return attrs.evolve(sync_log, metadata={**sync_log.metadata, "requests": requests})
