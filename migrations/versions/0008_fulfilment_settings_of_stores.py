"""What sending a fulfilment to a store does besides the tracking: complete the order once
every line shipped, and tell the customer. Both on, as for every store connected before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        for name in ("fulfilment_complete_on_ship", "fulfilment_notify_customer"):
            stores.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true())
            )


def downgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.drop_column("fulfilment_notify_customer")
        stores.drop_column("fulfilment_complete_on_ship")
