"""An index for the product mappings of variations, so that finding the mappings a batch of
product deliveries names reads only those (it read every mapping of the store per batch).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_product_mappings_company_store_variation",
        "product_mappings",
        ["company_id", "store_id", "woo_variation_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_product_mappings_company_store_variation", "product_mappings")
