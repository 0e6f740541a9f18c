"""Warehouse stock and the stock levels to push to a store."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

import attrs

from shipcrowd_woo.domain.availability import (
    Availability,
    StockLimits,
    available_to_sell,
    limits_for_mapping,
)
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.mapping_rules import ProductMapping, StockDirection
from shipcrowd_woo.domain.woo_catalog import StockUpdate

# Where stock is when a report or a fulfilment names no warehouse (issue 32: multi-location).
DEFAULT_WAREHOUSE: Final = "default"
MAX_WAREHOUSE_LENGTH: Final = 64


@attrs.frozen
class WarehouseItem:
    """A Shipcrowd SKU of a company, with what one of its warehouses holds of it."""

    company_id: CompanyId
    sku: str
    name: str
    quantity: int
    updated_at: datetime
    warehouse: str = DEFAULT_WAREHOUSE


def clean_warehouse(raw: str) -> str:
    """A warehouse's name as a person gave it, trimmed; ValueError says what is wrong."""
    name = raw.strip()
    if not name:
        raise ValueError("a warehouse name is empty")
    if len(name) > MAX_WAREHOUSE_LENGTH:
        raise ValueError(f"a warehouse name is at most {MAX_WAREHOUSE_LENGTH} characters")
    if not name.isprintable():
        raise ValueError("a warehouse name contains control characters")
    return name


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
    return (
        mapping.is_active
        and mapping.sync_inventory
        and mapping.sync_on_fulfillment
        and mapping.direction is StockDirection.WAREHOUSE_TO_STORE
    )


# A mapping, the level to send through it and the figures the level came from.
PlannedUpdate = tuple[ProductMapping, StockUpdate, Availability]


@attrs.frozen
class StockPlan:
    """What to send: one update per pushable mapping with the figures its level came from,
    and the mappings left out and why."""

    updates: tuple[PlannedUpdate, ...]
    left_out: tuple[tuple[ProductMapping, str], ...]


def plan_stock_updates(
    mappings: Iterable[ProductMapping],
    store_limits: StockLimits,
    on_hand: Mapping[str, int],
    reserved: Mapping[str, int],
) -> StockPlan:
    """Active mappings with inventory sync on get their SKU's level available to sell: on
    hand less what the company's open orders reserve and the buffer, under the mapping's
    limits or else the store's (domain/availability.py)."""
    updates: list[PlannedUpdate] = []
    left_out: list[tuple[ProductMapping, str]] = []
    for mapping in mappings:
        if not mapping.is_active:
            left_out.append((mapping, "mapping is disabled"))
        elif not mapping.sync_inventory or mapping.direction is StockDirection.OFF:
            left_out.append((mapping, "inventory sync is off for this mapping"))
        elif mapping.direction is StockDirection.STORE_TO_WAREHOUSE:
            left_out.append((mapping, "the store counts this SKU's stock (store → warehouse)"))
        elif mapping.shipcrowd_sku not in on_hand:
            left_out.append((mapping, f"no warehouse stock for {mapping.shipcrowd_sku}"))
        else:
            sku = mapping.shipcrowd_sku
            limits = limits_for_mapping(store_limits, mapping.stock_limits)
            availability = available_to_sell(on_hand[sku], reserved.get(sku, 0), limits)
            update = StockUpdate(
                mapping.woo_product_id, mapping.woo_variation_id, availability.level
            )
            updates.append((mapping, update, availability))
    return StockPlan(tuple(updates), tuple(left_out))
