"""Webhook health on each store: the last check's finding, repairs, evidence of trouble.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMES = ("webhook_state_since", "webhooks_checked_at", "webhooks_repaired_at", "webhook_trouble_at")


def upgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        stores.add_column(
            sa.Column("webhook_state", sa.String(16), nullable=False, server_default="unchecked")
        )
        for name in TIMES:
            stores.add_column(sa.Column(name, UtcDateTime(), nullable=True))
        stores.add_column(
            sa.Column("webhook_trouble", sa.String(200), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("stores") as stores:
        for name in ("webhook_trouble", *reversed(TIMES), "webhook_state"):
            stores.drop_column(name)
