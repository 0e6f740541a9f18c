"""Stores in SQL: the store row flattens its settings, statistics and webhook health."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, or_, select, update

from shipcrowd_woo.adapters.sqlalchemy.rows import (
    Nested,
    RowShape,
    Stored,
    sealed,
    stock_limits_kept,
)
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    Owned,
    OwnedRepository,
    one_row,
    page_with_total,
    replace_row,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import StoreRow, table_of
from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime
from shipcrowd_woo.converters.shipcrowd import from_json_data, to_json_data
from shipcrowd_woo.domain.errors import StoreNotFound
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.shipping import ShippingRules
from shipcrowd_woo.domain.store import (
    FulfilmentConfig,
    InventorySyncConfig,
    OrderSyncConfig,
    Store,
    StoreStats,
)
from shipcrowd_woo.domain.webhook_health import UNHEALTHY, WebhookHealth, WebhookState

STORES = table_of(StoreRow)
_SHIPPING = Stored(
    to_json_data,
    lambda data: ShippingRules() if data is None else from_json_data(data, ShippingRules),
    "shipping_rules",
)
SYNCABLE = select(STORES).where(STORES.c.is_active.is_(True), STORES.c.is_paused.is_(False))


def _column(name: str) -> Stored:
    return Stored(column=name)


def _seconds(name: str) -> Stored:
    return Stored(lambda span: int(span.total_seconds()), lambda s: timedelta(seconds=s), name)


HEALTH = RowShape(
    WebhookHealth,
    {
        "state": Stored(lambda state: state.value, WebhookState, "webhook_state"),
        "since": _column("webhook_state_since"),
        "checked_at": _column("webhooks_checked_at"),
        "repaired_at": _column("webhooks_repaired_at"),
        "trouble_at": _column("webhook_trouble_at"),
        "trouble": _column("webhook_trouble"),
    },
)
# The store row flattens its settings, statistics, sealed credentials and webhook health;
# the columns of the first ones are named after their group.
STORE = RowShape(
    Store,
    {
        "consumer_key": sealed("consumer_key"),
        "consumer_secret": sealed("consumer_secret"),
        "order_sync": Nested(
            RowShape(
                OrderSyncConfig,
                {
                    "enabled": _column("order_sync_enabled"),
                    "auto_sync": _column("order_auto_sync"),
                    "interval": _seconds("order_sync_interval_seconds"),
                    "overlap": _seconds("order_sync_overlap_seconds"),
                },
            )
        ),
        "inventory_sync": Nested(
            RowShape(
                InventorySyncConfig,
                {
                    "enabled": _column("inventory_sync_enabled"),
                    "auto_sync": _column("inventory_auto_sync"),
                    "limits": stock_limits_kept("inventory"),
                    "warehouses": Stored(
                        lambda names: None if names is None else sorted(names),
                        lambda names: None if names is None else frozenset(names),
                        "inventory_warehouses",
                    ),
                },
            )
        ),
        "fulfilment": Nested(
            RowShape(
                FulfilmentConfig,
                {
                    "complete_on_ship": _column("fulfilment_complete_on_ship"),
                    "notify_customer": _column("fulfilment_notify_customer"),
                },
            )
        ),
        "stats": Nested(RowShape(StoreStats)),
        "shipping": _SHIPPING,
        "webhook_health": Nested(HEALTH),
        "namespaces": Stored(
            lambda names: " ".join(names)[:4000], lambda text: tuple(text.split())
        ),
    },
)
_CHECK_COLUMNS = (
    "webhook_state",
    "webhook_state_since",
    "webhooks_checked_at",
    "webhooks_repaired_at",
)


def _health_values(health: WebhookHealth) -> dict[str, Any]:
    """What a webhook check writes (evidence of trouble is written by others)."""
    values = HEALTH.values(health)
    return {column: values[column] for column in _CHECK_COLUMNS}


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


class SqlAlchemyStoreRepository(OwnedRepository[Store]):
    """Stores in SQL; a company's second store at one URL is AlreadyExists."""

    OWNED = Owned(
        STORES,
        STORE,
        StoreNotFound,
        lambda store: f"the company already has a store at {store.url}",
    )

    def shipping_rules(self, company_id: CompanyId, store_id: StoreId) -> ShippingRules:
        """The one column, not the whole store: read by each page an import writes, where
        building the store was a seventh of what the feed cost it (bench/feed_bench.py)."""
        found = self._session.execute(
            select(STORES.c.shipping_rules).where(
                STORES.c.id == store_id, STORES.c.company_id == company_id
            )
        ).first()
        if found is None:
            raise StoreNotFound(store_id)
        return _SHIPPING.from_row(found[0])  # type: ignore[no-any-return]

    def find_by_url(self, company_id: CompanyId, url: str) -> Store | None:
        """The company's store at this URL, active or not."""
        row = one_row(
            self._session,
            select(STORES).where(STORES.c.company_id == company_id, STORES.c.url == url),
        )
        return None if row is None else STORE.build(row)

    def list(self, company_id: CompanyId, page: PageRequest) -> Page[Store]:
        """The company's stores, newest first."""
        query = select(STORES).where(STORES.c.company_id == company_id)
        return page_with_total(
            self._session, query, page, STORE.build, STORES.c.installed_at.desc(), STORES.c.id
        )

    def syncable(self) -> Sequence[Store]:
        """Every active, unpaused store."""
        rows = self._session.execute(SYNCABLE.order_by(STORES.c.id)).mappings()
        return [STORE.build(row) for row in rows]

    def syncable_of(self, company_id: CompanyId) -> Sequence[Store]:
        """The company's active, unpaused stores."""
        rows = self._session.execute(
            SYNCABLE.where(STORES.c.company_id == company_id).order_by(STORES.c.id)
        ).mappings()
        return [STORE.build(row) for row in rows]

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
        values = {k: v for k, v in STORE.values(store).items() if k not in _WRITTEN_ATOMICALLY}
        replace_row(self._session, STORES, values)

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
        return [STORE.build(row) for row in rows]
