"""Stock changes waiting for their push, in SQL: one row per (store, SKU), the newest change's
token in it."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    MAX_IDS_PER_QUERY,
    OnSession,
    chunks,
    upsert_rows,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import StockChangeRow, table_of
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.inventory import StockChange

STOCK_CHANGES = table_of(StockChangeRow)
# Each removed change binds three parameters.
PAIRS_PER_QUERY = MAX_IDS_PER_QUERY // 3


STOCK_CHANGE = RowShape(StockChange)


class SqlAlchemyStockChangeRepository(OnSession):
    """Waiting stock changes in SQL; remembers the stores it noted changes for until the
    unit of work takes them (to schedule their pushes once committed)."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._noted: dict[CompanyId, set[StoreId]] = {}

    def note(self, changes: Sequence[StockChange]) -> None:
        """Insert, or give a waiting (store, SKU) the newer token and time."""
        for change in changes:
            self._noted.setdefault(change.company_id, set()).add(change.store_id)
        rows = [STOCK_CHANGE.values(change) for change in changes]
        upsert_rows(
            self._session, STOCK_CHANGES, rows, ("store_id", "sku"), ("token", "changed_at")
        )

    def take_noted(self) -> dict[CompanyId, set[StoreId]]:
        """The stores noted since the last take, by company; forgotten here."""
        noted, self._noted = self._noted, {}
        return noted

    def for_store(self, store_id: StoreId, limit: int) -> Sequence[StockChange]:
        """The store's waiting changes, oldest first."""
        rows = self._session.execute(
            select(STOCK_CHANGES)
            .where(STOCK_CHANGES.c.store_id == store_id)
            .order_by(STOCK_CHANGES.c.changed_at, STOCK_CHANGES.c.sku)
            .limit(limit)
        ).mappings()
        return [STOCK_CHANGE.build(row) for row in rows]

    def remove(self, taken: Sequence[StockChange]) -> int:
        """Delete the taken changes whose token is still theirs."""
        removed = 0
        for chunk in chunks(taken, PAIRS_PER_QUERY):
            gone = self._session.execute(
                delete(STOCK_CHANGES)
                .where(
                    or_(
                        *(
                            and_(
                                STOCK_CHANGES.c.store_id == change.store_id,
                                STOCK_CHANGES.c.sku == change.sku,
                                STOCK_CHANGES.c.token == change.token,
                            )
                            for change in chunk
                        )
                    )
                )
                .returning(STOCK_CHANGES.c.sku)
            )
            removed += len(gone.all())
        return removed

    def waiting_since(self, changed_before: datetime, limit: int) -> Sequence[StockChange]:
        """The oldest waiting change of each store waiting since before `changed_before`."""
        oldest = (
            select(STOCK_CHANGES.c.store_id, func.min(STOCK_CHANGES.c.changed_at).label("at"))
            .group_by(STOCK_CHANGES.c.store_id)
            .having(func.min(STOCK_CHANGES.c.changed_at) < changed_before)
            .limit(limit)
            .subquery()
        )
        rows = self._session.execute(
            select(STOCK_CHANGES)
            .join(
                oldest,
                and_(
                    STOCK_CHANGES.c.store_id == oldest.c.store_id,
                    STOCK_CHANGES.c.changed_at == oldest.c.at,
                ),
            )
            .order_by(STOCK_CHANGES.c.changed_at)
        ).mappings()
        first: dict[StoreId, StockChange] = {}
        for row in rows:
            first.setdefault(StoreId(row["store_id"]), STOCK_CHANGE.build(row))
        return list(first.values())
