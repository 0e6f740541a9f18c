"""Warehouses (issue 32, multi-location): stock per (company, warehouse, SKU), the warehouses
a store draws from, and the warehouse a fulfilment shipped from. Stock recorded before is
the default warehouse's.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("warehouse_items", recreate="always") as batch:
        batch.add_column(
            sa.Column("warehouse", sa.String(length=64), nullable=False, server_default="default")
        )
        batch.drop_constraint("pk_warehouse_items", type_="primary")
        batch.create_primary_key("pk_warehouse_items", ["company_id", "warehouse", "sku"])
    with op.batch_alter_table("stores") as batch:
        batch.add_column(
            sa.Column(
                "inventory_warehouses", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True
            )
        )
    with op.batch_alter_table("fulfilments") as batch:
        batch.add_column(
            sa.Column("warehouse", sa.String(length=64), nullable=False, server_default="default")
        )


def downgrade() -> None:
    with op.batch_alter_table("fulfilments") as batch:
        batch.drop_column("warehouse")
    with op.batch_alter_table("stores") as batch:
        batch.drop_column("inventory_warehouses")
    with op.batch_alter_table("warehouse_items", recreate="always") as batch:
        batch.drop_constraint("pk_warehouse_items", type_="primary")
        batch.create_primary_key("pk_warehouse_items", ["company_id", "sku"])
        batch.drop_column("warehouse")
