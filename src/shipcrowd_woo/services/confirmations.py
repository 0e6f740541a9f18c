"""Confirming orders from their store: what the version rule could not prove is fetched.

A writer that leaves an order unsettled (services/order_writing.py) notes it in its own
transaction, then schedules a ConfirmOrders job of the store: at most one per store per
`CLOCK_TOLERANCE` (a ScheduleGuard claim), run that long after, so that its fetches are sent
late enough to prove themselves newer than every snapshot known when the order was noted. The
job fetches each due order, writes what the store answers under the same rule, and removes
only the confirmations its fetches settle: an order noted again while it ran keeps its row and
schedules the next job. Should every message be lost or every attempt fail (a store down for
hours), the scheduler's sweep sends the job again for confirmations that waited long. Nothing
is ever dropped short of the store itself going away.
"""

import functools
import logging
from collections.abc import Iterable
from datetime import timedelta

import attrs

from shipcrowd_woo.domain.errors import StoreClientError, StoreResourceNotFound
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.jobs import ConfirmOrders
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.versions import CLOCK_TOLERANCE
from shipcrowd_woo.ports.queue import ScheduleGuard
from shipcrowd_woo.services.context import StoreCalls
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.order_writing import fetched, write_orders

log = logging.getLogger("shipcrowd_woo.orders")
# Orders one job fetches; more waiting schedule the next.
BATCH = 100
# Confirmations still waiting this long lost their job (or it gave up): the sweep sends one.
LOST_AFTER = timedelta(minutes=5)
# How often the sweep may send a job for one store (a store down is not hammered).
SWEEP_EVERY = timedelta(minutes=5)
SWEEP_BATCH = 500

StoreRef = tuple[CompanyId, StoreId]


@attrs.frozen
class ConfirmReport:
    """What one confirming job did, or why it did not run."""

    fetched: int = 0
    replaced: int = 0
    gone: int = 0
    unreadable: int = 0
    not_run: str | None = None


@attrs.define(eq=False)
class OrderConfirmations:
    """Schedules and runs the confirmation of unsettled orders from their stores."""

    _ctx: StoreCalls
    _jobs: JobService
    _guard: ScheduleGuard

    def schedule(self, stores: Iterable[StoreRef]) -> int:
        """Send each store's confirming job to run one clock tolerance from now, unless one
        is already due within it; how many were sent."""
        sent = 0
        for company_id, store_id in sorted(set(stores)):
            if self._guard.claim(f"confirm-orders:{store_id}", CLOCK_TOLERANCE):
                job = ConfirmOrders(company_id, store_id)
                self._jobs.submit(company_id, job, CLOCK_TOLERANCE)
                sent += 1
        return sent

    def confirm(self, company_id: CompanyId, store_id: StoreId) -> ConfirmReport:
        """Fetch the store's due orders and write what it answers. A store error ends the
        job (its unfetched orders keep waiting) and propagates, for the queue to retry."""
        with self._ctx.reads() as uow:
            store = uow.stores.get(company_id, store_id)
        if not store.is_active or store.is_paused:
            return ConfirmReport(not_run="the store is disconnected or paused")
        # Every fetch below is sent after `started`: each proves itself newer than whatever
        # was known when its order was noted, for the orders noted before `settled_up_to`.
        started = self._ctx.clock.now()
        settled_up_to = started - CLOCK_TOLERANCE
        with self._ctx.reads() as uow:
            due = uow.confirmations.due(store_id, settled_up_to, BATCH)
        found: list[Order] = []
        answered: list[OrderKey] = []
        report = ConfirmReport()
        failure: StoreClientError | None = None
        with self._ctx.client_for(store) as client:
            for confirmation in due:
                order_id = confirmation.key.source_id
                try:
                    result = fetched(
                        store, functools.partial(client.get_order, order_id), self._ctx.clock.now
                    )
                except StoreResourceNotFound:
                    # Deleted for good: the deletion reconciliation marks it.
                    report = attrs.evolve(report, gone=report.gone + 1)
                    answered.append(confirmation.key)
                    continue
                except StoreClientError as error:
                    failure = error
                    break
                answered.append(confirmation.key)
                if isinstance(result, Order):
                    found.append(result)
                else:
                    log.warning("order %s at %s is unreadable: %s", order_id, store.url, result)
                    report = attrs.evolve(report, unreadable=report.unreadable + 1)
        with self._ctx.uow_factory() as uow:
            written = write_orders(uow, found, self._ctx.clock.now())
            for key in answered:
                uow.confirmations.settle(key, settled_up_to)
            # Any left: noted again meanwhile, not due yet, or beyond this batch (another
            # process's clock may run ahead of ours by the tolerance).
            waiting_until = self._ctx.clock.now() + CLOCK_TOLERANCE
            more = bool(uow.confirmations.due(store_id, waiting_until, 1))
            uow.commit()
        if written.to_confirm or more:
            self.schedule([(company_id, store_id)])
        if failure is not None:
            raise failure
        replaced = sum(verdict.writes for verdict in written.verdicts.values())
        return attrs.evolve(report, fetched=len(found), replaced=replaced)

    def sweep(self) -> int:
        """Send a confirming job for every store whose confirmations waited long (their job
        was lost or gave up); how many were sent."""
        cutoff = self._ctx.clock.now() - LOST_AFTER
        with self._ctx.reads() as uow:
            waiting = uow.confirmations.waiting(cutoff, SWEEP_BATCH)
        sent = 0
        for company_id, store_id in waiting:
            if self._guard.claim(f"confirm-orders-sweep:{store_id}", SWEEP_EVERY):
                log.warning(
                    "orders of store %s waited long for confirmation: job sent again", store_id
                )
                self._jobs.submit(company_id, ConfirmOrders(company_id, store_id))
                sent += 1
        return sent
