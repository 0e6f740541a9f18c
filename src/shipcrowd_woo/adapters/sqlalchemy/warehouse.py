"""Warehouse SKUs and their stock, in SQL."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import (
    case,
    select,
    update,
)

from shipcrowd_woo.adapters.sqlalchemy.statements import (
    MAX_IDS_PER_QUERY,
    OnSession,
    upsert_into,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import (
    WarehouseItemRow,
    table_of,
)
from shipcrowd_woo.domain.ids import (
    CompanyId,
)
from shipcrowd_woo.domain.inventory import WarehouseItem

WAREHOUSE = table_of(WarehouseItemRow)


class SqlAlchemyWarehouseRepository(OnSession):
    """Warehouse SKUs in SQL."""

    def upsert(self, items: Sequence[WarehouseItem]) -> None:
        """Insert or replace items by (company, SKU)."""
        if not items:
            return
        statement = upsert_into(self._session, WAREHOUSE)
        statement = statement.on_conflict_do_update(
            index_elements=["company_id", "sku"],
            set_={name: statement.excluded[name] for name in ("name", "quantity", "updated_at")},
        )
        self._session.execute(
            statement,
            [
                {
                    "company_id": i.company_id,
                    "sku": i.sku,
                    "name": i.name,
                    "quantity": i.quantity,
                    "updated_at": i.updated_at,
                }
                for i in items
            ],
        )

    def items(self, company_id: CompanyId) -> Sequence[WarehouseItem]:
        """Every SKU of the company, by SKU."""
        rows = self._session.execute(
            select(WAREHOUSE).where(WAREHOUSE.c.company_id == company_id).order_by(WAREHOUSE.c.sku)
        ).mappings()
        return [
            WarehouseItem(
                CompanyId(r["company_id"]), r["sku"], r["name"], r["quantity"], r["updated_at"]
            )
            for r in rows
        ]

    def quantities(self, company_id: CompanyId, skus: Sequence[str]) -> dict[str, int]:
        """Stock on hand of the known SKUs among `skus`."""
        found: dict[str, int] = {}
        unique = sorted(set(skus))
        for start in range(0, len(unique), MAX_IDS_PER_QUERY):
            rows = self._session.execute(
                select(WAREHOUSE.c.sku, WAREHOUSE.c.quantity).where(
                    WAREHOUSE.c.company_id == company_id,
                    WAREHOUSE.c.sku.in_(unique[start : start + MAX_IDS_PER_QUERY]),
                )
            )
            found.update({sku: int(quantity) for sku, quantity in rows})
        return found

    def decrement(
        self, company_id: CompanyId, shipped: Mapping[str, int], at: datetime
    ) -> dict[str, int]:
        """One UPDATE … RETURNING per SKU: the subtraction happens under the row lock."""
        levels: dict[str, int] = {}
        for sku, units in sorted(shipped.items()):
            row = self._session.execute(
                update(WAREHOUSE)
                .where(WAREHOUSE.c.company_id == company_id, WAREHOUSE.c.sku == sku)
                .values(
                    quantity=case(
                        (WAREHOUSE.c.quantity > units, WAREHOUSE.c.quantity - units), else_=0
                    ),
                    updated_at=at,
                )
                .returning(WAREHOUSE.c.quantity)
            ).first()
            if row is not None:
                levels[sku] = int(row[0])
        return levels
