"""Repositories of stores, webhooks, product mappings, sync logs and deliveries.

Each converts explicitly between rows and domain objects; no row leaves this module.
"""

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    RowMapping,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shipcrowd_woo.adapters.sqlalchemy.orders import MAX_IDS_PER_QUERY
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    count_of,
    page_of,
    upsert_into,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import (
    CustomerRow,
    DeliveryRow,
    JobRow,
    ProductMappingRow,
    StoreRow,
    SyncLogRow,
    WarehouseItemRow,
    WebhookRow,
    table_of,
)
from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime
from shipcrowd_woo.converters.jobs import job_from_data, job_to_data
from shipcrowd_woo.domain.customers import CustomerSnapshot
from shipcrowd_woo.domain.errors import (
    AlreadyExists,
    JobNotFound,
    MappingNotFound,
    StoreNotFound,
)
from shipcrowd_woo.domain.ids import (
    CompanyId,
    JobId,
    MappingId,
    StoreId,
    SyncLogId,
)
from shipcrowd_woo.domain.inventory import WarehouseItem
from shipcrowd_woo.domain.jobs import JobRecord, JobState
from shipcrowd_woo.domain.mapping_rules import MappingFilter, MappingType, ProductMapping
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.site_index import RestStyle
from shipcrowd_woo.domain.store import (
    FulfilmentConfig,
    InventorySyncConfig,
    OrderSyncConfig,
    Store,
    StoreStats,
    Webhook,
)
from shipcrowd_woo.domain.sync_log import SyncLog, SyncStatus, SyncType
from shipcrowd_woo.domain.webhook_health import UNHEALTHY, WebhookHealth, WebhookState
from shipcrowd_woo.domain.webhooks import Topic

STORES = table_of(StoreRow)
SYNCABLE = select(STORES).where(STORES.c.is_active.is_(True), STORES.c.is_paused.is_(False))
WEBHOOKS = table_of(WebhookRow)
MAPPINGS = table_of(ProductMappingRow)
SYNC_LOGS = table_of(SyncLogRow)
DELIVERIES = table_of(DeliveryRow)


def _store_values(store: Store) -> dict[str, Any]:
    return {
        "id": store.id,
        "company_id": store.company_id,
        "url": store.url,
        "name": store.name,
        "consumer_key_key_id": store.consumer_key.key_id,
        "consumer_key_sealed": store.consumer_key.ciphertext,
        "consumer_secret_key_id": store.consumer_secret.key_id,
        "consumer_secret_sealed": store.consumer_secret.ciphertext,
        "wp_version": store.wp_version,
        "wc_version": store.wc_version,
        "currency": store.currency,
        "currency_decimals": store.currency_decimals,
        "timezone": store.timezone,
        "is_active": store.is_active,
        "is_paused": store.is_paused,
        "installed_at": store.installed_at,
        "uninstalled_at": store.uninstalled_at,
        "order_sync_enabled": store.order_sync.enabled,
        "order_auto_sync": store.order_sync.auto_sync,
        "order_sync_interval_seconds": int(store.order_sync.interval.total_seconds()),
        "order_sync_overlap_seconds": int(store.order_sync.overlap.total_seconds()),
        "inventory_sync_enabled": store.inventory_sync.enabled,
        "inventory_auto_sync": store.inventory_sync.auto_sync,
        "fulfilment_complete_on_ship": store.fulfilment.complete_on_ship,
        "fulfilment_notify_customer": store.fulfilment.notify_customer,
        "webhooks_enabled": store.webhooks_enabled,
        "orders_synced": store.stats.orders_synced,
        "products_mapped": store.stats.products_mapped,
        "catalogue_items": store.stats.catalogue_items,
        "inventory_syncs": store.stats.inventory_syncs,
        "last_order_sync_at": store.stats.last_order_sync_at,
        "last_inventory_sync_at": store.stats.last_inventory_sync_at,
        "order_cursor": store.order_cursor,
        "last_delivery_at": store.last_delivery_at,
        **_health_values(store.webhook_health),
        "webhook_trouble_at": store.webhook_health.trouble_at,
        "webhook_trouble": store.webhook_health.trouble,
        "rest_style": store.rest_style.value,
        "namespaces": " ".join(store.namespaces)[:4000],
    }


def _health_values(health: WebhookHealth) -> dict[str, Any]:
    """What a webhook check writes (evidence of trouble is written by others)."""
    return {
        "webhook_state": health.state.value,
        "webhook_state_since": health.since,
        "webhooks_checked_at": health.checked_at,
        "webhooks_repaired_at": health.repaired_at,
    }


# Columns that change concurrently (syncs, deliveries, webhook checks) and are only written
# by their own atomic methods, never by update().
_WRITTEN_ATOMICALLY = frozenset(
    {
        "orders_synced",
        "products_mapped",
        "catalogue_items",
        "inventory_syncs",
        "last_order_sync_at",
        "last_inventory_sync_at",
        "order_cursor",
        "last_delivery_at",
        "webhook_state",
        "webhook_state_since",
        "webhooks_checked_at",
        "webhooks_repaired_at",
        "webhook_trouble_at",
        "webhook_trouble",
    }
)


def _store_from(row: RowMapping) -> Store:
    return Store(
        id=StoreId(row["id"]),
        company_id=CompanyId(row["company_id"]),
        url=row["url"],
        name=row["name"],
        consumer_key=EncryptedSecret(row["consumer_key_key_id"], row["consumer_key_sealed"]),
        consumer_secret=EncryptedSecret(
            row["consumer_secret_key_id"], row["consumer_secret_sealed"]
        ),
        installed_at=row["installed_at"],
        wp_version=row["wp_version"],
        wc_version=row["wc_version"],
        currency=row["currency"],
        currency_decimals=row["currency_decimals"],
        timezone=row["timezone"],
        is_active=row["is_active"],
        is_paused=row["is_paused"],
        uninstalled_at=row["uninstalled_at"],
        order_sync=OrderSyncConfig(
            enabled=row["order_sync_enabled"],
            auto_sync=row["order_auto_sync"],
            interval=timedelta(seconds=row["order_sync_interval_seconds"]),
            overlap=timedelta(seconds=row["order_sync_overlap_seconds"]),
        ),
        inventory_sync=InventorySyncConfig(
            enabled=row["inventory_sync_enabled"], auto_sync=row["inventory_auto_sync"]
        ),
        fulfilment=FulfilmentConfig(
            complete_on_ship=row["fulfilment_complete_on_ship"],
            notify_customer=row["fulfilment_notify_customer"],
        ),
        webhooks_enabled=row["webhooks_enabled"],
        stats=StoreStats(
            orders_synced=row["orders_synced"],
            products_mapped=row["products_mapped"],
            catalogue_items=row["catalogue_items"],
            inventory_syncs=row["inventory_syncs"],
            last_order_sync_at=row["last_order_sync_at"],
            last_inventory_sync_at=row["last_inventory_sync_at"],
        ),
        order_cursor=row["order_cursor"],
        last_delivery_at=row["last_delivery_at"],
        webhook_health=WebhookHealth(
            state=WebhookState(row["webhook_state"]),
            since=row["webhook_state_since"],
            checked_at=row["webhooks_checked_at"],
            repaired_at=row["webhooks_repaired_at"],
            trouble_at=row["webhook_trouble_at"],
            trouble=row["webhook_trouble"],
        ),
        rest_style=RestStyle(row["rest_style"]),
        namespaces=tuple(row["namespaces"].split()),
    )


class SqlAlchemyStoreRepository:
    """Stores in SQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, store: Store) -> None:
        """Insert a store; AlreadyExists when the company already has its URL or its id."""
        inserted = self._session.execute(
            upsert_into(self._session, STORES)
            .values(_store_values(store))
            .on_conflict_do_nothing()
            .returning(STORES.c.id)
        ).first()
        if inserted is None:
            raise AlreadyExists(f"the company already has a store at {store.url}")

    def get(self, company_id: CompanyId, store_id: StoreId) -> Store:
        """The company's store, or StoreNotFound."""
        row = (
            self._session.execute(
                select(STORES).where(STORES.c.id == store_id, STORES.c.company_id == company_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise StoreNotFound(store_id)
        return _store_from(row)

    def find_by_url(self, company_id: CompanyId, url: str) -> Store | None:
        """The company's store at this URL, active or not."""
        row = (
            self._session.execute(
                select(STORES).where(STORES.c.company_id == company_id, STORES.c.url == url)
            )
            .mappings()
            .first()
        )
        return None if row is None else _store_from(row)

    def list(self, company_id: CompanyId, page: PageRequest) -> Page[Store]:
        """The company's stores, newest first."""
        query = select(STORES).where(STORES.c.company_id == company_id)
        rows = self._session.execute(
            page_of(query.order_by(STORES.c.installed_at.desc(), STORES.c.id), page)
        ).mappings()
        return Page(
            [_store_from(row) for row in rows],
            count_of(self._session, query),
            page.offset,
            page.limit,
        )

    def syncable(self) -> Sequence[Store]:
        """Every active, unpaused store."""
        rows = self._session.execute(SYNCABLE.order_by(STORES.c.id)).mappings()
        return [_store_from(row) for row in rows]

    def syncable_of(self, company_id: CompanyId) -> Sequence[Store]:
        """The company's active, unpaused stores."""
        rows = self._session.execute(
            SYNCABLE.where(STORES.c.company_id == company_id).order_by(STORES.c.id)
        ).mappings()
        return [_store_from(row) for row in rows]

    def count_webhooks_unhealthy(self) -> int:
        """Active, unpaused stores whose last webhook check left them unhealthy."""
        return int(
            self._session.scalar(
                select(func.count()).where(
                    STORES.c.is_active.is_(True),
                    STORES.c.is_paused.is_(False),
                    STORES.c.webhook_state.in_([state.value for state in UNHEALTHY]),
                )
            )
            or 0
        )

    def update(self, store: Store) -> None:
        """Save what a person changes; the atomically written columns are left alone."""
        values = {k: v for k, v in _store_values(store).items() if k not in _WRITTEN_ATOMICALLY}
        self._session.execute(update(STORES).where(STORES.c.id == store.id).values(values))

    def record_order_sync(
        self, store_id: StoreId, synced: int, at: datetime, cursor: datetime | None
    ) -> None:
        """Add to the order count and move the cursor forward, in one statement."""
        values: dict[str, Any] = {
            "orders_synced": STORES.c.orders_synced + synced,
            "last_order_sync_at": at,
        }
        if cursor is not None:
            later = literal(cursor, UtcDateTime())
            values["order_cursor"] = case(
                (or_(STORES.c.order_cursor.is_(None), STORES.c.order_cursor < later), later),
                else_=STORES.c.order_cursor,
            )
        self._session.execute(update(STORES).where(STORES.c.id == store_id).values(values))

    def record_inventory_sync(self, store_id: StoreId, at: datetime) -> None:
        """Count one inventory push."""
        self._session.execute(
            update(STORES)
            .where(STORES.c.id == store_id)
            .values(inventory_syncs=STORES.c.inventory_syncs + 1, last_inventory_sync_at=at)
        )

    def record_catalogue(self, store_id: StoreId, items: int, mapped: int) -> None:
        """Remember the last catalogue scan."""
        self._session.execute(
            update(STORES)
            .where(STORES.c.id == store_id)
            .values(catalogue_items=items, products_mapped=mapped)
        )

    def record_webhook_check(self, store_id: StoreId, health: WebhookHealth) -> None:
        """Save what a webhook check found; evidence of trouble is left alone."""
        self._session.execute(
            update(STORES).where(STORES.c.id == store_id).values(_health_values(health))
        )

    def record_webhook_trouble(self, store_id: StoreId, at: datetime, reason: str) -> None:
        """Note evidence of trouble, the newest kept."""
        column = STORES.c.webhook_trouble_at
        newer = or_(column.is_(None), column < literal(at, UtcDateTime()))
        self._session.execute(
            update(STORES)
            .where(STORES.c.id == store_id, newer)
            .values(webhook_trouble_at=at, webhook_trouble=reason[:200])
        )

    def every_store(self) -> Sequence[Store]:
        """Every store of every company, connected or not (key rotation)."""
        rows = self._session.execute(select(STORES).order_by(STORES.c.id)).mappings()
        return [_store_from(row) for row in rows]


def _webhook_values(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "store_id": webhook.store_id,
        "topic": webhook.topic.value,
        "woo_webhook_id": webhook.woo_webhook_id,
        "delivery_url": webhook.delivery_url,
        "secret_key_id": webhook.secret.key_id,
        "secret_sealed": webhook.secret.ciphertext,
        "is_active": webhook.is_active,
        "created_at": webhook.created_at,
        "last_delivery_at": webhook.last_delivery_at,
    }


def webhook_from_row(row: RowMapping) -> Webhook:
    return Webhook(
        id=row["id"],
        store_id=StoreId(row["store_id"]),
        topic=Topic(row["topic"]),
        delivery_url=row["delivery_url"],
        secret=EncryptedSecret(row["secret_key_id"], row["secret_sealed"]),
        created_at=row["created_at"],
        woo_webhook_id=row["woo_webhook_id"],
        is_active=row["is_active"],
        last_delivery_at=row["last_delivery_at"],
    )


class SqlAlchemyWebhookRepository:
    """Webhooks in SQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, webhook: Webhook) -> None:
        """Insert a webhook."""
        self._session.execute(WEBHOOKS.insert().values(_webhook_values(webhook)))

    def for_store(self, store_id: StoreId) -> Sequence[Webhook]:
        """A store's webhooks, by topic."""
        rows = self._session.execute(
            select(WEBHOOKS)
            .where(WEBHOOKS.c.store_id == store_id)
            .order_by(WEBHOOKS.c.topic, WEBHOOKS.c.id)
        ).mappings()
        return [webhook_from_row(row) for row in rows]

    def update(self, webhook: Webhook) -> None:
        """Save a changed webhook."""
        self._session.execute(
            update(WEBHOOKS).where(WEBHOOKS.c.id == webhook.id).values(_webhook_values(webhook))
        )

    def remove(self, webhook_id: str) -> None:
        """Forget a webhook."""
        self._session.execute(delete(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id))


def _mapping_values(mapping: ProductMapping) -> dict[str, Any]:
    return {
        "id": mapping.id,
        "company_id": mapping.company_id,
        "store_id": mapping.store_id,
        "woo_product_id": mapping.woo_product_id,
        "woo_variation_id": mapping.woo_variation_id or 0,
        "woo_sku": mapping.woo_sku,
        "woo_title": mapping.woo_title,
        "shipcrowd_sku": mapping.shipcrowd_sku,
        "shipcrowd_product_name": mapping.shipcrowd_product_name,
        "mapping_type": mapping.mapping_type.value,
        "sync_inventory": mapping.sync_inventory,
        "sync_price": mapping.sync_price,
        "sync_on_fulfillment": mapping.sync_on_fulfillment,
        "is_active": mapping.is_active,
        "sync_errors": mapping.sync_errors,
        "last_sync_error": mapping.last_sync_error,
        "last_sync_at": mapping.last_sync_at,
        "last_pushed_quantity": mapping.last_pushed_quantity,
        "created_at": mapping.created_at,
    }


def _mapping_from(row: RowMapping) -> ProductMapping:
    return ProductMapping(
        id=MappingId(row["id"]),
        company_id=CompanyId(row["company_id"]),
        store_id=StoreId(row["store_id"]),
        woo_product_id=row["woo_product_id"],
        woo_variation_id=row["woo_variation_id"] or None,
        woo_sku=row["woo_sku"],
        woo_title=row["woo_title"],
        shipcrowd_sku=row["shipcrowd_sku"],
        mapping_type=MappingType(row["mapping_type"]),
        created_at=row["created_at"],
        shipcrowd_product_name=row["shipcrowd_product_name"],
        sync_inventory=row["sync_inventory"],
        sync_price=row["sync_price"],
        sync_on_fulfillment=row["sync_on_fulfillment"],
        is_active=row["is_active"],
        sync_errors=row["sync_errors"],
        last_sync_error=row["last_sync_error"],
        last_sync_at=row["last_sync_at"],
        last_pushed_quantity=row["last_pushed_quantity"],
    )


class SqlAlchemyMappingRepository:
    """Product mappings in SQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, mapping: ProductMapping) -> None:
        """Insert a mapping; AlreadyExists when its product/variation is already mapped."""
        inserted = self._session.execute(
            upsert_into(self._session, MAPPINGS)
            .values(_mapping_values(mapping))
            .on_conflict_do_nothing()
            .returning(MAPPINGS.c.id)
        ).first()
        if inserted is None:
            raise AlreadyExists(
                f"product {mapping.woo_product_id}"
                + (f" variation {mapping.woo_variation_id}" if mapping.woo_variation_id else "")
                + " is already mapped"
            )

    def get(self, company_id: CompanyId, mapping_id: MappingId) -> ProductMapping:
        """The company's mapping, or MappingNotFound."""
        row = (
            self._session.execute(
                select(MAPPINGS).where(
                    MAPPINGS.c.id == mapping_id, MAPPINGS.c.company_id == company_id
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise MappingNotFound(mapping_id)
        return _mapping_from(row)

    def for_store(self, company_id: CompanyId, store_id: StoreId) -> Sequence[ProductMapping]:
        """Every mapping of the store, by product and variation."""
        rows = self._session.execute(
            select(MAPPINGS)
            .where(MAPPINGS.c.company_id == company_id, MAPPINGS.c.store_id == store_id)
            .order_by(MAPPINGS.c.woo_product_id, MAPPINGS.c.woo_variation_id)
        ).mappings()
        return [_mapping_from(row) for row in rows]

    def for_products(
        self, company_id: CompanyId, store_id: StoreId, woo_ids: Collection[int]
    ) -> Sequence[ProductMapping]:
        """The store's mappings of these products or variations, 500 ids a query: by
        product and by variation as two halves of one statement, each an index search (as one
        OR, SQLite read every mapping of the store)."""
        chosen = sorted(set(woo_ids))
        found: list[ProductMapping] = []
        of_store = select(MAPPINGS).where(
            MAPPINGS.c.company_id == company_id, MAPPINGS.c.store_id == store_id
        )
        for start in range(0, len(chosen), MAX_IDS_PER_QUERY):
            ids = chosen[start : start + MAX_IDS_PER_QUERY]
            rows = self._session.execute(
                union_all(
                    of_store.where(MAPPINGS.c.woo_product_id.in_(ids)),
                    of_store.where(MAPPINGS.c.woo_variation_id.in_(ids)),
                )
            ).mappings()
            found.extend(_mapping_from(row) for row in rows)
        unique = {mapping.id: mapping for mapping in found}.values()
        return sorted(unique, key=lambda m: (m.woo_product_id, m.woo_variation_id or 0))

    def for_skus(
        self, company_id: CompanyId, store_id: StoreId, skus: Collection[str]
    ) -> Sequence[ProductMapping]:
        """The store's mappings to these SKUs, 500 a query (an index search each)."""
        chosen = sorted(set(skus))
        found: list[ProductMapping] = []
        for start in range(0, len(chosen), MAX_IDS_PER_QUERY):
            rows = self._session.execute(
                select(MAPPINGS).where(
                    MAPPINGS.c.company_id == company_id,
                    MAPPINGS.c.store_id == store_id,
                    MAPPINGS.c.shipcrowd_sku.in_(chosen[start : start + MAX_IDS_PER_QUERY]),
                )
            ).mappings()
            found.extend(_mapping_from(row) for row in rows)
        return found

    def page(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        criteria: MappingFilter,
        page: PageRequest,
    ) -> Page[ProductMapping]:
        """A filtered page of the store's mappings."""
        query = select(MAPPINGS).where(
            MAPPINGS.c.company_id == company_id, MAPPINGS.c.store_id == store_id
        )
        if criteria.active is not None:
            query = query.where(MAPPINGS.c.is_active.is_(criteria.active))
        if criteria.sync_inventory is not None:
            query = query.where(MAPPINGS.c.sync_inventory.is_(criteria.sync_inventory))
        if criteria.erroring is not None:
            erroring = MAPPINGS.c.sync_errors > 0
            query = query.where(erroring if criteria.erroring else ~erroring)
        if criteria.mapping_type is not None:
            query = query.where(MAPPINGS.c.mapping_type == criteria.mapping_type.value)
        if needle := criteria.search.strip().lower():
            query = query.where(
                or_(
                    *(
                        func.lower(column).contains(needle, autoescape=True)
                        for column in (
                            MAPPINGS.c.shipcrowd_sku,
                            MAPPINGS.c.woo_sku,
                            MAPPINGS.c.woo_title,
                        )
                    )
                )
            )
        rows = self._session.execute(
            page_of(query.order_by(MAPPINGS.c.woo_product_id, MAPPINGS.c.woo_variation_id), page)
        ).mappings()
        return Page(
            [_mapping_from(row) for row in rows],
            count_of(self._session, query),
            page.offset,
            page.limit,
        )

    def add_all(self, mappings: Sequence[ProductMapping]) -> None:
        """Insert mappings with one executemany (a 100,000-line CSV took 70 s row by row);
        AlreadyExists when any target is already mapped."""
        if not mappings:
            return
        try:
            self._session.execute(insert(MAPPINGS), [_mapping_values(m) for m in mappings])
        except IntegrityError:
            raise AlreadyExists(
                f"one of {len(mappings)} products or variations is already mapped"
            ) from None

    def update(self, mapping: ProductMapping) -> None:
        """Save a changed mapping."""
        self.update_all([mapping])

    def update_all(self, mappings: Sequence[ProductMapping]) -> None:
        """Save changed mappings with one executemany."""
        if not mappings:
            return
        self._session.execute(
            update(MAPPINGS).where(
                MAPPINGS.c.id == bindparam("match_id"),
                MAPPINGS.c.company_id == bindparam("match_company_id"),
            ),
            [
                {"match_id": m.id, "match_company_id": m.company_id, **_mapping_values(m)}
                for m in mappings
            ],
        )

    def remove(self, company_id: CompanyId, mapping_id: MappingId) -> None:
        """Delete the company's mapping, or MappingNotFound."""
        deleted = self._session.execute(
            delete(MAPPINGS)
            .where(MAPPINGS.c.id == mapping_id, MAPPINGS.c.company_id == company_id)
            .returning(MAPPINGS.c.id)
        ).first()
        if deleted is None:
            raise MappingNotFound(mapping_id)


def _sync_log_values(log: SyncLog) -> dict[str, Any]:
    return {
        "id": log.id,
        "company_id": log.company_id,
        "store_id": log.store_id,
        "sync_type": log.sync_type.value,
        "status": log.status.value,
        "started_at": log.started_at,
        "ended_at": log.ended_at,
        "synced": log.synced,
        "skipped": log.skipped,
        "failed": log.failed,
        "errors": list(log.errors),
        "errors_dropped": log.errors_dropped,
        "details": dict(log.metadata),
    }


def _sync_log_from(row: RowMapping) -> SyncLog:
    return SyncLog(
        id=SyncLogId(row["id"]),
        company_id=CompanyId(row["company_id"]),
        store_id=StoreId(row["store_id"]),
        sync_type=SyncType(row["sync_type"]),
        started_at=row["started_at"],
        status=SyncStatus(row["status"]),
        ended_at=row["ended_at"],
        synced=row["synced"],
        skipped=row["skipped"],
        failed=row["failed"],
        errors=tuple(row["errors"]),
        errors_dropped=row["errors_dropped"],
        metadata=row["details"],
    )


class SqlAlchemySyncLogRepository:
    """Sync logs in SQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, log: SyncLog) -> None:
        """Insert a log."""
        self._session.execute(SYNC_LOGS.insert().values(_sync_log_values(log)))

    def update(self, log: SyncLog) -> None:
        """Save a changed log."""
        self._session.execute(
            update(SYNC_LOGS).where(SYNC_LOGS.c.id == log.id).values(_sync_log_values(log))
        )

    def get(self, log_id: SyncLogId) -> SyncLog | None:
        """A log by id."""
        row = (
            self._session.execute(select(SYNC_LOGS).where(SYNC_LOGS.c.id == log_id))
            .mappings()
            .first()
        )
        return None if row is None else _sync_log_from(row)

    def page(
        self, store_id: StoreId, sync_type: SyncType | None, page: PageRequest
    ) -> Page[SyncLog]:
        """A store's logs, optionally of one type, newest first."""
        query = select(SYNC_LOGS).where(SYNC_LOGS.c.store_id == store_id)
        if sync_type is not None:
            query = query.where(SYNC_LOGS.c.sync_type == sync_type.value)
        rows = self._session.execute(
            page_of(query.order_by(SYNC_LOGS.c.started_at.desc(), SYNC_LOGS.c.id), page)
        ).mappings()
        return Page(
            [_sync_log_from(row) for row in rows],
            count_of(self._session, query),
            page.offset,
            page.limit,
        )

    def delete_started_before(self, cutoff: datetime, batch_size: int) -> int:
        """Delete up to `batch_size` of the oldest logs started before `cutoff`."""
        oldest = (
            select(SYNC_LOGS.c.id)
            .where(SYNC_LOGS.c.started_at < cutoff)
            .order_by(SYNC_LOGS.c.started_at)
            .limit(batch_size)
        )
        deleted = self._session.execute(
            delete(SYNC_LOGS).where(SYNC_LOGS.c.id.in_(oldest)).returning(SYNC_LOGS.c.id)
        )
        return len(deleted.all())

    def in_progress_since_before(self, cutoff: datetime, limit: int) -> Sequence[SyncLog]:
        """Runs left IN_PROGRESS since before `cutoff`, oldest first."""
        rows = self._session.execute(
            select(SYNC_LOGS)
            .where(
                SYNC_LOGS.c.status == SyncStatus.IN_PROGRESS.value,
                SYNC_LOGS.c.started_at < cutoff,
            )
            .order_by(SYNC_LOGS.c.started_at, SYNC_LOGS.c.id)
            .limit(limit)
        ).mappings()
        return [_sync_log_from(row) for row in rows]


WAREHOUSE = table_of(WarehouseItemRow)
CUSTOMERS = table_of(CustomerRow)


class SqlAlchemyWarehouseRepository:
    """Warehouse SKUs in SQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def upsert(self, items: Sequence[WarehouseItem]) -> None:
        """Insert or replace items by (company, SKU)."""
        if not items:
            return
        statement = upsert_into(self._session, WAREHOUSE)
        statement = statement.on_conflict_do_update(
            index_elements=["company_id", "sku"],
            set_={name: statement.excluded[name] for name in ("name", "quantity", "updated_at")},
        )
        self._session.execute(
            statement,
            [
                {
                    "company_id": i.company_id,
                    "sku": i.sku,
                    "name": i.name,
                    "quantity": i.quantity,
                    "updated_at": i.updated_at,
                }
                for i in items
            ],
        )

    def items(self, company_id: CompanyId) -> Sequence[WarehouseItem]:
        """Every SKU of the company, by SKU."""
        rows = self._session.execute(
            select(WAREHOUSE).where(WAREHOUSE.c.company_id == company_id).order_by(WAREHOUSE.c.sku)
        ).mappings()
        return [
            WarehouseItem(
                CompanyId(r["company_id"]), r["sku"], r["name"], r["quantity"], r["updated_at"]
            )
            for r in rows
        ]

    def quantities(self, company_id: CompanyId, skus: Sequence[str]) -> dict[str, int]:
        """Stock on hand of the known SKUs among `skus`."""
        found: dict[str, int] = {}
        unique = sorted(set(skus))
        for start in range(0, len(unique), MAX_IDS_PER_QUERY):
            rows = self._session.execute(
                select(WAREHOUSE.c.sku, WAREHOUSE.c.quantity).where(
                    WAREHOUSE.c.company_id == company_id,
                    WAREHOUSE.c.sku.in_(unique[start : start + MAX_IDS_PER_QUERY]),
                )
            )
            found.update({sku: int(quantity) for sku, quantity in rows})
        return found

    def decrement(
        self, company_id: CompanyId, shipped: Mapping[str, int], at: datetime
    ) -> dict[str, int]:
        """One UPDATE … RETURNING per SKU: the subtraction happens under the row lock."""
        levels: dict[str, int] = {}
        for sku, units in sorted(shipped.items()):
            row = self._session.execute(
                update(WAREHOUSE)
                .where(WAREHOUSE.c.company_id == company_id, WAREHOUSE.c.sku == sku)
                .values(
                    quantity=case(
                        (WAREHOUSE.c.quantity > units, WAREHOUSE.c.quantity - units), else_=0
                    ),
                    updated_at=at,
                )
                .returning(WAREHOUSE.c.quantity)
            ).first()
            if row is not None:
                levels[sku] = int(row[0])
        return levels


class SqlAlchemyCustomerRepository:
    """Customer snapshots in SQL, newest kept."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def upsert(self, snapshot: CustomerSnapshot) -> bool:
        """Keep the snapshot unless a later one is stored."""
        values = {
            "company_id": snapshot.company_id,
            "store_id": snapshot.store_id,
            "woo_customer_id": snapshot.woo_customer_id,
            "email": snapshot.email,
            "first_name": snapshot.first_name,
            "last_name": snapshot.last_name,
            "modified_at": snapshot.modified_at,
            "observed_at": snapshot.observed_at,
            "document": snapshot.document,
        }
        statement = upsert_into(self._session, CUSTOMERS).values(values)
        incoming = statement.excluded
        epoch = literal(datetime(1970, 1, 1, tzinfo=UTC), UtcDateTime())
        written = self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["company_id", "store_id", "woo_customer_id"],
                set_={
                    name: incoming[name]
                    for name in values
                    if name not in ("company_id", "store_id", "woo_customer_id")
                },
                where=tuple_(func.coalesce(CUSTOMERS.c.modified_at, epoch), CUSTOMERS.c.observed_at)
                < tuple_(func.coalesce(incoming.modified_at, epoch), incoming.observed_at),
            ).returning(CUSTOMERS.c.woo_customer_id)
        ).first()
        return written is not None

    def get(
        self, company_id: CompanyId, store_id: StoreId, woo_customer_id: int
    ) -> CustomerSnapshot | None:
        """A stored snapshot."""
        row = (
            self._session.execute(
                select(CUSTOMERS).where(
                    CUSTOMERS.c.company_id == company_id,
                    CUSTOMERS.c.store_id == store_id,
                    CUSTOMERS.c.woo_customer_id == woo_customer_id,
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return CustomerSnapshot(
            company_id=CompanyId(row["company_id"]),
            store_id=StoreId(row["store_id"]),
            woo_customer_id=row["woo_customer_id"],
            email=row["email"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            modified_at=row["modified_at"],
            observed_at=row["observed_at"],
            document=row["document"],
        )


JOBS = table_of(JobRow)
UNFINISHED = (JobState.QUEUED.value, JobState.RUNNING.value)


def _job_values(record: JobRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "company_id": record.company_id,
        "store_id": record.store_id,
        "kind": record.kind,
        "payload": job_to_data(record.job),
        "state": record.state.value,
        "attempts": record.attempts,
        "created_at": record.created_at,
        "touched_at": record.touched_at,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
        "summary": dict(record.summary),
        "error": record.error,
    }


def _job_from(row: RowMapping) -> JobRecord:
    return JobRecord(
        id=JobId(row["id"]),
        company_id=CompanyId(row["company_id"]),
        job=job_from_data(row["payload"]),
        state=JobState(row["state"]),
        created_at=row["created_at"],
        attempts=row["attempts"],
        touched_at=row["touched_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        summary=row["summary"],
        error=row["error"],
    )


class SqlAlchemyJobRepository:
    """Jobs in SQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, record: JobRecord) -> None:
        """Insert a job record."""
        self._session.execute(insert(JOBS), _job_values(record))

    def get(self, company_id: CompanyId, job_id: JobId) -> JobRecord:
        """The company's job, or JobNotFound."""
        row = (
            self._session.execute(
                select(JOBS).where(JOBS.c.id == job_id, JOBS.c.company_id == company_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise JobNotFound(job_id)
        return _job_from(row)

    def find(self, job_id: JobId) -> JobRecord | None:
        """A job by id."""
        row = self._session.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().first()
        return None if row is None else _job_from(row)

    def update(self, record: JobRecord) -> None:
        """Save a job's progress."""
        self._session.execute(
            update(JOBS).where(JOBS.c.id == record.id).values(_job_values(record))
        )

    def stalled_before(self, moment: datetime, limit: int) -> Sequence[JobRecord]:
        """Unfinished jobs unchanged since before `moment`, oldest first."""
        rows = self._session.execute(
            select(JOBS)
            .where(JOBS.c.state.in_(UNFINISHED), JOBS.c.touched_at < moment)
            .order_by(JOBS.c.touched_at, JOBS.c.id)
            .limit(limit)
        ).mappings()
        return [_job_from(row) for row in rows]

    def claim_stalled(self, before: datetime, now: datetime, limit: int) -> Sequence[JobRecord]:
        """stalled_before, touched at `now`, in one statement. The conditions are checked again
        on each row as it is written, so of two claims racing for a job only the first gets
        it."""
        stalled = (JOBS.c.state.in_(UNFINISHED), JOBS.c.touched_at < before)
        oldest = select(JOBS.c.id).where(*stalled).order_by(JOBS.c.touched_at, JOBS.c.id)
        rows = self._session.execute(
            update(JOBS)
            .where(JOBS.c.id.in_(oldest.limit(limit)), *stalled)
            .values(touched_at=now)
            .returning(*JOBS.c)
        ).mappings()
        return sorted((_job_from(row) for row in rows), key=lambda job: job.id)
