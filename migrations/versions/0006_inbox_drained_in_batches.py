"""The inbox is drained in batches: deliveries carry a lease instead of a job each.

A worker claims a batch of received deliveries by setting `leased_until`; a worker that dies
holding them leaves them to the next after the lease. The per-delivery jobs of earlier
versions are only bookkeeping (the inbox holds the deliveries), so they are removed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as deliveries:
        deliveries.add_column(sa.Column("leased_until", sa.DateTime(timezone=True)))
    op.execute("DELETE FROM jobs WHERE kind = 'process_delivery'")


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as deliveries:
        deliveries.drop_column("leased_until")
