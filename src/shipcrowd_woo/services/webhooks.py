"""Processing verified webhook deliveries from the inbox, a batch at a time.

A batch is parsed and turned into changes outside any transaction; then one short transaction
per store settles the deliveries still received and applies their changes. Whoever settles a
delivery applies its effects, in that transaction, so they are applied once however many
workers race. Deliveries of one order (or one product) waiting together are coalesced: the
one the version rule keeps is written once and the others are settled as superseded. Orders
are written as on every path (order_writing.py): what no rule can order — two deliveries of
one second with other content, here or against the stored version — is confirmed from the
store afterwards, so a batch never waits on a store.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from shipcrowd_woo.converters.woocommerce import (
    order_from_json,
    parse_customer,
    parse_deleted,
    parse_product,
)
from shipcrowd_woo.domain.customers import CustomerSnapshot, customer_snapshot
from shipcrowd_woo.domain.errors import NotFound
from shipcrowd_woo.domain.ids import CompanyId, DeliveryId, StoreId
from shipcrowd_woo.domain.json_text import JsonRefused, parse_json_with_decimals
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.text import storable_document
from shipcrowd_woo.domain.versions import newest_of
from shipcrowd_woo.domain.webhooks import Delivery, DeliveryState, Topic
from shipcrowd_woo.domain.woo_catalog import WooCustomer, WooDeleted, WooProduct
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.confirmations import OrderConfirmations
from shipcrowd_woo.services.context import StoreCalls
from shipcrowd_woo.services.feed_publishing import publish_stored
from shipcrowd_woo.services.order_writing import Written, transform_context, write_orders
from shipcrowd_woo.services.product_changes import ProductMappings, apply_product

log = logging.getLogger("shipcrowd_woo.webhooks")
MAX_ERROR_LENGTH = 500
SUPERSEDED = "superseded by a newer delivery of the same batch"
ORDER_TOPICS = (Topic.ORDER_CREATED, Topic.ORDER_UPDATED)
PRODUCT_TOPICS = (Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED)


@attrs.frozen
class ProcessOutcome:
    """What processing a delivery did."""

    state: DeliveryState
    effect: str
    superseded: bool = False


class DeliveryNotFound(NotFound):
    """No delivery with this id is in the inbox."""


@attrs.define
class _Plan:
    """One store's batch, parsed: what each delivery asks for, before any transaction."""

    failures: dict[DeliveryId, str] = attrs.Factory(dict)
    orders: dict[OrderKey, list[tuple[Delivery, Order]]] = attrs.Factory(dict)
    # Product changes, product deletions and customers, in arrival order: each may depend
    # on the one before (a product mapped, then deleted).
    others: list[tuple[Delivery, Any]] = attrs.Factory(list)
    deleted_orders: list[tuple[Delivery, int]] = attrs.Factory(list)


@attrs.define(eq=False)
class WebhookProcessor:
    """Turns inbox deliveries into changes."""

    _ctx: StoreCalls
    _confirmations: OrderConfirmations

    def process(self, delivery_id: DeliveryId) -> ProcessOutcome:
        """Process one delivery; processing it again changes nothing more."""
        with self._ctx.reads() as uow:
            delivery = uow.deliveries.get(delivery_id)
        if delivery is None:
            raise DeliveryNotFound(delivery_id)
        if delivery.state is not DeliveryState.RECEIVED:
            return ProcessOutcome(delivery.state, "already processed")
        return self.process_batch([delivery]).get(
            delivery.id, ProcessOutcome(DeliveryState.PROCESSED, "already processed")
        )

    def process_batch(self, deliveries: Sequence[Delivery]) -> dict[DeliveryId, ProcessOutcome]:
        """Process the deliveries, one transaction per store; the outcome of each this call
        settled (one settled meanwhile by another worker, or gone with its store, has
        none)."""
        by_store: defaultdict[tuple[CompanyId, StoreId], list[Delivery]] = defaultdict(list)
        for delivery in sorted(deliveries, key=lambda d: (d.received_at, d.id)):
            by_store[(delivery.company_id, delivery.store_id)].append(delivery)
        outcomes: dict[DeliveryId, ProcessOutcome] = {}
        for (company_id, store_id), group in by_store.items():
            try:
                with self._ctx.reads() as uow:
                    store = uow.stores.get(company_id, store_id)
            except NotFound:
                continue  # removed with its store
            outcomes.update(self._store_batch(store, group))
        return outcomes

    def _store_batch(
        self, store: Store, deliveries: Sequence[Delivery]
    ) -> dict[DeliveryId, ProcessOutcome]:
        """Settle the deliveries and apply their changes in one transaction."""
        plan = _plan(store, deliveries)
        now = self._ctx.clock.now()
        with self._ctx.uow_factory() as uow:
            settled = uow.deliveries.settle([d.id for d in deliveries], now, plan.failures)
            outcomes = {
                delivery_id: ProcessOutcome(DeliveryState.FAILED, reason)
                for delivery_id, reason in plan.failures.items()
                if delivery_id in settled
            }
            written, order_outcomes = self._orders(uow, plan, settled, now)
            outcomes.update(order_outcomes)
            for delivery, order_id in plan.deleted_orders:
                if delivery.id in settled:
                    outcomes[delivery.id] = _done(_order_deleted(uow, store, delivery, order_id))
            outcomes.update(self._others(uow, store, plan.others, settled))
            uow.commit()
        self._confirmations.schedule(written.to_confirm)
        for delivery_id, outcome in outcomes.items():
            if outcome.state is DeliveryState.FAILED:
                log.warning("delivery %s failed: %s", delivery_id, outcome.effect)
        return outcomes

    def _orders(
        self, uow: UnitOfWork, plan: _Plan, settled: set[DeliveryId], now: datetime
    ) -> tuple[Written, dict[DeliveryId, ProcessOutcome]]:
        """Of each order's deliveries this transaction settled, the snapshot the version rule
        keeps, written; the others superseded. Orders the rule could not settle, against the
        stored version or between deliveries, are noted for confirmation from the store."""
        kept: dict[OrderKey, Order] = {}
        doubtful: set[OrderKey] = set()
        mine: dict[OrderKey, list[tuple[Delivery, Order]]] = {}
        for key, received in plan.orders.items():
            ours = [(delivery, order) for delivery, order in received if delivery.id in settled]
            if not ours:
                continue
            mine[key] = ours
            kept[key], unsettled = newest_of(ours[0][1], (order for _, order in ours[1:]))
            if unsettled:
                doubtful.add(key)
        written = write_orders(uow, list(kept.values()), now, doubtful)
        outcomes = {}
        for key, ours in mine.items():
            verdict = written.verdicts[key].value
            for delivery, snapshot in ours:
                outcomes[delivery.id] = (
                    _done(f"order {key.source_id}: {verdict}")
                    if snapshot is kept[key]
                    else _superseded()
                )
        return written, outcomes

    def _others(
        self,
        uow: UnitOfWork,
        store: Store,
        others: Sequence[tuple[Delivery, Any]],
        settled: set[DeliveryId],
    ) -> dict[DeliveryId, ProcessOutcome]:
        """Products, product deletions and customers, in arrival order; of several changes
        of one product only the newest is applied."""
        product_ids = {item.id for _, item in others if isinstance(item, WooProduct)}
        product_ids.update(item for _, item in others if isinstance(item, int))
        mappings = ProductMappings(uow, store, product_ids)
        newest_change = {
            item.id: delivery.id for delivery, item in others if isinstance(item, WooProduct)
        }
        outcomes: dict[DeliveryId, ProcessOutcome] = {}
        for delivery, item in others:
            if delivery.id not in settled:
                continue
            if isinstance(item, CustomerSnapshot):
                kept = uow.customers.upsert(item)
                effect = f"customer {item.woo_customer_id}: {'kept' if kept else 'older'}"
            elif isinstance(item, WooProduct):
                if newest_change[item.id] != delivery.id:
                    outcomes[delivery.id] = _superseded()
                    continue
                effect = apply_product(self._ctx, store, item, mappings)
            else:
                effect = f"{mappings.deactivate(item)} mappings deactivated"
            outcomes[delivery.id] = _done(effect)
        return outcomes


def _plan(store: Store, deliveries: Sequence[Delivery]) -> _Plan:
    """What each delivery asks for, or why it fails."""
    plan = _Plan()
    for delivery in deliveries:
        try:
            payload = storable_document(delivery.body, parse_json_with_decimals(delivery.body))
        except JsonRefused as refused:
            plan.failures[delivery.id] = f"the body is {refused}"
            continue
        if not isinstance(payload, dict):
            plan.failures[delivery.id] = "the body is not a JSON object"
            continue
        failure = _read(store, delivery, payload, plan)
        if failure is not None:
            plan.failures[delivery.id] = failure[:MAX_ERROR_LENGTH]
    return plan


def _read(store: Store, delivery: Delivery, payload: dict[str, Any], plan: _Plan) -> str | None:
    """Add the delivery's request to the plan; why it cannot be, if so."""
    topic = delivery.topic
    if topic in ORDER_TOPICS:
        order = order_from_json(payload, transform_context(store, delivery.received_at))
        if not isinstance(order, Order):
            return order.summary
        plan.orders.setdefault(order.key, []).append((delivery, order))
        return None
    if topic in PRODUCT_TOPICS:
        product = parse_product(payload)
        if not isinstance(product, WooProduct):
            return "; ".join(str(problem) for problem in product)
        plan.others.append((delivery, product))
        return None
    if topic in (Topic.ORDER_DELETED, Topic.PRODUCT_DELETED):
        deleted = parse_deleted(payload)
        if not isinstance(deleted, WooDeleted):
            return "; ".join(str(problem) for problem in deleted)
        if topic is Topic.ORDER_DELETED:
            plan.deleted_orders.append((delivery, deleted.id))
        else:
            plan.others.append((delivery, deleted.id))
        return None
    customer = parse_customer(payload)
    if not isinstance(customer, WooCustomer):
        return "; ".join(str(problem) for problem in customer)
    document = json.loads(json.dumps(payload, default=str))
    snapshot = customer_snapshot(
        customer, store.company_id, store.id, delivery.received_at, document
    )
    plan.others.append((delivery, snapshot))
    return None


def _order_deleted(uow: UnitOfWork, store: Store, delivery: Delivery, order_id: int) -> str:
    key = OrderKey(store.company_id, store.id, order_id)
    marked = uow.orders.mark_deleted(key, delivery.received_at)
    if marked:
        publish_stored(uow, [key], delivery.received_at)
    return f"order {order_id} {'marked deleted at the store' if marked else 'was not open'}"


def _done(effect: str) -> ProcessOutcome:
    return ProcessOutcome(DeliveryState.PROCESSED, effect)


def _superseded() -> ProcessOutcome:
    return ProcessOutcome(DeliveryState.PROCESSED, SUPERSEDED, superseded=True)
