"""The order feed: events appended in the transaction of each change, numbered per company in
commit order, each order's last published state, and the stores' shipping rules.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.add_column(
            sa.Column("shipping_rules", sa.JSON().with_variant(JSONB(), "postgresql"))
        )
    op.create_table(
        "feed_heads",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("purged_through", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_feed_heads")),
    )
    op.create_table(
        "order_events",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("changes", sa.String(length=400), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "seq", name=op.f("pk_order_events")),
    )
    op.create_table(
        "order_feed_states",
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("facets", sa.Text(), nullable=False),
        sa.Column("shippable", sa.String(length=16), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_order_feed_states_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "store_id", "source", "source_id", name=op.f("pk_order_feed_states")
        ),
    )
    op.create_index(
        "ix_order_feed_states_company_changed",
        "order_feed_states",
        ["company_id", "changed_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_order_feed_states_company_changed", table_name="order_feed_states")
    op.drop_table("order_feed_states")
    op.drop_table("order_events")
    op.drop_table("feed_heads")
    with op.batch_alter_table("stores") as stores:
        stores.drop_column("shipping_rules")
