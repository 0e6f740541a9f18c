"""Create every table: stores, webhooks, orders and lines, product mappings, sync logs, inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 16:55:32.944389
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shipcrowd_woo.adapters.sqlalchemy.types import Money, UtcDateTime

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stores",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("consumer_key_key_id", sa.String(length=64), nullable=False),
        sa.Column("consumer_key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("consumer_secret_key_id", sa.String(length=64), nullable=False),
        sa.Column("consumer_secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("wp_version", sa.String(length=32), nullable=False),
        sa.Column("wc_version", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("currency_decimals", sa.SmallInteger(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("installed_at", UtcDateTime(), nullable=False),
        sa.Column("uninstalled_at", UtcDateTime(), nullable=True),
        sa.Column("order_sync_enabled", sa.Boolean(), nullable=False),
        sa.Column("order_auto_sync", sa.Boolean(), nullable=False),
        sa.Column("order_sync_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("order_sync_overlap_seconds", sa.Integer(), nullable=False),
        sa.Column("inventory_sync_enabled", sa.Boolean(), nullable=False),
        sa.Column("inventory_auto_sync", sa.Boolean(), nullable=False),
        sa.Column("webhooks_enabled", sa.Boolean(), nullable=False),
        sa.Column("orders_synced", sa.BigInteger(), nullable=False),
        sa.Column("products_mapped", sa.Integer(), nullable=False),
        sa.Column("inventory_syncs", sa.Integer(), nullable=False),
        sa.Column("last_order_sync_at", UtcDateTime(), nullable=True),
        sa.Column("last_inventory_sync_at", UtcDateTime(), nullable=True),
        sa.Column("order_cursor", UtcDateTime(), nullable=True),
        sa.Column("last_delivery_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint("company_id", "url", name=op.f("uq_stores_company_id_url")),
    )
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.create_index("ix_stores_active_paused", ["is_active", "is_paused"], unique=False)
        batch_op.create_index(batch_op.f("ix_stores_company_id"), ["company_id"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("external_order_number", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("woo_status", sa.String(), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("decimals", sa.SmallInteger(), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("customer", JSON, nullable=False),
        sa.Column("shipping_address", JSON, nullable=False),
        sa.Column("billing_address", JSON, nullable=False),
        sa.Column("billing_email", sa.String(), nullable=False),
        sa.Column("shipping_lines", JSON, nullable=False),
        sa.Column("fees", JSON, nullable=False),
        sa.Column("coupons", JSON, nullable=False),
        sa.Column("subtotal", Money(), nullable=False),
        sa.Column("discount", Money(), nullable=False),
        sa.Column("discount_tax", Money(), nullable=False),
        sa.Column("shipping", Money(), nullable=False),
        sa.Column("shipping_tax", Money(), nullable=False),
        sa.Column("fees_total", Money(), nullable=False),
        sa.Column("cart_tax", Money(), nullable=False),
        sa.Column("tax", Money(), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.Column("refunded", Money(), nullable=False),
        sa.Column("payment_method", sa.String(), nullable=False),
        sa.Column("payment_method_title", sa.String(), nullable=False),
        sa.Column("payment_category", sa.String(length=32), nullable=False),
        sa.Column("payment_status", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.String(), nullable=False),
        sa.Column("customer_note", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("modified_at", UtcDateTime(), nullable=False),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_orders_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint(
            "company_id",
            "store_id",
            "source",
            "source_id",
            name=op.f("uq_orders_company_id_store_id_source_source_id"),
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_company_status", ["company_id", "status"], unique=False)
        batch_op.create_index("ix_orders_store_modified", ["store_id", "modified_at"], unique=False)

    op.create_table(
        "product_mappings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("woo_product_id", sa.BigInteger(), nullable=False),
        sa.Column("woo_variation_id", sa.BigInteger(), nullable=False),
        sa.Column("woo_sku", sa.String(), nullable=False),
        sa.Column("woo_title", sa.String(), nullable=False),
        sa.Column("shipcrowd_sku", sa.String(length=255), nullable=False),
        sa.Column("shipcrowd_product_name", sa.String(), nullable=False),
        sa.Column("mapping_type", sa.String(length=16), nullable=False),
        sa.Column("sync_inventory", sa.Boolean(), nullable=False),
        sa.Column("sync_price", sa.Boolean(), nullable=False),
        sa.Column("sync_on_fulfillment", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("sync_errors", sa.Integer(), nullable=False),
        sa.Column("last_sync_error", sa.Text(), nullable=True),
        sa.Column("last_sync_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_product_mappings_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_mappings")),
        sa.UniqueConstraint(
            "company_id",
            "store_id",
            "woo_product_id",
            "woo_variation_id",
            name=op.f("uq_product_mappings_company_id_store_id_woo_product_id_woo_variation_id"),
        ),
    )
    with op.batch_alter_table("product_mappings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_mappings_company_store_sku",
            ["company_id", "store_id", "shipcrowd_sku"],
            unique=False,
        )
        batch_op.create_index(
            "ix_product_mappings_store_active_inventory",
            ["store_id", "is_active", "sync_inventory"],
            unique=False,
        )

    op.create_table(
        "sync_logs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("sync_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("synced", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("errors_dropped", sa.Integer(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_sync_logs_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_logs")),
    )
    with op.batch_alter_table("sync_logs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_logs_started", ["started_at"], unique=False)
        batch_op.create_index("ix_sync_logs_status_type", ["status", "sync_type"], unique=False)
        batch_op.create_index(
            "ix_sync_logs_store_type_started", ["store_id", "sync_type", "started_at"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("woo_webhook_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_webhook_deliveries_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "store_id",
            "topic",
            "body_sha256",
            name=op.f("uq_webhook_deliveries_store_id_topic_body_sha256"),
        ),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_deliveries_state_received", ["state", "received_at"], unique=False
        )

    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("woo_webhook_id", sa.BigInteger(), nullable=True),
        sa.Column("delivery_url", sa.String(length=2048), nullable=False),
        sa.Column("secret_key_id", sa.String(length=64), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_delivery_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_webhooks_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint(
            "store_id", "woo_webhook_id", name=op.f("uq_webhooks_store_id_woo_webhook_id")
        ),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhooks_store_id"), ["store_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("order_id", AUTO_ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("woo_line_id", sa.BigInteger(), nullable=True),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("variation_id", sa.BigInteger(), nullable=True),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", Money(), nullable=False),
        sa.Column("subtotal", Money(), nullable=False),
        sa.Column("subtotal_tax", Money(), nullable=False),
        sa.Column("total", Money(), nullable=False),
        sa.Column("total_tax", Money(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "position", name=op.f("uq_order_lines_order_id_position")),
    )


def downgrade() -> None:
    op.drop_table("order_lines")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhooks_store_id"))

    op.drop_table("webhooks")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_state_received")

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("sync_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_logs_store_type_started")
        batch_op.drop_index("ix_sync_logs_status_type")
        batch_op.drop_index("ix_sync_logs_started")

    op.drop_table("sync_logs")
    with op.batch_alter_table("product_mappings", schema=None) as batch_op:
        batch_op.drop_index("ix_product_mappings_store_active_inventory")
        batch_op.drop_index("ix_product_mappings_company_store_sku")

    op.drop_table("product_mappings")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_store_modified")
        batch_op.drop_index("ix_orders_company_status")

    op.drop_table("orders")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stores_company_id"))
        batch_op.drop_index("ix_stores_active_paused")

    op.drop_table("stores")
