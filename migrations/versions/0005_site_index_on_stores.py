"""Where each store serves its REST API, and the namespaces its index listed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.add_column(
            sa.Column("rest_style", sa.String(16), nullable=False, server_default="wp-json")
        )
        stores.add_column(
            sa.Column("namespaces", sa.String(4000), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.drop_column("namespaces")
        stores.drop_column("rest_style")
