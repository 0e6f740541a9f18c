"""Two-way stock (issue 32, the seed's Week 8 #1): each mapping's direction, the warehouse's
stock to the store (every mapping so far), the store's own count to the warehouse, or off.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product_mappings") as batch:
        batch.add_column(
            sa.Column(
                "direction",
                sa.String(length=24),
                nullable=False,
                server_default="warehouse_to_store",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("product_mappings") as batch:
        batch.drop_column("direction")
