"""The version rule proves newer snapshots: a fetched snapshot records a moment after which it
was the store's current one, and orders that nothing proved wait to be confirmed from the
store.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as orders:
        orders.add_column(sa.Column("current_from", UtcDateTime(), nullable=True))
    op.create_table(
        "order_confirmations",
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("noted_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_order_confirmations_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "store_id", "source", "source_id", name=op.f("pk_order_confirmations")
        ),
    )
    op.create_index("ix_order_confirmations_noted", "order_confirmations", ["noted_at"])


def downgrade() -> None:
    op.drop_index("ix_order_confirmations_noted", table_name="order_confirmations")
    op.drop_table("order_confirmations")
    with op.batch_alter_table("orders") as orders:
        orders.drop_column("current_from")
