"""What the company's open orders reserve of its SKUs: the units still to ship of every
order that ships or is held, on any of its stores, whose lines map to the SKU (issue 32)."""

from collections import Counter
from collections.abc import Collection, Sequence

from shipcrowd_woo.domain.availability import reserved_by_sku
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.inventory import StockPlan, plan_stock_updates
from shipcrowd_woo.domain.mapping_rules import ProductMapping
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.feed_publishing import fulfilled_units


def reserved_units(
    uow: UnitOfWork,
    company_id: CompanyId,
    skus: Collection[str],
    only: StoreId | None = None,
) -> dict[str, int]:
    """Each SKU's reserved units (by the orders of `only` that store, if given). A line maps
    to a SKU through its own store's mapping, disabled ones included (the line still ships
    that SKU); its units still to ship are ordered less fulfilled (an order refunded in
    full, or deleted, is not open)."""
    if not skus:
        return {}
    sku_of: dict[tuple[StoreId, int, int | None], str] = {
        (m.store_id, m.woo_product_id, m.woo_variation_id): m.shipcrowd_sku
        for m in uow.mappings.for_skus(company_id, only, skus)
    }
    lines = uow.orders.open_lines(company_id, {(store, product) for store, product, _ in sku_of})
    fulfilled: dict[OrderKey, Counter[int]] = fulfilled_units(uow, {line.key for line in lines})
    return reserved_by_sku(
        (
            sku_of.get((line.key.store_id, line.product_id, line.variation_id)),
            line.quantity - fulfilled.get(line.key, Counter())[line.line_id or 0],
        )
        for line in lines
    )


def stock_plan(uow: UnitOfWork, store: Store, mappings: Sequence[ProductMapping]) -> StockPlan:
    """What the store is to be offered through these mappings, now: on hand in the
    warehouses it draws from, less what every open order of the company reserves, under the
    limits (domain/inventory.py, plan_stock_updates)."""
    skus = [mapping.shipcrowd_sku for mapping in mappings]
    on_hand = uow.warehouse.quantities(store.company_id, skus, store.inventory_sync.warehouses)
    reserved = reserved_units(uow, store.company_id, skus)
    return plan_stock_updates(mappings, store.inventory_sync.limits, on_hand, reserved)
