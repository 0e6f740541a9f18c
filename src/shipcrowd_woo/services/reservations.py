"""What the company's open orders reserve of its SKUs: the units still to ship of every
order that ships or is held, on any of its stores, whose lines map to the SKU (issue 32)."""

from collections import Counter
from collections.abc import Collection

from shipcrowd_woo.domain.availability import reserved_by_sku
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.feed_publishing import fulfilled_units


def reserved_units(uow: UnitOfWork, company_id: CompanyId, skus: Collection[str]) -> dict[str, int]:
    """Each SKU's reserved units. A line maps to a SKU through its own store's mapping,
    disabled ones included (the line still ships that SKU); its units still to ship are
    ordered less fulfilled (an order refunded in full, or deleted, is not open)."""
    if not skus:
        return {}
    sku_of: dict[tuple[StoreId, int, int | None], str] = {
        (m.store_id, m.woo_product_id, m.woo_variation_id): m.shipcrowd_sku
        for m in uow.mappings.for_skus(company_id, None, skus)
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
