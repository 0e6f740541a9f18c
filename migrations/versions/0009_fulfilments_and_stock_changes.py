"""Fulfilments sent to stores, and the stock changes waiting to be pushed by themselves.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fulfilments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("carrier", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column("tracking_url", sa.String(length=2048), nullable=False),
        sa.Column("shipped_at", UtcDateTime(), nullable=False),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("completes_order", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tracking_written", sa.Boolean(), nullable=False),
        sa.Column("note_started", sa.Boolean(), nullable=False),
        sa.Column("note_id", sa.BigInteger(), nullable=True),
        sa.Column("status_completed", sa.Boolean(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_fulfilments_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfilments")),
        sa.UniqueConstraint(
            "company_id",
            "store_id",
            "order_id",
            "key",
            name=op.f("uq_fulfilments_company_id_store_id_order_id_key"),
        ),
    )
    op.create_index("ix_fulfilments_store_order", "fulfilments", ["store_id", "order_id"])
    op.create_table(
        "stock_changes",
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_stock_changes_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", "sku", name=op.f("pk_stock_changes")),
    )
    op.create_index("ix_stock_changes_changed", "stock_changes", ["changed_at"])


def downgrade() -> None:
    op.drop_index("ix_stock_changes_changed", table_name="stock_changes")
    op.drop_table("stock_changes")
    op.drop_index("ix_fulfilments_store_order", table_name="fulfilments")
    op.drop_table("fulfilments")
