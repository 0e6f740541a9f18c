"""What product deliveries do to a store's mappings: refreshed as the store changes its
products, new products mapped when the warehouse holds their SKU, deleted products'
mappings deactivated, and our own stock pushes coming back recognised as echoes."""

from collections.abc import Iterable

import attrs

from shipcrowd_woo.domain.mapping_rules import MappingType, ProductMapping, auto_match
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.woo_catalog import WooProduct
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.context import StoreCalls
from shipcrowd_woo.services.mappings import catalog_item_of, new_mapping
from shipcrowd_woo.services.store_stock import follow_store_level


def apply_product(
    context: StoreCalls, store: Store, product: WooProduct, mappings: "ProductMappings"
) -> str:
    """What a product delivery does: refresh the mapping of the product (or variation) the
    store changed, or map a new one whose SKU the warehouse holds; our own stock push coming
    back changes nothing. Says what it did."""
    item = catalog_item_of(product)
    mapping = mappings.of(item.target)
    if mapping is not None:
        if is_stock_echo(mapping, product):
            return f"product {product.id}: echo of our stock push, nothing to do"
        stock = follow_store_level(context, mappings.uow, store, mapping, product)
        refreshed = _refreshed(mapping, product)
        if refreshed != mapping:
            mappings.update(refreshed)
        said = "mapping refreshed" if refreshed != mapping else "mapping already current"
        return f"product {product.id}: {said}" + ("" if stock is None else f"; {stock}")
    if product.type in ("variable", "grouped", "external") or not item.sku.strip():
        return f"product {product.id}: nothing to map"
    match = auto_match([item], mappings.warehouse_skus())
    if not match.matched:
        return f"product {product.id}: no warehouse SKU matches {item.sku!r}"
    [(matched, sku)] = match.matched
    mappings.add(new_mapping(context, store, matched, sku, MappingType.AUTO))
    return f"product {product.id}: mapped to {sku}"


class ProductMappings:
    """The mappings of the products a batch names, read in one query and kept current as
    the batch changes them."""

    def __init__(self, uow: UnitOfWork, store: Store, product_ids: Iterable[int]) -> None:
        self._uow = uow
        self._store = store
        ids = list(product_ids)
        found = uow.mappings.for_products(store.company_id, store.id, ids) if ids else []
        self._by_target = {mapping.target: mapping for mapping in found}
        self._skus: list[str] | None = None

    @property
    def uow(self) -> UnitOfWork:
        """The delivery's unit of work."""
        return self._uow

    def of(self, target: tuple[int, int | None]) -> ProductMapping | None:
        return self._by_target.get(target)

    def update(self, mapping: ProductMapping) -> None:
        self._uow.mappings.update(mapping)
        self._by_target[mapping.target] = mapping

    def add(self, mapping: ProductMapping) -> None:
        self._uow.mappings.add(mapping)
        self._by_target[mapping.target] = mapping

    def deactivate(self, product_id: int) -> int:
        gone = [
            attrs.evolve(mapping, is_active=False)
            for mapping in self._by_target.values()
            if product_id in (mapping.woo_product_id, mapping.woo_variation_id)
            and mapping.is_active
        ]
        for mapping in gone:
            self.update(mapping)
        return len(gone)

    def warehouse_skus(self) -> list[str]:
        if self._skus is None:
            self._skus = [w.sku for w in self._uow.warehouse.items(self._store.company_id)]
        return self._skus


def is_stock_echo(mapping: ProductMapping, product: WooProduct) -> bool:
    """A `product.updated` our own push caused: WooCommerce fires it on every product save,
    so it arrives carrying the quantity we set, with nothing else we track changed."""
    return (
        mapping.last_pushed_quantity is not None
        and product.stock_quantity == mapping.last_pushed_quantity
        and _refreshed(mapping, product) == mapping
    )


def _refreshed(mapping: ProductMapping, product: WooProduct) -> ProductMapping:
    """The mapping with the SKU and title the store now shows. A variation's payload names
    only the variation ("L"), not "T-shirt - L", so its title is left as the catalogue scan
    wrote it."""
    if product.parent_id:
        return attrs.evolve(mapping, woo_sku=product.sku)
    return attrs.evolve(mapping, woo_sku=product.sku, woo_title=product.name)
