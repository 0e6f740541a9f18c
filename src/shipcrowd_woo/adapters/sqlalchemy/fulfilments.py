"""Fulfilments in SQL; the rows are declared once from the class (rows.py), the lines kept as a
JSON document."""

from collections.abc import Sequence

from sqlalchemy import select, update

from shipcrowd_woo.adapters.sqlalchemy.rows import DOCUMENT, RowShape
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    OnSession,
    insert_new,
    of_store,
    one_row,
    owned_row,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import FulfilmentRow, table_of
from shipcrowd_woo.domain.errors import FulfilmentNotFound
from shipcrowd_woo.domain.fulfilment import (
    Fulfilment,
    FulfilmentId,
)
from shipcrowd_woo.domain.ids import CompanyId, StoreId

FULFILMENTS = table_of(FulfilmentRow)


FULFILMENT_ROWS = RowShape(
    Fulfilment,
    {"lines": DOCUMENT},
)


class SqlAlchemyFulfilmentRepository(OnSession):
    """Fulfilments in SQL."""

    def add(self, fulfilment: Fulfilment) -> None:
        """Insert, or AlreadyExists when the order has a fulfilment with the same key."""
        insert_new(
            self._session,
            FULFILMENTS,
            FULFILMENT_ROWS.values(fulfilment),
            f"order {fulfilment.order_id} already has this fulfilment",
        )

    def get(self, company_id: CompanyId, fulfilment_id: FulfilmentId) -> Fulfilment:
        """The company's fulfilment, or FulfilmentNotFound."""
        row = owned_row(self._session, FULFILMENTS, company_id, fulfilment_id, FulfilmentNotFound)
        return FULFILMENT_ROWS.build(row)

    def find_by_key(
        self, company_id: CompanyId, store_id: StoreId, order_id: int, key: str
    ) -> Fulfilment | None:
        """The order's fulfilment with this key."""
        row = one_row(
            self._session,
            select(FULFILMENTS).where(
                of_store(FULFILMENTS, company_id, store_id),
                FULFILMENTS.c.order_id == order_id,
                FULFILMENTS.c.key == key,
            ),
        )
        return None if row is None else FULFILMENT_ROWS.build(row)

    def for_order(
        self, company_id: CompanyId, store_id: StoreId, order_id: int
    ) -> Sequence[Fulfilment]:
        """The order's fulfilments, oldest first."""
        rows = self._session.execute(
            select(FULFILMENTS)
            .where(
                of_store(FULFILMENTS, company_id, store_id),
                FULFILMENTS.c.order_id == order_id,
            )
            .order_by(FULFILMENTS.c.created_at, FULFILMENTS.c.id)
        ).mappings()
        return [FULFILMENT_ROWS.build(row) for row in rows]

    def update(self, fulfilment: Fulfilment) -> None:
        """Save every field of the fulfilment."""
        self._session.execute(
            update(FULFILMENTS)
            .where(FULFILMENTS.c.id == fulfilment.id)
            .values(FULFILMENT_ROWS.values(fulfilment))
        )
