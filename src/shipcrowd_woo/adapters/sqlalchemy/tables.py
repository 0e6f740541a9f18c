"""The schema, as SQLAlchemy 2 declarative tables. alembic (migrations/) owns its evolution.

Rows are never handed to the services: repositories convert them to domain objects.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shipcrowd_woo.adapters.sqlalchemy.types import Document, Money, UtcDateTime

# Named constraints, so migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with the shared metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


metadata = Base.metadata


def table_of(row: type[Base]) -> Table:
    """The Core table behind a declarative row class."""
    table = row.__table__
    assert isinstance(table, Table)
    return table


class StoreRow(Base):
    """A connected store. Credentials are stored sealed, with the id of the sealing key."""

    __tablename__ = "stores"
    __table_args__ = (
        UniqueConstraint("company_id", "url"),
        Index("ix_stores_active_paused", "is_active", "is_paused"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str] = mapped_column(String())
    consumer_key_key_id: Mapped[str] = mapped_column(String(64))
    consumer_key_sealed: Mapped[bytes] = mapped_column(LargeBinary())
    consumer_secret_key_id: Mapped[str] = mapped_column(String(64))
    consumer_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary())
    wp_version: Mapped[str] = mapped_column(String(32))
    wc_version: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(12))
    currency_decimals: Mapped[int] = mapped_column(SmallInteger())
    timezone: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean())
    is_paused: Mapped[bool] = mapped_column(Boolean())
    installed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    uninstalled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    order_sync_enabled: Mapped[bool] = mapped_column(Boolean())
    order_auto_sync: Mapped[bool] = mapped_column(Boolean())
    order_sync_interval_seconds: Mapped[int] = mapped_column(Integer())
    order_sync_overlap_seconds: Mapped[int] = mapped_column(Integer())
    inventory_sync_enabled: Mapped[bool] = mapped_column(Boolean())
    inventory_auto_sync: Mapped[bool] = mapped_column(Boolean())
    fulfilment_complete_on_ship: Mapped[bool] = mapped_column(Boolean(), server_default=true())
    fulfilment_notify_customer: Mapped[bool] = mapped_column(Boolean(), server_default=true())
    webhooks_enabled: Mapped[bool] = mapped_column(Boolean())
    orders_synced: Mapped[int] = mapped_column(BigInteger())
    products_mapped: Mapped[int] = mapped_column(Integer())
    catalogue_items: Mapped[int] = mapped_column(Integer(), server_default="0")
    inventory_syncs: Mapped[int] = mapped_column(Integer())
    last_order_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_inventory_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    order_cursor: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_delivery_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    webhook_state: Mapped[str] = mapped_column(String(16), server_default="unchecked")
    webhook_state_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    webhooks_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    webhooks_repaired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    webhook_trouble_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    webhook_trouble: Mapped[str] = mapped_column(String(200), server_default="")
    rest_style: Mapped[str] = mapped_column(String(16), server_default="wp-json")
    namespaces: Mapped[str] = mapped_column(String(4000), server_default="")
    # The merchant's shipping rules (domain/shipping.py); NULL: the defaults.
    shipping_rules: Mapped[dict[str, Any] | None] = mapped_column(Document)
    # What of each SKU the store is offered (domain/availability.py); NULL: no limit.
    inventory_buffer: Mapped[str | None] = mapped_column(String(16))
    inventory_floor: Mapped[int | None] = mapped_column(Integer())
    inventory_maximum: Mapped[int | None] = mapped_column(Integer())
    # The warehouses it draws from (a JSON list); NULL: all of them.
    inventory_warehouses: Mapped[list[str] | None] = mapped_column(Document)


class WebhookRow(Base):
    """A webhook registered at a store, with its sealed signing secret."""

    __tablename__ = "webhooks"
    __table_args__ = (UniqueConstraint("store_id", "woo_webhook_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(32))
    woo_webhook_id: Mapped[int | None] = mapped_column(BigInteger())
    delivery_url: Mapped[str] = mapped_column(String(2048))
    secret_key_id: Mapped[str] = mapped_column(String(64))
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary())
    is_active: Mapped[bool] = mapped_column(Boolean())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_delivery_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OrderRow(Base):
    """An imported order: one row per (company, store, source, source id), at its newest
    version. `revision` counts the versions stored (1 on creation)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("company_id", "store_id", "source", "source_id"),
        Index("ix_orders_store_modified", "store_id", "modified_at"),
        Index("ix_orders_company_status", "company_id", "status"),
    )

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    company_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(BigInteger())
    external_order_number: Mapped[str] = mapped_column(String())
    status: Mapped[str] = mapped_column(String(32))
    woo_status: Mapped[str] = mapped_column(String())
    currency: Mapped[str] = mapped_column(String(12))
    decimals: Mapped[int] = mapped_column(SmallInteger())
    prices_include_tax: Mapped[bool] = mapped_column(Boolean())
    customer: Mapped[dict[str, Any]] = mapped_column(Document)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(Document)
    billing_address: Mapped[dict[str, Any]] = mapped_column(Document)
    billing_email: Mapped[str] = mapped_column(String())
    shipping_lines: Mapped[list[Any]] = mapped_column(Document)
    fees: Mapped[list[Any]] = mapped_column(Document)
    coupons: Mapped[list[Any]] = mapped_column(Document)
    subtotal: Mapped[Decimal] = mapped_column(Money())
    discount: Mapped[Decimal] = mapped_column(Money())
    discount_tax: Mapped[Decimal] = mapped_column(Money())
    shipping: Mapped[Decimal] = mapped_column(Money())
    shipping_tax: Mapped[Decimal] = mapped_column(Money())
    fees_total: Mapped[Decimal] = mapped_column(Money())
    cart_tax: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    refunded: Mapped[Decimal] = mapped_column(Money())
    payment_method: Mapped[str] = mapped_column(String())
    payment_method_title: Mapped[str] = mapped_column(String())
    payment_category: Mapped[str] = mapped_column(String(32))
    payment_status: Mapped[str] = mapped_column(String(32))
    transaction_id: Mapped[str] = mapped_column(String())
    customer_note: Mapped[str] = mapped_column(Text())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    current_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    fingerprint: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer())
    deleted_at_store: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OrderLineRow(Base):
    """A product line of an order, replaced together with its order's version."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "position"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer())
    woo_line_id: Mapped[int | None] = mapped_column(BigInteger())
    product_id: Mapped[int] = mapped_column(BigInteger())
    variation_id: Mapped[int | None] = mapped_column(BigInteger())
    sku: Mapped[str] = mapped_column(String())
    name: Mapped[str] = mapped_column(String())
    quantity: Mapped[int] = mapped_column(Integer())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    subtotal: Mapped[Decimal] = mapped_column(Money())
    subtotal_tax: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    total_tax: Mapped[Decimal] = mapped_column(Money())


class ProductMappingRow(Base):
    """A product or variation mapped to a Shipcrowd SKU.

    `woo_variation_id` is 0 for simple products rather than NULL: SQL treats NULLs as
    distinct, so a unique constraint over a NULL column would let a simple product be mapped
    twice.
    """

    __tablename__ = "product_mappings"
    __table_args__ = (
        UniqueConstraint("company_id", "store_id", "woo_product_id", "woo_variation_id"),
        Index("ix_product_mappings_company_store_sku", "company_id", "store_id", "shipcrowd_sku"),
        # The mappings a batch of product deliveries names are found by product or by
        # variation id (repositories.py, for_products): without this, every mapping of the
        # store was read for each batch.
        Index(
            "ix_product_mappings_company_store_variation",
            "company_id",
            "store_id",
            "woo_variation_id",
        ),
        Index(
            "ix_product_mappings_store_active_inventory", "store_id", "is_active", "sync_inventory"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    woo_product_id: Mapped[int] = mapped_column(BigInteger())
    woo_variation_id: Mapped[int] = mapped_column(BigInteger())
    woo_sku: Mapped[str] = mapped_column(String())
    woo_title: Mapped[str] = mapped_column(String())
    shipcrowd_sku: Mapped[str] = mapped_column(String(255))
    shipcrowd_product_name: Mapped[str] = mapped_column(String())
    mapping_type: Mapped[str] = mapped_column(String(16))
    sync_inventory: Mapped[bool] = mapped_column(Boolean())
    sync_price: Mapped[bool] = mapped_column(Boolean())
    sync_on_fulfillment: Mapped[bool] = mapped_column(Boolean())
    is_active: Mapped[bool] = mapped_column(Boolean())
    sync_errors: Mapped[int] = mapped_column(Integer())
    last_sync_error: Mapped[str | None] = mapped_column(Text())
    last_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_pushed_quantity: Mapped[int | None] = mapped_column(Integer())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    direction: Mapped[str] = mapped_column(String(24), server_default="warehouse_to_store")
    # Its own limits (domain/availability.py), each NULL when the store's apply.
    stock_buffer: Mapped[str | None] = mapped_column(String(16))
    stock_floor: Mapped[int | None] = mapped_column(Integer())
    stock_maximum: Mapped[int | None] = mapped_column(Integer())
    # What its last push was made of: on hand, reserved, buffer, floor, maximum and level.
    last_push: Mapped[dict[str, Any] | None] = mapped_column(Document)


class SyncLogRow(Base):
    """One run of an import, push or webhook batch (indexes as the seed's)."""

    __tablename__ = "sync_logs"
    __table_args__ = (
        Index("ix_sync_logs_store_type_started", "store_id", "sync_type", "started_at"),
        Index("ix_sync_logs_started", "started_at"),
        Index("ix_sync_logs_status_type", "status", "sync_type"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    sync_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    synced: Mapped[int] = mapped_column(Integer())
    skipped: Mapped[int] = mapped_column(Integer())
    failed: Mapped[int] = mapped_column(Integer())
    errors: Mapped[list[str]] = mapped_column(Document)
    errors_dropped: Mapped[int] = mapped_column(Integer())
    details: Mapped[dict[str, Any]] = mapped_column(Document)


class DeliveryRow(Base):
    """The intake's inbox: verified deliveries, byte for byte.

    A delivery is identified by its store, topic and the SHA-256 of its raw body — never by
    WooCommerce's X-WC-Webhook-Delivery-ID, which repeats within a second.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("store_id", "topic", "body_sha256"),
        Index("ix_webhook_deliveries_state_received", "state", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64), server_default="")
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(32))
    woo_webhook_id: Mapped[int] = mapped_column(BigInteger())
    body: Mapped[bytes] = mapped_column(LargeBinary())
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16))
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    error: Mapped[str | None] = mapped_column(Text())
    # Claimed by a worker draining the inbox until then (see services/inbox.py).
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WarehouseItemRow(Base):
    """A Shipcrowd SKU of a company and its stock on hand in one of its warehouses."""

    __tablename__ = "warehouse_items"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String())
    quantity: Mapped[int] = mapped_column(Integer())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CustomerRow(Base):
    """The latest customer snapshot a store sent."""

    __tablename__ = "customers"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    woo_customer_id: Mapped[int] = mapped_column(BigInteger(), primary_key=True)
    email: Mapped[str] = mapped_column(String())
    first_name: Mapped[str] = mapped_column(String())
    last_name: Mapped[str] = mapped_column(String())
    modified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    document: Mapped[dict[str, Any]] = mapped_column(Document)


class FulfilmentRow(Base):
    """A fulfilment of an order and how far its delivery to the store got. Columns are named
    as the fields of `domain.fulfilment.Fulfilment`, which fulfilments.py relies on."""

    __tablename__ = "fulfilments"
    __table_args__ = (
        UniqueConstraint("company_id", "store_id", "order_id", "key"),
        Index("ix_fulfilments_store_order", "store_id", "order_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(BigInteger())
    key: Mapped[str] = mapped_column(String(255))
    carrier: Mapped[str] = mapped_column(String(100))
    tracking_number: Mapped[str] = mapped_column(String(100))
    tracking_url: Mapped[str] = mapped_column(String(2048))
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lines: Mapped[list[Any]] = mapped_column(Document)
    completes_order: Mapped[bool] = mapped_column(Boolean())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    job_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    warehouse: Mapped[str] = mapped_column(String(64), server_default="default")
    tracking_written: Mapped[bool] = mapped_column(Boolean())
    note_started: Mapped[bool] = mapped_column(Boolean())
    note_id: Mapped[int | None] = mapped_column(BigInteger())
    status_completed: Mapped[bool] = mapped_column(Boolean())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    error: Mapped[str | None] = mapped_column(Text())


class StockChangeRow(Base):
    """A SKU whose warehouse level changed since the store's last push of changes. One row
    per (store, SKU): a newer change replaces the token, so a push removes only the changes
    it read and a change made while it ran stays for the next."""

    __tablename__ = "stock_changes"
    __table_args__ = (Index("ix_stock_changes_changed", "changed_at"),)

    store_id: Mapped[str] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    sku: Mapped[str] = mapped_column(String(255), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(36))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConfirmationRow(Base):
    """An order whose stored version could not be proved the store's newest: it waits to be
    fetched from the store. One row per order; noting it again moves `noted_at` on, so a
    fetch sent before that does not remove it."""

    __tablename__ = "order_confirmations"
    __table_args__ = (Index("ix_order_confirmations_noted", "noted_at"),)

    store_id: Mapped[str] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_id: Mapped[int] = mapped_column(BigInteger(), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    noted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JobRow(Base):
    """A background job and its state, for the job-status endpoint and the re-send sweep."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_touched", "state", "touched_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64), index=True)
    store_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    touched_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    summary: Mapped[dict[str, Any]] = mapped_column(Document)
    error: Mapped[str | None] = mapped_column(Text())


class FeedHeadRow(Base):
    """A company's order feed: the last sequence number given, and the last one purged. The
    row is updated by every transaction that appends, and stays locked until it commits:
    numbers become visible only in the order they were given."""

    __tablename__ = "feed_heads"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger())
    purged_through: Mapped[int] = mapped_column(BigInteger(), server_default="0")


class OrderEventRow(Base):
    """An event of a company's order feed, with the order as the event left it (`data`,
    JSON text exactly as served and signed)."""

    __tablename__ = "order_events"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger(), primary_key=True)
    # Random (128 bits), so unique without an index to keep: every index an append updates
    # is paid for by every imported order (bench/feed_bench.py).
    id: Mapped[str] = mapped_column(String(40))
    store_id: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[int] = mapped_column(BigInteger())
    type: Mapped[str] = mapped_column(String(40))
    changes: Mapped[str] = mapped_column(String(400))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[str] = mapped_column(Text())


class OrderFeedStateRow(Base):
    """What the feed last told of an order: the facets of its last event (domain/feed.py),
    its shipping decision and when it last changed (for listings)."""

    __tablename__ = "order_feed_states"
    __table_args__ = (
        Index("ix_order_feed_states_company_changed", "company_id", "changed_at"),
        # The open orders of a company, whose lines hold stock (OrderRepository.open_lines).
        Index("ix_order_feed_states_company_shippable", "company_id", "shippable"),
    )

    store_id: Mapped[str] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    source_id: Mapped[int] = mapped_column(BigInteger(), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64))
    facets: Mapped[str] = mapped_column(Text())
    shippable: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seq: Mapped[int] = mapped_column(BigInteger())


class SubscriptionRow(Base):
    """A push subscription of a company's feed, its sealed signing secrets, its delivery
    state, and who delivers it until when (`holder`, `held_until`; `taken_at` orders the
    claims, the one taken longest ago first)."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    types: Mapped[str] = mapped_column(String(400))
    store_ids: Mapped[str] = mapped_column(Text())
    secret_key_id: Mapped[str] = mapped_column(String(64))
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary())
    previous_secret_key_id: Mapped[str | None] = mapped_column(String(64))
    previous_secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary())
    previous_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    after: Mapped[int] = mapped_column(BigInteger())
    state: Mapped[str] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(Integer())
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text())
    last_delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    holder: Mapped[str | None] = mapped_column(String(36))
    held_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
