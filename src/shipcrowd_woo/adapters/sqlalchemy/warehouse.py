"""Warehouse SKUs and their stock, in SQL."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update

from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape
from shipcrowd_woo.adapters.sqlalchemy.statements import OnSession, chunks, upsert_rows
from shipcrowd_woo.adapters.sqlalchemy.tables import WarehouseItemRow, table_of
from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.domain.inventory import DEFAULT_WAREHOUSE, WarehouseItem

WAREHOUSE = table_of(WarehouseItemRow)
WAREHOUSE_ITEM = RowShape(WarehouseItem)


class SqlAlchemyWarehouseRepository(OnSession):
    """Warehouse SKUs in SQL."""

    def upsert(self, items: Sequence[WarehouseItem]) -> None:
        """Insert or replace items by (company, warehouse, SKU)."""
        rows = [WAREHOUSE_ITEM.values(item) for item in items]
        replaced = ("name", "quantity", "updated_at")
        upsert_rows(self._session, WAREHOUSE, rows, ("company_id", "warehouse", "sku"), replaced)

    def items(self, company_id: CompanyId) -> Sequence[WarehouseItem]:
        """Every SKU of the company in each warehouse, by SKU and warehouse."""
        rows = self._session.execute(
            select(WAREHOUSE)
            .where(WAREHOUSE.c.company_id == company_id)
            .order_by(WAREHOUSE.c.sku, WAREHOUSE.c.warehouse)
        ).mappings()
        return [WAREHOUSE_ITEM.build(row) for row in rows]

    def quantities(
        self,
        company_id: CompanyId,
        skus: Sequence[str],
        warehouses: Collection[str] | None = None,
    ) -> dict[str, int]:
        """Stock on hand of the known SKUs among `skus`, summed over those warehouses
        (None: all)."""
        found: dict[str, int] = {}
        for chunk in chunks(sorted(set(skus))):
            query = (
                select(WAREHOUSE.c.sku, func.sum(WAREHOUSE.c.quantity))
                .where(WAREHOUSE.c.company_id == company_id, WAREHOUSE.c.sku.in_(chunk))
                .group_by(WAREHOUSE.c.sku)
            )
            if warehouses is not None:
                query = query.where(WAREHOUSE.c.warehouse.in_(sorted(warehouses)))
            found.update({sku: int(quantity) for sku, quantity in self._session.execute(query)})
        return found

    def decrement(
        self,
        company_id: CompanyId,
        shipped: Mapping[str, int],
        at: datetime,
        warehouse: str = DEFAULT_WAREHOUSE,
    ) -> dict[str, int]:
        """One UPDATE … RETURNING per SKU: the subtraction happens under the row lock."""
        levels: dict[str, int] = {}
        for sku, units in sorted(shipped.items()):
            row = self._session.execute(
                update(WAREHOUSE)
                .where(
                    WAREHOUSE.c.company_id == company_id,
                    WAREHOUSE.c.warehouse == warehouse,
                    WAREHOUSE.c.sku == sku,
                )
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
