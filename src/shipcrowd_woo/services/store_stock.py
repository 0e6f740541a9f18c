"""A store's own stock level, as its product deliveries report it (issue 32, two-way).

Through a `store → warehouse` mapping the store counts the SKU: its level becomes the SKU's
stock in the default warehouse, the units its open orders still hold added back (WooCommerce
took them off at checkout, and what is reserved is taken off again for every store), and the
other stores are pushed the new level. Through a `warehouse → store` mapping we count it: a
level other than the one the store should have (an edit in wp-admin) is logged as drift and
the SKU pushed back to it, one push window later — by then the order of a sale the level
moved for has usually been imported, and what is pushed counts it. Our own pushes' echoes
never get here (product_changes.is_stock_echo)."""

import logging

from shipcrowd_woo.domain.inventory import DEFAULT_WAREHOUSE, WarehouseItem
from shipcrowd_woo.domain.mapping_rules import ProductMapping, StockDirection
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.woo_catalog import WooProduct
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.auto_push import note_stock_changes
from shipcrowd_woo.services.context import Records
from shipcrowd_woo.services.reservations import reserved_units, stock_plan

log = logging.getLogger("shipcrowd_woo.inventory")


def follow_store_level(
    context: Records, uow: UnitOfWork, store: Store, mapping: ProductMapping, product: WooProduct
) -> str | None:
    """What the store's reported level does, in the delivery's transaction; says what."""
    level = product.stock_quantity
    if level is None or not product.manage_stock or not mapping.is_active:
        return None
    sku, now = mapping.shipcrowd_sku, context.clock.now()
    if mapping.direction is StockDirection.STORE_TO_WAREHOUSE:
        held = reserved_units(uow, store.company_id, [sku], only=store.id).get(sku, 0)
        on_hand = max(0, level) + held
        name = mapping.shipcrowd_product_name or mapping.woo_title
        item = WarehouseItem(store.company_id, sku, name, on_hand, now, DEFAULT_WAREHOUSE)
        uow.warehouse.upsert([item])
        note_stock_changes(uow, store.company_id, {sku}, now, context.new_id())
        return f"{sku}: the store's level {level} adopted ({on_hand} with its open orders')"
    if mapping.direction is StockDirection.OFF or mapping.last_pushed_quantity is None:
        return None
    planned = stock_plan(uow, store, [mapping]).updates
    if not planned or planned[0][2].level == level:
        return None
    expected = planned[0][2].level
    log.warning(
        "stock drift: store %s shows %d of %s (product %d), it should have %d; pushing it back",
        store.id,
        level,
        sku,
        product.id,
        expected,
    )
    note_stock_changes(uow, store.company_id, {sku}, now, context.new_id(), {store.id})
    return f"{sku}: the store shows {level}, it should have {expected}: pushed back"
