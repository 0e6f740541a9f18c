"""Fulfilments in SQL; the rows are declared once from the class (rows.py), the lines kept as a
JSON document."""

from collections.abc import Collection, Sequence

from sqlalchemy import select

from shipcrowd_woo.adapters.sqlalchemy.rows import DOCUMENT, RowShape
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    Owned,
    OwnedRepository,
    chunks,
    of_store,
    one_row,
    replace_row,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import FulfilmentRow, table_of
from shipcrowd_woo.domain.errors import FulfilmentNotFound
from shipcrowd_woo.domain.fulfilment import Fulfilment
from shipcrowd_woo.domain.ids import CompanyId, StoreId

FULFILMENTS = table_of(FulfilmentRow)


FULFILMENT_ROWS = RowShape(
    Fulfilment,
    {"lines": DOCUMENT},
)


class SqlAlchemyFulfilmentRepository(OwnedRepository[Fulfilment]):
    """Fulfilments in SQL; a second one with an order's key is AlreadyExists."""

    OWNED = Owned(
        FULFILMENTS,
        FULFILMENT_ROWS,
        FulfilmentNotFound,
        lambda fulfilment: f"order {fulfilment.order_id} already has this fulfilment",
    )

    def find_by_key(
        self, company_id: CompanyId, store_id: StoreId, order_id: int, key: str
    ) -> Fulfilment | None:
        """The order's fulfilment with this key."""
        query = select(FULFILMENTS).where(
            of_store(FULFILMENTS, company_id, store_id, order_id=order_id, key=key)
        )
        row = one_row(self._session, query)
        return None if row is None else FULFILMENT_ROWS.build(row)

    def for_order(
        self, company_id: CompanyId, store_id: StoreId, order_id: int
    ) -> Sequence[Fulfilment]:
        """The order's fulfilments, oldest first."""
        rows = self._session.execute(
            select(FULFILMENTS)
            .where(of_store(FULFILMENTS, company_id, store_id, order_id=order_id))
            .order_by(FULFILMENTS.c.created_at, FULFILMENTS.c.id)
        ).mappings()
        return [FULFILMENT_ROWS.build(row) for row in rows]

    def for_orders(
        self, company_id: CompanyId, store_id: StoreId, order_ids: Collection[int]
    ) -> Sequence[Fulfilment]:
        """The fulfilments of those orders of the store, oldest first."""
        found = []
        for chunk in chunks(sorted(order_ids)):
            rows = self._session.execute(
                select(FULFILMENTS)
                .where(
                    of_store(FULFILMENTS, company_id, store_id),
                    FULFILMENTS.c.order_id.in_(chunk),
                )
                .order_by(FULFILMENTS.c.created_at, FULFILMENTS.c.id)
            ).mappings()
            found += [FULFILMENT_ROWS.build(row) for row in rows]
        return found

    def update(self, fulfilment: Fulfilment) -> None:
        """Save every field of the fulfilment."""
        replace_row(self._session, FULFILMENTS, FULFILMENT_ROWS.values(fulfilment))
