"""Orders waiting to be confirmed from their store, in SQL: one row per order."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, select

from shipcrowd_woo.adapters.sqlalchemy.rows import Nested, RowShape
from shipcrowd_woo.adapters.sqlalchemy.statements import OnSession, upsert_into
from shipcrowd_woo.adapters.sqlalchemy.stores import STORES
from shipcrowd_woo.adapters.sqlalchemy.tables import ConfirmationRow, table_of
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.versions import Confirmation

CONFIRMATIONS = table_of(ConfirmationRow)
CONFIRMATION = RowShape(Confirmation, {"key": Nested(RowShape(OrderKey))})


def _key_filter(key: OrderKey) -> ColumnElement[bool]:
    return and_(
        CONFIRMATIONS.c.store_id == key.store_id,
        CONFIRMATIONS.c.source == key.source,
        CONFIRMATIONS.c.source_id == key.source_id,
    )


class SqlAlchemyConfirmationRepository(OnSession):
    """Waiting confirmations in SQL."""

    def note(self, confirmations: Sequence[Confirmation]) -> None:
        """Insert, or move a waiting order's `noted_at` on (never back)."""
        if not confirmations:
            return
        # In key order: two writers noting the same orders lock their rows in one order.
        ordered = sorted(confirmations, key=lambda c: (c.key.store_id, c.key.source_id))
        rows = [CONFIRMATION.values(confirmation) for confirmation in ordered]
        statement = upsert_into(self._session, CONFIRMATIONS)
        statement = statement.on_conflict_do_update(
            index_elements=["store_id", "source", "source_id"],
            set_={"noted_at": statement.excluded.noted_at},
            where=CONFIRMATIONS.c.noted_at < statement.excluded.noted_at,
        )
        self._session.execute(statement, rows)

    def due(self, store_id: StoreId, noted_before: datetime, limit: int) -> Sequence[Confirmation]:
        """The store's confirmations noted before `noted_before`, oldest first."""
        rows = self._session.execute(
            select(CONFIRMATIONS)
            .where(CONFIRMATIONS.c.store_id == store_id, CONFIRMATIONS.c.noted_at < noted_before)
            .order_by(CONFIRMATIONS.c.noted_at, CONFIRMATIONS.c.source_id)
            .limit(limit)
        ).mappings()
        return [CONFIRMATION.build(row) for row in rows]

    def settle(self, key: OrderKey, current_from: datetime) -> bool:
        """Delete the order's confirmation unless it was noted after `current_from`."""
        gone = self._session.execute(
            delete(CONFIRMATIONS)
            .where(_key_filter(key), CONFIRMATIONS.c.noted_at <= current_from)
            .returning(CONFIRMATIONS.c.source_id)
        )
        return gone.first() is not None

    def waiting(self, noted_before: datetime, limit: int) -> Sequence[tuple[CompanyId, StoreId]]:
        """Active, unpaused stores with a confirmation noted before `noted_before`."""
        rows = self._session.execute(
            select(CONFIRMATIONS.c.company_id, CONFIRMATIONS.c.store_id)
            .join(STORES, STORES.c.id == CONFIRMATIONS.c.store_id)
            .where(
                CONFIRMATIONS.c.noted_at < noted_before,
                STORES.c.is_active.is_(True),
                STORES.c.is_paused.is_(False),
            )
            .group_by(CONFIRMATIONS.c.company_id, CONFIRMATIONS.c.store_id)
            .order_by(func.min(CONFIRMATIONS.c.noted_at))
            .limit(limit)
        )
        return [(CompanyId(company), StoreId(store)) for company, store in rows]
