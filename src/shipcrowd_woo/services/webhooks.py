"""Processing verified webhook deliveries from the inbox, topic by topic.

A delivery is processed at most once in effect: its state is checked and set in the same
transaction as the changes it causes, and every change is idempotent anyway (the order upsert,
marking a deletion, deactivating mappings, keeping the newest customer snapshot).
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any

import attrs

from shipcrowd_woo.converters.woocommerce import order_from_json, parse_product
from shipcrowd_woo.domain.customers import CustomerSnapshot
from shipcrowd_woo.domain.errors import NotFound
from shipcrowd_woo.domain.ids import DeliveryId
from shipcrowd_woo.domain.json_text import JsonRefused, parse_json_with_decimals
from shipcrowd_woo.domain.mapping_rules import MappingType, ProductMapping, auto_match
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.text import storable_json
from shipcrowd_woo.domain.webhooks import Delivery, DeliveryState, Topic
from shipcrowd_woo.domain.woo_catalog import WooProduct
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.mappings import catalog_item_of, new_mapping
from shipcrowd_woo.services.order_writing import (
    confirm_same_second,
    refetcher,
    transform_context,
)

log = logging.getLogger("shipcrowd_woo.webhooks")
MAX_ERROR_LENGTH = 500


@attrs.frozen
class ProcessOutcome:
    """What processing a delivery did."""

    state: DeliveryState
    effect: str


class DeliveryNotFound(NotFound):
    """No delivery with this id is in the inbox."""


class WebhookProcessor:
    """Turns inbox deliveries into changes."""

    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def process(self, delivery_id: DeliveryId) -> ProcessOutcome:
        """Process one delivery; processing it again changes nothing more."""
        with self._ctx.uow_factory() as uow:
            delivery = uow.deliveries.get(delivery_id)
            if delivery is None:
                raise DeliveryNotFound(delivery_id)
            if delivery.state is not DeliveryState.RECEIVED:
                return ProcessOutcome(delivery.state, "already processed")
            store = uow.stores.get(delivery.company_id, delivery.store_id)
        try:
            payload = storable_json(parse_json_with_decimals(delivery.body))
        except JsonRefused as refused:
            return self._failed(delivery, f"the body is {refused}")
        if not isinstance(payload, dict):
            return self._failed(delivery, "the body is not a JSON object")
        topic = delivery.topic
        if topic in (Topic.ORDER_CREATED, Topic.ORDER_UPDATED):
            return self._order(store, delivery, payload)
        if topic is Topic.ORDER_DELETED:
            return self._order_deleted(store, delivery, payload)
        if topic in (Topic.PRODUCT_CREATED, Topic.PRODUCT_UPDATED):
            return self._product(store, delivery, payload)
        if topic is Topic.PRODUCT_DELETED:
            return self._product_deleted(store, delivery, payload)
        return self._customer(store, delivery, payload)

    def _order(self, store: Store, delivery: Delivery, payload: dict[str, Any]) -> ProcessOutcome:
        order = order_from_json(payload, transform_context(store, delivery.received_at))
        if not isinstance(order, Order):
            return self._failed(delivery, order.summary)
        with self._ctx.client_for(store) as client:
            [order] = confirm_same_second(
                self._ctx.uow_factory, [order], refetcher(store, client, self._ctx.clock.now)
            ).orders
        with self._ctx.uow_factory() as uow:
            if not self._claim(uow, delivery):
                return ProcessOutcome(DeliveryState.PROCESSED, "already processed")
            verdict = uow.orders.upsert(order)
            uow.commit()
        return ProcessOutcome(
            DeliveryState.PROCESSED, f"order {order.key.source_id}: {verdict.value}"
        )

    def _order_deleted(
        self, store: Store, delivery: Delivery, payload: dict[str, Any]
    ) -> ProcessOutcome:
        order_id = _resource_id(payload)
        if order_id is None:
            return self._failed(delivery, "the body has no order id")
        with self._ctx.uow_factory() as uow:
            if not self._claim(uow, delivery):
                return ProcessOutcome(DeliveryState.PROCESSED, "already processed")
            key = OrderKey(store.company_id, store.id, order_id)
            marked = uow.orders.mark_deleted(key, delivery.received_at)
            uow.commit()
        return ProcessOutcome(
            DeliveryState.PROCESSED,
            f"order {order_id} {'marked deleted at the store' if marked else 'was not open'}",
        )

    def _product(self, store: Store, delivery: Delivery, payload: dict[str, Any]) -> ProcessOutcome:
        product = parse_product(payload)
        if not isinstance(product, WooProduct):
            return self._failed(delivery, "; ".join(str(p) for p in product)[:MAX_ERROR_LENGTH])
        item = catalog_item_of(product)
        with self._ctx.uow_factory() as uow:
            if not self._claim(uow, delivery):
                return ProcessOutcome(DeliveryState.PROCESSED, "already processed")
            mapping = next(
                (
                    m
                    for m in uow.mappings.for_store(store.company_id, store.id)
                    if m.target == item.target
                ),
                None,
            )
            effect = self._product_effect(uow, store, product, mapping)
            uow.commit()
        return ProcessOutcome(DeliveryState.PROCESSED, effect)

    def _product_effect(
        self,
        uow: UnitOfWork,
        store: Store,
        product: WooProduct,
        mapping: ProductMapping | None,
    ) -> str:
        item = catalog_item_of(product)
        if mapping is not None:
            if is_stock_echo(mapping, product):
                return f"product {product.id}: echo of our stock push, nothing to do"
            refreshed = _refreshed(mapping, product)
            if refreshed == mapping:
                return f"product {product.id}: mapping already current"
            uow.mappings.update(refreshed)
            return f"product {product.id}: mapping refreshed"
        if product.type in ("variable", "grouped", "external") or not item.sku.strip():
            return f"product {product.id}: nothing to map"
        skus = [w.sku for w in uow.warehouse.items(store.company_id)]
        match = auto_match([item], skus)
        if not match.matched:
            return f"product {product.id}: no warehouse SKU matches {item.sku!r}"
        [(matched, sku)] = match.matched
        uow.mappings.add(new_mapping(self._ctx, store, matched, sku, MappingType.AUTO))
        return f"product {product.id}: mapped to {sku}"

    def _product_deleted(
        self, store: Store, delivery: Delivery, payload: dict[str, Any]
    ) -> ProcessOutcome:
        product_id = _resource_id(payload)
        if product_id is None:
            return self._failed(delivery, "the body has no product id")
        with self._ctx.uow_factory() as uow:
            if not self._claim(uow, delivery):
                return ProcessOutcome(DeliveryState.PROCESSED, "already processed")
            gone = [
                m
                for m in uow.mappings.for_store(store.company_id, store.id)
                if product_id in (m.woo_product_id, m.woo_variation_id) and m.is_active
            ]
            for mapping in gone:
                uow.mappings.update(attrs.evolve(mapping, is_active=False))
            uow.commit()
        return ProcessOutcome(DeliveryState.PROCESSED, f"{len(gone)} mappings deactivated")

    def _customer(
        self, store: Store, delivery: Delivery, payload: dict[str, Any]
    ) -> ProcessOutcome:
        customer_id = _resource_id(payload)
        if customer_id is None:
            return self._failed(delivery, "the body has no customer id")
        snapshot = CustomerSnapshot(
            company_id=store.company_id,
            store_id=store.id,
            woo_customer_id=customer_id,
            email=_text(payload.get("email")),
            first_name=_text(payload.get("first_name")),
            last_name=_text(payload.get("last_name")),
            modified_at=_gmt(payload.get("date_modified_gmt")),
            observed_at=delivery.received_at,
            document=json.loads(json.dumps(payload, default=str)),
        )
        with self._ctx.uow_factory() as uow:
            if not self._claim(uow, delivery):
                return ProcessOutcome(DeliveryState.PROCESSED, "already processed")
            kept = uow.customers.upsert(snapshot)
            uow.commit()
        return ProcessOutcome(
            DeliveryState.PROCESSED, f"customer {customer_id}: {'kept' if kept else 'older'}"
        )

    def _claim(self, uow: UnitOfWork, delivery: Delivery) -> bool:
        """Mark the delivery processed in the caller's transaction, if nobody did yet."""
        current = uow.deliveries.get(delivery.id)
        if current is None or current.state is not DeliveryState.RECEIVED:
            return False
        uow.deliveries.update(
            attrs.evolve(current, state=DeliveryState.PROCESSED, processed_at=self._ctx.clock.now())
        )
        return True

    def _failed(self, delivery: Delivery, reason: str) -> ProcessOutcome:
        log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.topic.value, reason)
        with self._ctx.uow_factory() as uow:
            current = uow.deliveries.get(delivery.id)
            if current is not None and current.state is DeliveryState.RECEIVED:
                uow.deliveries.update(
                    attrs.evolve(
                        current,
                        state=DeliveryState.FAILED,
                        processed_at=self._ctx.clock.now(),
                        error=reason[:MAX_ERROR_LENGTH],
                    )
                )
                uow.commit()
        return ProcessOutcome(DeliveryState.FAILED, reason[:MAX_ERROR_LENGTH])


def is_stock_echo(mapping: ProductMapping, product: WooProduct) -> bool:
    """A `product.updated` our own push caused: WooCommerce fires it on every product save,
    so it arrives carrying the quantity we set, with nothing else we track changed."""
    return (
        mapping.last_pushed_quantity is not None
        and product.stock_quantity == mapping.last_pushed_quantity
        and _refreshed(mapping, product) == mapping
    )


def _refreshed(mapping: ProductMapping, product: WooProduct) -> ProductMapping:
    """The mapping with the SKU and title the store now shows. A variation's payload names
    only the variation ("L"), not "T-shirt - L", so its title is left as the catalogue scan
    wrote it."""
    if product.parent_id:
        return attrs.evolve(mapping, woo_sku=product.sku)
    return attrs.evolve(mapping, woo_sku=product.sku, woo_title=product.name)


def _resource_id(payload: dict[str, Any]) -> int | None:
    value = payload.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return int(text) if text.isdecimal() and 0 < int(text) < 2**63 else None


def _text(value: object) -> str:
    return value.strip()[:320] if isinstance(value, str) else ""


def _gmt(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
