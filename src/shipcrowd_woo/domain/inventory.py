"""Warehouse stock and the stock levels to push to a store."""

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.mapping_rules import ProductMapping
from shipcrowd_woo.domain.woo_catalog import StockUpdate


@attrs.frozen
class WarehouseItem:
    """A Shipcrowd SKU of a company, with what the warehouse holds of it."""

    company_id: CompanyId
    sku: str
    name: str
    quantity: int
    updated_at: datetime


@attrs.frozen
class StockChange:
    """A SKU whose warehouse level changed and is to be pushed to one store. `token` names
    the change: a newer one replaces it, so removing what a push read leaves the newer."""

    company_id: CompanyId
    store_id: StoreId
    sku: str
    token: str
    changed_at: datetime


def follows_warehouse(mapping: ProductMapping) -> bool:
    """A mapping whose product takes the warehouse's stock changes by itself."""
    return mapping.is_active and mapping.sync_inventory and mapping.sync_on_fulfillment


@attrs.frozen
class StockPlan:
    """What to send: one update per pushable mapping, and the mappings left out and why."""

    updates: tuple[tuple[ProductMapping, StockUpdate], ...]
    left_out: tuple[tuple[ProductMapping, str], ...]


def plan_stock_updates(
    mappings: Iterable[ProductMapping], quantities: Mapping[str, int]
) -> StockPlan:
    """Active mappings with inventory sync on get the warehouse quantity of their SKU (never
    below zero: WooCommerce would show negative stock as a backorder)."""
    updates: list[tuple[ProductMapping, StockUpdate]] = []
    left_out: list[tuple[ProductMapping, str]] = []
    for mapping in mappings:
        if not mapping.is_active:
            left_out.append((mapping, "mapping is disabled"))
        elif not mapping.sync_inventory:
            left_out.append((mapping, "inventory sync is off for this mapping"))
        elif mapping.shipcrowd_sku not in quantities:
            left_out.append((mapping, f"no warehouse stock for {mapping.shipcrowd_sku}"))
        else:
            quantity = max(0, quantities[mapping.shipcrowd_sku])
            update = StockUpdate(mapping.woo_product_id, mapping.woo_variation_id, quantity)
            updates.append((mapping, update))
    return StockPlan(tuple(updates), tuple(left_out))
