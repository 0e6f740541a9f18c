"""Webhooks we registered, in SQL, with their sealed secrets."""

from collections.abc import Sequence

from sqlalchemy import delete, select

from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape, sealed
from shipcrowd_woo.adapters.sqlalchemy.statements import OnSession, replace_row
from shipcrowd_woo.adapters.sqlalchemy.tables import WebhookRow, table_of
from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.store import Webhook

WEBHOOKS = table_of(WebhookRow)


WEBHOOK = RowShape(Webhook, {"secret": sealed("secret")})
webhook_from_row = WEBHOOK.build


class SqlAlchemyWebhookRepository(OnSession):
    """Webhooks in SQL."""

    def add(self, webhook: Webhook) -> None:
        """Insert a webhook."""
        self._session.execute(WEBHOOKS.insert().values(WEBHOOK.values(webhook)))

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
        replace_row(self._session, WEBHOOKS, WEBHOOK.values(webhook))

    def remove(self, webhook_id: str) -> None:
        """Forget a webhook."""
        self._session.execute(delete(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id))
