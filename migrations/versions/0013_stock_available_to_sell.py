"""Available to sell (issue 32): each store's and each mapping's buffer, floor and maximum,
the figures of a mapping's last push, and an index to find the open orders of a company.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIMITS = {
    "stores": ("inventory_buffer", "inventory_floor", "inventory_maximum"),
    "product_mappings": ("stock_buffer", "stock_floor", "stock_maximum"),
}


def upgrade() -> None:
    for table, (buffer, floor, maximum) in _LIMITS.items():
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(buffer, sa.String(length=16), nullable=True))
            batch.add_column(sa.Column(floor, sa.Integer(), nullable=True))
            batch.add_column(sa.Column(maximum, sa.Integer(), nullable=True))
    with op.batch_alter_table("product_mappings") as batch:
        batch.add_column(
            sa.Column("last_push", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True)
        )
    op.create_index(
        "ix_order_feed_states_company_shippable",
        "order_feed_states",
        ["company_id", "shippable"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_order_feed_states_company_shippable", table_name="order_feed_states")
    with op.batch_alter_table("product_mappings") as batch:
        batch.drop_column("last_push")
    for table, columns in _LIMITS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
