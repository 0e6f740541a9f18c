"""Working in-memory fakes of the ports, with visible state.

The repositories keep their data in a `FakeDatabase`; a `FakeUnitOfWork` works on a copy and
writes it back only on commit, so rollback behaves as it does in SQL.
"""

import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

import attrs

from shipcrowd_woo.domain.availability import OPEN
from shipcrowd_woo.domain.customers import CustomerSnapshot
from shipcrowd_woo.domain.errors import (
    AlreadyExists,
    FulfilmentNotFound,
    JobNotFound,
    MappingNotFound,
    StoreNotFound,
)
from shipcrowd_woo.domain.feed import FeedBounds, FeedDraft, FeedEvent, FeedState, NewEvent
from shipcrowd_woo.domain.fulfilment import Fulfilment, FulfilmentId
from shipcrowd_woo.domain.ids import CompanyId, DeliveryId, JobId, MappingId, StoreId, SyncLogId
from shipcrowd_woo.domain.inventory import DEFAULT_WAREHOUSE, StockChange, WarehouseItem
from shipcrowd_woo.domain.jobs import JobRecord
from shipcrowd_woo.domain.mapping_rules import MappingFilter, ProductMapping
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.shipping import ShippingRules
from shipcrowd_woo.domain.store import Store, Webhook
from shipcrowd_woo.domain.subscriptions import Subscription, SubscriptionNotFound
from shipcrowd_woo.domain.sync_log import SyncLog, SyncStatus, SyncType
from shipcrowd_woo.domain.versions import (
    Confirmation,
    OrderVersion,
    Verdict,
    judge,
    settles,
    version_of,
)
from shipcrowd_woo.domain.webhook_health import WebhookHealth
from shipcrowd_woo.domain.webhooks import Delivery, DeliveryState, Kept
from shipcrowd_woo.ports import inbox, repositories
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.repositories import (
    EventQuery,
    ListedOrder,
    OpenLine,
    OrderQuery,
    StagedOrder,
    StockNoted,
)

T = TypeVar("T")


@attrs.frozen
class SubscriptionHold:
    holder: str | None
    until: datetime | None
    taken_at: datetime | None


@attrs.define
class FakeDatabase:
    """Every table of the fake, as plain dicts of frozen domain objects."""

    stores: dict[StoreId, Store] = attrs.Factory(dict)
    webhooks: dict[str, Webhook] = attrs.Factory(dict)
    orders: dict[OrderKey, Order] = attrs.Factory(dict)
    mappings: dict[MappingId, ProductMapping] = attrs.Factory(dict)
    sync_logs: dict[SyncLogId, SyncLog] = attrs.Factory(dict)
    deliveries: dict[DeliveryId, Delivery] = attrs.Factory(dict)
    warehouse: dict[tuple[CompanyId, str, str], WarehouseItem] = attrs.Factory(dict)
    customers: dict[tuple[str, str, int], CustomerSnapshot] = attrs.Factory(dict)
    jobs: dict[JobId, JobRecord] = attrs.Factory(dict)
    fulfilments: dict[FulfilmentId, Fulfilment] = attrs.Factory(dict)
    stock_changes: dict[tuple[StoreId, str], StockChange] = attrs.Factory(dict)
    confirmations: dict[OrderKey, Confirmation] = attrs.Factory(dict)
    feed_states: dict[OrderKey, FeedState] = attrs.Factory(dict)
    # The feed's events and heads are written at commit, numbered in commit order.
    feed_events: dict[CompanyId, list[FeedEvent]] = attrs.Factory(dict)
    feed_heads: dict[CompanyId, FeedBounds] = attrs.Factory(dict)
    subscriptions: dict[str, Subscription] = attrs.Factory(dict)
    # Who delivers which subscription until when, and when it was last taken.
    subscription_holds: dict[str, SubscriptionHold] = attrs.Factory(dict)
    # Who holds which delivery until when (the inbox's leases; not a table of the domain).
    leases: dict[DeliveryId, datetime] = attrs.Factory(dict)
    commits: int = 0
    # Told of the companies whose events a commit appended (the feed signal's announce).
    announce: Callable[[Collection[CompanyId]], None] | None = attrs.field(default=None, eq=False)
    # Told of the stores a commit noted stock changes for (schedules their pushes).
    stock_noted: StockNoted | None = attrs.field(default=None, eq=False)
    lock: threading.Lock = attrs.field(factory=threading.Lock, eq=False)

    def tables(self) -> dict[str, dict[Any, Any]]:
        return {
            name: getattr(self, name)
            for name in (
                "stores",
                "webhooks",
                "orders",
                "mappings",
                "sync_logs",
                "deliveries",
                "warehouse",
                "customers",
                "jobs",
                "fulfilments",
                "stock_changes",
                "confirmations",
                "feed_states",
                "subscriptions",
                "subscription_holds",
            )
        }


def _page(items: Sequence[T], page: PageRequest) -> Page[T]:
    window = list(items[page.offset : page.offset + page.limit])
    return Page(window, len(items), page.offset, page.limit)


class FakeStoreRepository:
    def __init__(self, stores: dict[StoreId, Store]) -> None:
        self.stores = stores

    def add(self, store: Store) -> None:
        if store.id in self.stores or self.find_by_url(store.company_id, store.url):
            raise AlreadyExists(f"the company already has a store at {store.url}")
        self.stores[store.id] = store

    def get(self, company_id: CompanyId, store_id: StoreId) -> Store:
        store = self.stores.get(store_id)
        if store is None or store.company_id != company_id:
            raise StoreNotFound(store_id)
        return store

    def shipping_rules(self, company_id: CompanyId, store_id: StoreId) -> ShippingRules:
        return self.get(company_id, store_id).shipping

    def find_by_url(self, company_id: CompanyId, url: str) -> Store | None:
        return next(
            (s for s in self.stores.values() if s.company_id == company_id and s.url == url), None
        )

    def list(self, company_id: CompanyId, page: PageRequest) -> Page[Store]:
        mine = [s for s in self.stores.values() if s.company_id == company_id]
        mine.sort(key=lambda s: s.id)
        mine.sort(key=lambda s: s.installed_at, reverse=True)
        return _page(mine, page)

    def syncable(self) -> Sequence[Store]:
        return sorted((s for s in self.stores.values() if s.can_sync), key=lambda s: s.id)

    def syncable_of(self, company_id: CompanyId) -> Sequence[Store]:
        return [s for s in self.syncable() if s.company_id == company_id]

    def count_webhooks_unhealthy(self) -> int:
        return sum(s.webhook_health.is_unhealthy for s in self.syncable())

    def update(self, store: Store) -> None:
        current = self.stores.get(store.id)
        if current is not None:
            self.stores[store.id] = attrs.evolve(
                store,
                stats=current.stats,
                order_cursor=current.order_cursor,
                last_delivery_at=current.last_delivery_at,
                webhook_health=current.webhook_health,
            )

    def _change(self, store_id: StoreId, **changes: Any) -> None:
        if store_id in self.stores:
            self.stores[store_id] = attrs.evolve(self.stores[store_id], **changes)

    def record_order_sync(
        self, store_id: StoreId, synced: int, at: datetime, cursor: datetime | None
    ) -> None:
        store = self.stores.get(store_id)
        if store is None:
            return
        stats = attrs.evolve(
            store.stats, orders_synced=store.stats.orders_synced + synced, last_order_sync_at=at
        )
        later = store.order_cursor if cursor is None else max(cursor, store.order_cursor or cursor)
        self._change(store_id, stats=stats, order_cursor=later)

    def record_inventory_sync(self, store_id: StoreId, at: datetime) -> None:
        store = self.stores.get(store_id)
        if store is not None:
            stats = attrs.evolve(
                store.stats,
                inventory_syncs=store.stats.inventory_syncs + 1,
                last_inventory_sync_at=at,
            )
            self._change(store_id, stats=stats)

    def record_catalogue(self, store_id: StoreId, items: int, mapped: int) -> None:
        store = self.stores.get(store_id)
        if store is not None:
            stats = attrs.evolve(store.stats, catalogue_items=items, products_mapped=mapped)
            self._change(store_id, stats=stats)

    def record_webhook_check(self, store_id: StoreId, health: WebhookHealth) -> None:
        store = self.stores.get(store_id)
        if store is not None:
            kept = store.webhook_health
            self._change(
                store_id,
                webhook_health=attrs.evolve(
                    health, trouble_at=kept.trouble_at, trouble=kept.trouble
                ),
            )

    def record_webhook_trouble(self, store_id: StoreId, at: datetime, reason: str) -> None:
        store = self.stores.get(store_id)
        noted = store.webhook_health.trouble_at if store is not None else None
        if store is not None and (noted is None or noted < at):
            health = attrs.evolve(store.webhook_health, trouble_at=at, trouble=reason[:200])
            self._change(store_id, webhook_health=health)

    def every_store(self) -> Sequence[Store]:
        return sorted(self.stores.values(), key=lambda s: s.id)


class FakeWebhookRepository:
    def __init__(self, webhooks: dict[str, Webhook], stores: dict[StoreId, Store]) -> None:
        self.webhooks = webhooks
        self.stores = stores

    def add(self, webhook: Webhook) -> None:
        self.webhooks[webhook.id] = webhook

    def for_store(self, store_id: StoreId) -> Sequence[Webhook]:
        return sorted(
            (w for w in self.webhooks.values() if w.store_id == store_id),
            key=lambda w: (w.topic.value, w.id),
        )

    def update(self, webhook: Webhook) -> None:
        if webhook.id in self.webhooks:
            self.webhooks[webhook.id] = webhook

    def remove(self, webhook_id: str) -> None:
        self.webhooks.pop(webhook_id, None)


def stage_as_itself(order: Order, feed: FeedDraft | None) -> StagedOrder:
    """The fake's staging: the order itself is the row."""
    return StagedOrder.of(order, order, feed)


class FakeOrderRepository:
    def __init__(
        self, orders: dict[OrderKey, Order], feed_states: dict[OrderKey, FeedState] | None = None
    ) -> None:
        self.orders = orders
        self.feed_states = {} if feed_states is None else feed_states

    def unpublished(self, limit: int) -> Sequence[OrderKey]:
        return [key for key in self.orders if key not in self.feed_states][:limit]

    def open_lines(
        self, company_id: CompanyId, products: Collection[tuple[StoreId, int]]
    ) -> Sequence[OpenLine]:
        wanted = set(products)
        return [
            OpenLine(key, line.woo_line_id, line.product_id, line.variation_id, line.quantity)
            for key, order in self.orders.items()
            if key.company_id == company_id
            and key in self.feed_states
            and self.feed_states[key].shippable in OPEN
            for line in order.lines
            if (key.store_id, line.product_id) in wanted
        ]

    def listed(self, query: OrderQuery) -> Sequence[ListedOrder]:
        found = []
        for cursor, (key, order) in enumerate(self.orders.items(), start=1):
            state = self.feed_states.get(key)
            if (
                cursor <= query.after
                or key.company_id != query.company_id
                or (query.store_ids and key.store_id not in query.store_ids)
                or (query.woo_statuses and order.woo_status not in query.woo_statuses)
                or (query.shippable and (state is None or state.shippable not in query.shippable))
                or (
                    query.changed_after is not None
                    and (state is None or state.changed_at <= query.changed_after)
                )
            ):
                continue
            found.append(ListedOrder(order, state, cursor))
        return found[: query.limit]

    def upsert_all(self, orders: Sequence[Order]) -> Mapping[OrderKey, Verdict]:
        verdicts = {}
        for order in orders:
            stored = self.versions([order.key]).get(order.key)
            verdicts[order.key] = verdict = judge(stored, version_of(order))
            if verdict.writes:
                self.orders[order.key] = attrs.evolve(order, deleted_at_store=None)
        return verdicts

    def staging(self) -> Callable[[Order, FeedDraft | None], StagedOrder]:
        return stage_as_itself

    def upsert_staged(self, staged: Sequence[StagedOrder]) -> Mapping[OrderKey, Verdict]:
        return self.upsert_all([order.row for order in staged])

    def mark_deleted(self, key: OrderKey, at: datetime) -> bool:
        stored = self.orders.get(key)
        if stored is None or stored.deleted_at_store is not None:
            return False
        self.orders[key] = attrs.evolve(stored, deleted_at_store=at)
        return True

    def source_ids(self, company_id: CompanyId, store_id: StoreId) -> set[int]:
        return {
            key.source_id
            for key, order in self.orders.items()
            if key.company_id == company_id
            and key.store_id == store_id
            and order.deleted_at_store is None
        }

    def get(self, key: OrderKey) -> Order | None:
        return self.orders.get(key)

    def versions(
        self, keys: Collection[OrderKey], lock: bool = False
    ) -> Mapping[OrderKey, OrderVersion]:
        return {key: version_of(self.orders[key]) for key in keys if key in self.orders}

    def count(self, company_id: CompanyId, store_id: StoreId) -> int:
        return sum(
            1 for key in self.orders if key.company_id == company_id and key.store_id == store_id
        )


class FakeMappingRepository:
    def __init__(self, mappings: dict[MappingId, ProductMapping]) -> None:
        self.mappings = mappings

    def add(self, mapping: ProductMapping) -> None:
        taken = any(
            (m.company_id, m.store_id, m.target)
            == (mapping.company_id, mapping.store_id, mapping.target)
            for m in self.mappings.values()
        )
        if taken or mapping.id in self.mappings:
            raise AlreadyExists(f"product {mapping.woo_product_id} is already mapped")
        self.mappings[mapping.id] = mapping

    def get(self, company_id: CompanyId, mapping_id: MappingId) -> ProductMapping:
        mapping = self.mappings.get(mapping_id)
        if mapping is None or mapping.company_id != company_id:
            raise MappingNotFound(mapping_id)
        return mapping

    def for_store(self, company_id: CompanyId, store_id: StoreId) -> Sequence[ProductMapping]:
        return sorted(
            (
                m
                for m in self.mappings.values()
                if m.company_id == company_id and m.store_id == store_id
            ),
            key=lambda m: (m.woo_product_id, m.woo_variation_id or 0),
        )

    def for_products(
        self, company_id: CompanyId, store_id: StoreId, woo_ids: Collection[int]
    ) -> Sequence[ProductMapping]:
        wanted = set(woo_ids)
        return [
            m
            for m in self.for_store(company_id, store_id)
            if m.woo_product_id in wanted or m.woo_variation_id in wanted
        ]

    def for_skus(
        self, company_id: CompanyId, store_id: StoreId | None, skus: Collection[str]
    ) -> Sequence[ProductMapping]:
        wanted = set(skus)
        return [
            m
            for m in self.mappings.values()
            if m.company_id == company_id
            and (store_id is None or m.store_id == store_id)
            and m.shipcrowd_sku in wanted
        ]

    def page(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        criteria: MappingFilter,
        page: PageRequest,
    ) -> Page[ProductMapping]:
        chosen = [m for m in self.for_store(company_id, store_id) if criteria.admits(m)]
        return _page(chosen, page)

    def add_all(self, mappings: Sequence[ProductMapping]) -> None:
        for mapping in mappings:
            self.add(mapping)

    def update(self, mapping: ProductMapping) -> None:
        current = self.mappings.get(mapping.id)
        if current is not None and current.company_id == mapping.company_id:
            self.mappings[mapping.id] = mapping

    def update_all(self, mappings: Sequence[ProductMapping]) -> None:
        for mapping in mappings:
            self.update(mapping)

    def remove(self, company_id: CompanyId, mapping_id: MappingId) -> None:
        self.get(company_id, mapping_id)
        del self.mappings[mapping_id]


class FakeSyncLogRepository:
    def __init__(self, logs: dict[SyncLogId, SyncLog]) -> None:
        self.logs = logs

    def add(self, log: SyncLog) -> None:
        self.logs[log.id] = log

    def update(self, log: SyncLog) -> None:
        if log.id in self.logs:
            self.logs[log.id] = log

    def get(self, log_id: SyncLogId) -> SyncLog | None:
        return self.logs.get(log_id)

    def page(
        self, store_id: StoreId, sync_type: SyncType | None, page: PageRequest
    ) -> Page[SyncLog]:
        mine = [
            log
            for log in self.logs.values()
            if log.store_id == store_id and sync_type in (None, log.sync_type)
        ]
        mine.sort(key=lambda log: log.id)
        mine.sort(key=lambda log: log.started_at, reverse=True)
        return _page(mine, page)

    def delete_started_before(self, cutoff: datetime, batch_size: int) -> int:
        old = sorted(
            (log for log in self.logs.values() if log.started_at < cutoff),
            key=lambda log: log.started_at,
        )[:batch_size]
        for log in old:
            del self.logs[log.id]
        return len(old)

    def in_progress_since_before(self, cutoff: datetime, limit: int) -> Sequence[SyncLog]:
        stuck = [
            log
            for log in self.logs.values()
            if log.status is SyncStatus.IN_PROGRESS and log.started_at < cutoff
        ]
        return sorted(stuck, key=lambda log: (log.started_at, log.id))[:limit]


class FakeDeliveryInbox:
    def __init__(self, deliveries: dict[DeliveryId, Delivery]) -> None:
        self.deliveries = deliveries

    def add(self, delivery: Delivery) -> bool:
        duplicate = any(
            (d.store_id, d.topic, d.body_sha256)
            == (delivery.store_id, delivery.topic, delivery.body_sha256)
            for d in self.deliveries.values()
        )
        if duplicate or delivery.id in self.deliveries:
            return False
        self.deliveries[delivery.id] = delivery
        return True

    def get(self, delivery_id: DeliveryId) -> Delivery | None:
        return self.deliveries.get(delivery_id)

    def settle(
        self, ids: Collection[DeliveryId], at: datetime, failures: Mapping[DeliveryId, str]
    ) -> set[DeliveryId]:
        settled = set()
        for delivery_id in ids:
            delivery = self.deliveries.get(delivery_id)
            if delivery is None or delivery.state is not DeliveryState.RECEIVED:
                continue
            reason = failures.get(delivery_id)
            self.deliveries[delivery_id] = attrs.evolve(
                delivery,
                state=DeliveryState.PROCESSED if reason is None else DeliveryState.FAILED,
                processed_at=at,
                error=reason,
            )
            settled.add(delivery_id)
        return settled


class FakeInbox:
    """The Inbox port over a FakeDatabase: each call commits on its own."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database

    def senders(
        self, source_url: str, woo_webhook_id: int
    ) -> Sequence[repositories.CompanyWebhook]:
        with self.database.lock:
            stores = sorted(
                (s for s in self.database.stores.values() if s.url == source_url and s.is_active),
                key=lambda s: s.id,
            )
            return [
                (store.company_id, webhook)
                for store in stores
                for webhook in self.database.webhooks.values()
                if webhook.store_id == store.id
                and webhook.woo_webhook_id == woo_webhook_id
                and webhook.is_active
            ]

    def keep(self, delivery: Delivery, sender: Webhook, source_url: str, seen: bool) -> Kept:
        with FakeUnitOfWork(self.database) as uow:
            webhook = uow.webhooks.webhooks.get(sender.id)
            store = uow.stores.stores.get(delivery.store_id)
            if not (
                webhook is not None
                and webhook.is_active
                and webhook.secret == sender.secret
                and webhook.store_id == delivery.store_id
                and store is not None
                and store.is_active
                and store.url == source_url
            ):
                return Kept.SENDER_CHANGED
            if not uow.deliveries.add(delivery):
                return Kept.DUPLICATE
            if seen:
                at = delivery.received_at
                latest = max(at, webhook.last_delivery_at or at)
                uow.webhooks.webhooks[webhook.id] = attrs.evolve(webhook, last_delivery_at=latest)
                latest = max(at, store.last_delivery_at or at)
                uow.stores.stores[store.id] = attrs.evolve(store, last_delivery_at=latest)
            uow.commit()
        return Kept.NEW

    def claim(self, now: datetime, lease: timedelta, limit: int) -> Sequence[Delivery]:
        with self.database.lock:
            free = sorted(
                (
                    d
                    for d in self.database.deliveries.values()
                    if d.state is DeliveryState.RECEIVED
                    and self.database.leases.get(d.id, now) <= now
                ),
                key=lambda d: (d.received_at, d.id),
            )[:limit]
            for delivery in free:
                self.database.leases[delivery.id] = now + lease
            return free

    def give_back(self, ids: Collection[DeliveryId]) -> int:
        with self.database.lock:
            freed = [
                delivery_id
                for delivery_id in ids
                if delivery_id in self.database.leases
                and self.database.deliveries[delivery_id].state is DeliveryState.RECEIVED
            ]
            for delivery_id in freed:
                del self.database.leases[delivery_id]
            return len(freed)

    def release(self, leased_until_before: datetime) -> int:
        with self.database.lock:
            freed = [
                delivery_id
                for delivery_id, until in self.database.leases.items()
                if until < leased_until_before
                and self.database.deliveries[delivery_id].state is DeliveryState.RECEIVED
            ]
            for delivery_id in freed:
                del self.database.leases[delivery_id]
            return len(freed)

    def waiting(self, received_before: datetime) -> int:
        with self.database.lock:
            return sum(
                d.state is DeliveryState.RECEIVED and d.received_at < received_before
                for d in self.database.deliveries.values()
            )


class FakeWarehouseRepository:
    def __init__(self, items: dict[tuple[CompanyId, str, str], WarehouseItem]) -> None:
        self.stock = items

    def upsert(self, items: Sequence[WarehouseItem]) -> None:
        for item in items:
            self.stock[(item.company_id, item.warehouse, item.sku)] = item

    def items(self, company_id: CompanyId) -> Sequence[WarehouseItem]:
        return sorted(
            (i for (company, _, _), i in self.stock.items() if company == company_id),
            key=lambda i: (i.sku, i.warehouse),
        )

    def quantities(
        self,
        company_id: CompanyId,
        skus: Sequence[str],
        warehouses: Collection[str] | None = None,
    ) -> dict[str, int]:
        wanted = set(skus)
        found: dict[str, int] = {}
        for (company, warehouse, sku), item in self.stock.items():
            drawn = warehouses is None or warehouse in warehouses
            if company == company_id and sku in wanted and drawn:
                found[sku] = found.get(sku, 0) + item.quantity
        return found

    def decrement(
        self,
        company_id: CompanyId,
        shipped: Mapping[str, int],
        at: datetime,
        warehouse: str = DEFAULT_WAREHOUSE,
    ) -> dict[str, int]:
        levels = {}
        for sku, units in shipped.items():
            item = self.stock.get((company_id, warehouse, sku))
            if item is not None:
                item = attrs.evolve(item, quantity=max(0, item.quantity - units), updated_at=at)
                self.stock[(company_id, warehouse, sku)] = item
                levels[sku] = item.quantity
        return levels


class FakeStockChangeRepository:
    def __init__(self, changes: dict[tuple[StoreId, str], StockChange]) -> None:
        self.changes = changes

    def note(self, changes: Sequence[StockChange]) -> None:
        for change in changes:
            self.changes[(change.store_id, change.sku)] = change

    def for_store(self, store_id: StoreId, limit: int) -> Sequence[StockChange]:
        mine = [c for (store, _), c in self.changes.items() if store == store_id]
        return sorted(mine, key=lambda c: (c.changed_at, c.sku))[:limit]

    def remove(self, taken: Sequence[StockChange]) -> int:
        removed = 0
        for change in taken:
            if self.changes.get((change.store_id, change.sku)) == change:
                del self.changes[(change.store_id, change.sku)]
                removed += 1
        return removed

    def waiting_since(self, changed_before: datetime, limit: int) -> Sequence[StockChange]:
        oldest: dict[StoreId, StockChange] = {}
        for change in sorted(self.changes.values(), key=lambda c: (c.changed_at, c.sku)):
            oldest.setdefault(change.store_id, change)
        waiting = [c for c in oldest.values() if c.changed_at < changed_before]
        return waiting[:limit]


class FakeConfirmationRepository:
    def __init__(
        self, confirmations: dict[OrderKey, Confirmation], stores: dict[StoreId, Store]
    ) -> None:
        self.confirmations = confirmations
        self.stores = stores

    def note(self, confirmations: Sequence[Confirmation]) -> None:
        for confirmation in confirmations:
            waiting = self.confirmations.get(confirmation.key)
            if waiting is None or waiting.noted_at < confirmation.noted_at:
                self.confirmations[confirmation.key] = confirmation

    def due(self, store_id: StoreId, noted_before: datetime, limit: int) -> Sequence[Confirmation]:
        mine = [
            c
            for c in self.confirmations.values()
            if c.key.store_id == store_id and c.noted_at < noted_before
        ]
        return sorted(mine, key=lambda c: (c.noted_at, c.key.source_id))[:limit]

    def settle(self, key: OrderKey, current_from: datetime) -> bool:
        waiting = self.confirmations.get(key)
        if waiting is None or not settles(waiting, current_from):
            return False
        del self.confirmations[key]
        return True

    def waiting(self, noted_before: datetime, limit: int) -> Sequence[tuple[CompanyId, StoreId]]:
        stores: dict[tuple[CompanyId, StoreId], datetime] = {}
        for c in self.confirmations.values():
            store_of = self.stores.get(c.key.store_id)
            syncable = store_of is not None and store_of.is_active and not store_of.is_paused
            if syncable and c.noted_at < noted_before:
                store = (c.key.company_id, c.key.store_id)
                stores[store] = min(stores.get(store, c.noted_at), c.noted_at)
        return sorted(stores, key=stores.__getitem__)[:limit]


class FakeOrderFeedRepository:
    """The feed: states in the transaction's copy, events numbered when it commits."""

    def __init__(self, database: FakeDatabase, states: dict[OrderKey, FeedState]) -> None:
        self.database = database
        self.states_of = states
        self.pending: list[tuple[CompanyId, FeedEvent, FeedState]] = []

    def states(self, keys: Collection[OrderKey]) -> Mapping[OrderKey, FeedState]:
        return {key: self.states_of[key] for key in keys if key in self.states_of}

    def append(self, company_id: CompanyId, events: Sequence[NewEvent], at: datetime) -> None:
        for event in events:
            numbered = FeedEvent(
                company_id, 0, f"evt_{uuid.uuid4().hex}", event.type, event.key,
                event.changes, at, event.data,
            )  # fmt: skip
            self.states_of[event.key] = event.state
            self.pending.append((company_id, numbered, event.state))

    def commit(self) -> None:
        """Number the pending events after everything committed (under the database lock)."""
        for company_id, event, state in self.pending:
            head = self.database.feed_heads.get(company_id, FeedBounds())
            seq = head.last_seq + 1
            self.database.feed_heads[company_id] = attrs.evolve(head, last_seq=seq)
            self.database.feed_events.setdefault(company_id, []).append(
                attrs.evolve(event, seq=seq)
            )
            self.database.feed_states[event.key] = attrs.evolve(state, last_seq=seq)
        self.pending = []

    def read(self, query: EventQuery) -> Sequence[FeedEvent]:
        with self.database.lock:
            events = list(self.database.feed_events.get(query.company_id, []))
        found = [
            e
            for e in events
            if e.seq > query.after
            and (not query.store_ids or e.key.store_id in query.store_ids)
            and (not query.types or e.type in query.types)
        ]
        return found[: query.limit]

    def bounds(self, company_id: CompanyId) -> FeedBounds:
        with self.database.lock:
            return self.database.feed_heads.get(company_id, FeedBounds())

    def kept(self) -> int:
        with self.database.lock:
            return sum(h.last_seq - h.purged_through for h in self.database.feed_heads.values())

    def count(self, query: EventQuery) -> int:
        return len(self.read(query))

    def purge(self, occurred_before: datetime, batch_size: int) -> int:
        deleted = 0
        with self.database.lock:
            for company_id, events in self.database.feed_events.items():
                doomed = [e for e in events if e.occurred_at < occurred_before][:batch_size]
                if not doomed:
                    continue
                through = max(e.seq for e in doomed)
                kept = [e for e in events if e.seq > through]
                deleted += len(events) - len(kept)
                self.database.feed_events[company_id] = kept
                head = self.database.feed_heads[company_id]
                self.database.feed_heads[company_id] = attrs.evolve(
                    head, purged_through=max(head.purged_through, through)
                )
        return deleted


class FakeSubscriptionRepository:
    """Subscriptions and their holds, in the transaction's copy (the feed heads as
    committed, for the backlog a claim looks at)."""

    def __init__(
        self,
        database: FakeDatabase,
        subscriptions: dict[str, Subscription],
        holds: dict[str, SubscriptionHold],
    ) -> None:
        self.database = database
        self.subscriptions = subscriptions
        self.holds = holds

    def add(self, subscription: Subscription) -> None:
        self.subscriptions[subscription.id] = subscription

    def get(self, company_id: CompanyId, subscription_id: str) -> Subscription:
        found = self.subscriptions.get(subscription_id)
        if found is None or found.company_id != company_id:
            raise SubscriptionNotFound(f"subscription {subscription_id}")
        return found

    def listed(self, company_id: CompanyId) -> Sequence[Subscription]:
        return sorted(
            (s for s in self.subscriptions.values() if s.company_id == company_id),
            key=lambda s: (s.created_at, s.id),
        )

    def every(self) -> Sequence[Subscription]:
        return sorted(self.subscriptions.values(), key=lambda s: (s.created_at, s.id))

    def remove(self, company_id: CompanyId, subscription_id: str) -> None:
        self.get(company_id, subscription_id)
        del self.subscriptions[subscription_id]
        self.holds.pop(subscription_id, None)

    def save(self, subscription: Subscription) -> None:
        current = self.subscriptions.get(subscription.id)
        if current is not None:
            self.subscriptions[subscription.id] = attrs.evolve(
                subscription,
                after=current.after,
                last_error=current.last_error,
                last_delivered_at=current.last_delivered_at,
            )
            hold = self.holds.get(subscription.id)
            if hold is not None:
                self.holds[subscription.id] = attrs.evolve(hold, holder=None, until=None)

    def claim(self, now: datetime, holder: str, until: datetime) -> Subscription | None:
        free = SubscriptionHold(None, None, None)
        with self.database.lock:
            heads = dict(self.database.feed_heads)
        candidates = [
            s
            for s in self.subscriptions.values()
            if s.due(now)
            and heads.get(s.company_id, FeedBounds()).last_seq > s.after
            and ((hold := self.holds.get(s.id, free)).until is None or hold.until < now)
        ]
        if not candidates:
            return None
        oldest = datetime.min.replace(tzinfo=UTC)
        chosen = min(
            candidates, key=lambda s: (self.holds.get(s.id, free).taken_at or oldest, s.id)
        )
        self.holds[chosen.id] = SubscriptionHold(holder, until, now)
        return chosen

    def progress(self, subscription: Subscription, holder: str, until: datetime) -> bool:
        hold = self.holds.get(subscription.id)
        current = self.subscriptions.get(subscription.id)
        if hold is None or hold.holder != holder or current is None:
            return False
        self.subscriptions[subscription.id] = attrs.evolve(
            current,
            after=subscription.after,
            state=subscription.state,
            failures=subscription.failures,
            failing_since=subscription.failing_since,
            next_attempt_at=subscription.next_attempt_at,
            last_error=subscription.last_error,
            last_delivered_at=subscription.last_delivered_at,
            disabled_at=subscription.disabled_at,
        )
        self.holds[subscription.id] = attrs.evolve(hold, until=until)
        return True

    def release(self, subscription_id: str, holder: str) -> None:
        hold = self.holds.get(subscription_id)
        if hold is not None and hold.holder == holder:
            self.holds[subscription_id] = attrs.evolve(hold, holder=None, until=None)


class FakeFulfilmentRepository:
    def __init__(self, fulfilments: dict[FulfilmentId, Fulfilment]) -> None:
        self.fulfilments = fulfilments

    def add(self, fulfilment: Fulfilment) -> None:
        key = (fulfilment.company_id, fulfilment.store_id, fulfilment.order_id, fulfilment.key)
        if any(
            (f.company_id, f.store_id, f.order_id, f.key) == key for f in self.fulfilments.values()
        ):
            raise AlreadyExists(f"order {fulfilment.order_id} already has this fulfilment")
        self.fulfilments[fulfilment.id] = fulfilment

    def get(self, company_id: CompanyId, fulfilment_id: FulfilmentId) -> Fulfilment:
        found = self.fulfilments.get(fulfilment_id)
        if found is None or found.company_id != company_id:
            raise FulfilmentNotFound(fulfilment_id)
        return found

    def find_by_key(
        self, company_id: CompanyId, store_id: StoreId, order_id: int, key: str
    ) -> Fulfilment | None:
        return next(
            (f for f in self.for_order(company_id, store_id, order_id) if f.key == key), None
        )

    def for_order(
        self, company_id: CompanyId, store_id: StoreId, order_id: int
    ) -> Sequence[Fulfilment]:
        mine = [
            f
            for f in self.fulfilments.values()
            if (f.company_id, f.store_id, f.order_id) == (company_id, store_id, order_id)
        ]
        return sorted(mine, key=lambda f: (f.created_at, f.id))

    def for_orders(
        self, company_id: CompanyId, store_id: StoreId, order_ids: Collection[int]
    ) -> Sequence[Fulfilment]:
        wanted = set(order_ids)
        mine = [
            f
            for f in self.fulfilments.values()
            if (f.company_id, f.store_id) == (company_id, store_id) and f.order_id in wanted
        ]
        return sorted(mine, key=lambda f: (f.created_at, f.id))

    def update(self, fulfilment: Fulfilment) -> None:
        if fulfilment.id in self.fulfilments:
            self.fulfilments[fulfilment.id] = fulfilment


class FakeCustomerRepository:
    def __init__(self, customers: dict[tuple[str, str, int], CustomerSnapshot]) -> None:
        self.customers = customers

    def upsert(self, snapshot: CustomerSnapshot) -> bool:
        key = (snapshot.company_id, snapshot.store_id, snapshot.woo_customer_id)
        stored = self.customers.get(key)
        epoch = datetime(1970, 1, 1, tzinfo=UTC)

        def order(s: CustomerSnapshot) -> tuple[datetime, datetime]:
            return (s.modified_at or epoch, s.observed_at)

        if stored is not None and order(snapshot) <= order(stored):
            return False
        self.customers[key] = snapshot
        return True

    def get(
        self, company_id: CompanyId, store_id: StoreId, woo_customer_id: int
    ) -> CustomerSnapshot | None:
        return self.customers.get((company_id, store_id, woo_customer_id))


class FakeJobRepository:
    def __init__(self, jobs: dict[JobId, JobRecord]) -> None:
        self.jobs = jobs

    def add(self, record: JobRecord) -> None:
        self.jobs[record.id] = record

    def get(self, company_id: CompanyId, job_id: JobId) -> JobRecord:
        record = self.jobs.get(job_id)
        if record is None or record.company_id != company_id:
            raise JobNotFound(job_id)
        return record

    def find(self, job_id: JobId) -> JobRecord | None:
        return self.jobs.get(job_id)

    def update(self, record: JobRecord) -> None:
        if record.id in self.jobs:
            self.jobs[record.id] = record

    def stalled_before(self, moment: datetime, limit: int) -> Sequence[JobRecord]:
        stalled = [j for j in self.jobs.values() if not j.is_final and j.touched_at < moment]
        return sorted(stalled, key=lambda j: (j.touched_at, j.id))[:limit]

    def claim_stalled(self, before: datetime, now: datetime, limit: int) -> Sequence[JobRecord]:
        claimed = [attrs.evolve(j, touched_at=now) for j in self.stalled_before(before, limit)]
        for record in claimed:
            self.jobs[record.id] = record
        return sorted(claimed, key=lambda job: job.id)


class FakeUnitOfWork:
    """A transaction over a FakeDatabase: changes are visible to others only after commit."""

    def __init__(self, database: FakeDatabase | None = None) -> None:
        self.database = database if database is not None else FakeDatabase()
        self._snapshot: dict[str, dict[Any, Any]] = {}
        self._working: dict[str, dict[Any, Any]] = {}

    def __enter__(self) -> Self:
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._working = {}

    def _begin(self) -> None:
        with self.database.lock:
            self._snapshot = {name: dict(table) for name, table in self.database.tables().items()}
        self._working = {name: dict(table) for name, table in self._snapshot.items()}
        self.stores = FakeStoreRepository(self._working["stores"])
        self.webhooks = FakeWebhookRepository(self._working["webhooks"], self._working["stores"])
        self.orders = FakeOrderRepository(self._working["orders"], self._working["feed_states"])
        self.mappings = FakeMappingRepository(self._working["mappings"])
        self.sync_logs = FakeSyncLogRepository(self._working["sync_logs"])
        self.deliveries = FakeDeliveryInbox(self._working["deliveries"])
        self.warehouse = FakeWarehouseRepository(self._working["warehouse"])
        self.customers = FakeCustomerRepository(self._working["customers"])
        self.jobs = FakeJobRepository(self._working["jobs"])
        self.fulfilments = FakeFulfilmentRepository(self._working["fulfilments"])
        self.stock_changes = FakeStockChangeRepository(self._working["stock_changes"])
        self.confirmations = FakeConfirmationRepository(
            self._working["confirmations"], self._working["stores"]
        )
        self.feed = FakeOrderFeedRepository(self.database, self._working["feed_states"])
        self.subscriptions = FakeSubscriptionRepository(
            self.database, self._working["subscriptions"], self._working["subscription_holds"]
        )

    def commit(self) -> None:
        """Apply what this unit of work changed, key by key, as SQL would: a key another
        unit of work committed meanwhile is merged as the SQL statement would have seen it
        (an order under the version rule, a confirmation's later noting kept)."""
        appended = {company_id for company_id, _, _ in self.feed.pending}
        noted: dict[CompanyId, set[StoreId]] = {}
        for key, change in self._working["stock_changes"].items():
            if self._snapshot["stock_changes"].get(key) is not change:
                noted.setdefault(change.company_id, set()).add(change.store_id)
        with self.database.lock:
            for name, working in self._working.items():
                before, target = self._snapshot[name], getattr(self.database, name)
                merge = _MERGES.get(name, _last_wins)
                for key in before.keys() - working.keys():
                    if target.get(key) is before[key] or merge is _last_wins:
                        target.pop(key, None)
                for key, value in working.items():
                    if before.get(key) is not value:
                        current = target.get(key)
                        raced = current is not before.get(key) and current is not None
                        target[key] = merge(current, value) if raced else value
            self.feed.commit()
            self.database.commits += 1
        if noted and self.database.stock_noted is not None:
            self.database.stock_noted(noted)
        if appended and self.database.announce is not None:
            self.database.announce(appended)
        self._begin()

    def rollback(self) -> None:
        self._begin()


def _last_wins(_: Any, ours: T) -> T:
    return ours


def _newest_order(theirs: Order, ours: Order) -> Order:
    """The SQL upsert judges against the row as committed when it runs."""
    if version_of(theirs) == version_of(ours) or judge(version_of(theirs), version_of(ours)).writes:
        return ours
    return theirs


def _latest_noting(theirs: Confirmation, ours: Confirmation) -> Confirmation:
    return ours if ours.noted_at >= theirs.noted_at else theirs


_MERGES: dict[str, Callable[[Any, Any], Any]] = {
    "orders": _newest_order,
    "confirmations": _latest_noting,
}


def _typecheck() -> None:
    """mypy holds the fakes to the ports."""
    database = FakeDatabase()
    _: repositories.UnitOfWork = FakeUnitOfWork(database)
    _stores: repositories.StoreRepository = FakeStoreRepository({})
    _webhooks: repositories.WebhookRepository = FakeWebhookRepository({}, {})
    _orders: repositories.OrderRepository = FakeOrderRepository({})
    _mappings: repositories.MappingRepository = FakeMappingRepository({})
    _logs: repositories.SyncLogRepository = FakeSyncLogRepository({})
    _deliveries: repositories.DeliveryInbox = FakeDeliveryInbox({})
    _inbox: inbox.Inbox = FakeInbox(database)
    _warehouse: repositories.WarehouseRepository = FakeWarehouseRepository({})
    _customers: repositories.CustomerRepository = FakeCustomerRepository({})
    _jobs: repositories.JobRepository = FakeJobRepository({})
    _fulfilments: repositories.FulfilmentRepository = FakeFulfilmentRepository({})
    _changes: repositories.StockChangeRepository = FakeStockChangeRepository({})
    _confirmations: repositories.ConfirmationRepository = FakeConfirmationRepository({}, {})
    _feed: repositories.OrderFeedRepository = FakeOrderFeedRepository(database, {})
    _subscriptions: repositories.SubscriptionRepository = FakeSubscriptionRepository(
        database, {}, {}
    )
    _clock: Clock = FakeClock(datetime.now(UTC))


@attrs.define
class FakeClock:
    """A clock that moves only when told to."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)
