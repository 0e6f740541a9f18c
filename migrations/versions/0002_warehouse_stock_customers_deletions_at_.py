"""Warehouse stock, customer snapshots, deletions at the store, pushed stock quantities.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:31:15.718505
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouse_items",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "sku", name=op.f("pk_warehouse_items")),
    )
    op.create_table(
        "customers",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("woo_customer_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("first_name", sa.String(), nullable=False),
        sa.Column("last_name", sa.String(), nullable=False),
        sa.Column("modified_at", UtcDateTime(), nullable=True),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_customers_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "company_id", "store_id", "woo_customer_id", name=op.f("pk_customers")
        ),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at_store", UtcDateTime(), nullable=True))

    with op.batch_alter_table("product_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_pushed_quantity", sa.Integer(), nullable=True))

    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("catalogue_items", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("company_id", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_column("company_id")

    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("catalogue_items")

    with op.batch_alter_table("product_mappings", schema=None) as batch_op:
        batch_op.drop_column("last_pushed_quantity")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("deleted_at_store")

    op.drop_table("customers")
    op.drop_table("warehouse_items")
