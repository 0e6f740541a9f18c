"""Stores in SQL: the store row flattens its settings, statistics and webhook health."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    RowMapping,
    case,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from shipcrowd_woo.adapters.sqlalchemy.statements import (
    one_row,
    page_with_total,
    upsert_into,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import (
    StoreRow,
    table_of,
)
from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime
from shipcrowd_woo.domain.errors import (
    AlreadyExists,
    StoreNotFound,
)
from shipcrowd_woo.domain.ids import (
    CompanyId,
    StoreId,
)
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.site_index import RestStyle
from shipcrowd_woo.domain.store import (
    FulfilmentConfig,
    InventorySyncConfig,
    OrderSyncConfig,
    Store,
    StoreStats,
)
from shipcrowd_woo.domain.webhook_health import UNHEALTHY, WebhookHealth, WebhookState

STORES = table_of(StoreRow)
SYNCABLE = select(STORES).where(STORES.c.is_active.is_(True), STORES.c.is_paused.is_(False))


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
        row = one_row(
            self._session,
            select(STORES).where(STORES.c.id == store_id, STORES.c.company_id == company_id),
        )
        if row is None:
            raise StoreNotFound(store_id)
        return _store_from(row)

    def find_by_url(self, company_id: CompanyId, url: str) -> Store | None:
        """The company's store at this URL, active or not."""
        row = one_row(
            self._session,
            select(STORES).where(STORES.c.company_id == company_id, STORES.c.url == url),
        )
        return None if row is None else _store_from(row)

    def list(self, company_id: CompanyId, page: PageRequest) -> Page[Store]:
        """The company's stores, newest first."""
        query = select(STORES).where(STORES.c.company_id == company_id)
        return page_with_total(
            self._session,
            query,
            (
                STORES.c.installed_at.desc(),
                STORES.c.id,
            ),
            page,
            _store_from,
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
