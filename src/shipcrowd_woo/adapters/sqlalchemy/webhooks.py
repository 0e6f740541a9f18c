"""Webhooks we registered, in SQL, with their sealed secrets."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    RowMapping,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session

from shipcrowd_woo.adapters.sqlalchemy.tables import (
    WebhookRow,
    table_of,
)
from shipcrowd_woo.domain.ids import (
    StoreId,
)
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.store import (
    Webhook,
)
from shipcrowd_woo.domain.webhooks import Topic

WEBHOOKS = table_of(WebhookRow)


def _webhook_values(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "store_id": webhook.store_id,
        "topic": webhook.topic.value,
        "woo_webhook_id": webhook.woo_webhook_id,
        "delivery_url": webhook.delivery_url,
        "secret_key_id": webhook.secret.key_id,
        "secret_sealed": webhook.secret.ciphertext,
        "is_active": webhook.is_active,
        "created_at": webhook.created_at,
        "last_delivery_at": webhook.last_delivery_at,
    }


def webhook_from_row(row: RowMapping) -> Webhook:
    return Webhook(
        id=row["id"],
        store_id=StoreId(row["store_id"]),
        topic=Topic(row["topic"]),
        delivery_url=row["delivery_url"],
        secret=EncryptedSecret(row["secret_key_id"], row["secret_sealed"]),
        created_at=row["created_at"],
        woo_webhook_id=row["woo_webhook_id"],
        is_active=row["is_active"],
        last_delivery_at=row["last_delivery_at"],
    )


class SqlAlchemyWebhookRepository:
    """Webhooks in SQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, webhook: Webhook) -> None:
        """Insert a webhook."""
        self._session.execute(WEBHOOKS.insert().values(_webhook_values(webhook)))

    def for_store(self, store_id: StoreId) -> Sequence[Webhook]:
        """A store's webhooks, by topic."""
        rows = self._session.execute(
            select(WEBHOOKS)
            .where(WEBHOOKS.c.store_id == store_id)
            .order_by(WEBHOOKS.c.topic, WEBHOOKS.c.id)
        ).mappings()
        return [webhook_from_row(row) for row in rows]

    def update(self, webhook: Webhook) -> None:
        """Save a changed webhook."""
        self._session.execute(
            update(WEBHOOKS).where(WEBHOOKS.c.id == webhook.id).values(_webhook_values(webhook))
        )

    def remove(self, webhook_id: str) -> None:
        """Forget a webhook."""
        self._session.execute(delete(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id))
