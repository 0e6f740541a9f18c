"""Product mappings: automatic by SKU, by hand, and by CSV."""

from collections.abc import Iterator

import attrs

from shipcrowd_woo.domain.availability import changed_limits
from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.ids import CompanyId, MappingId, StoreId
from shipcrowd_woo.domain.mapping_csv import RowProblem, parse_mapping_csv, render_mapping_csv
from shipcrowd_woo.domain.mapping_rules import (
    CatalogItem,
    MappingFilter,
    MappingType,
    ProductMapping,
    StockDirection,
    auto_match,
    clean_sku,
)
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncType, finish_sync, record_items
from shipcrowd_woo.domain.woo_catalog import WooProduct
from shipcrowd_woo.ports.store_client import StoreClient
from shipcrowd_woo.services.auto_push import note_stock_changes
from shipcrowd_woo.services.context import StoreCalls
from shipcrowd_woo.services.store_stock import follow_store_level
from shipcrowd_woo.services.sync_logs import open_sync_log


@attrs.frozen
class AutoMapReport:
    """What an automatic mapping run found and did."""

    catalogue_items: int
    created: int
    refreshed: int
    already_mapped: int
    unmatched: int
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...]


@attrs.frozen
class MappingStats:
    """How a store's catalogue is mapped."""

    mapped: int
    active: int
    inactive: int
    erroring: int
    unmapped: int


@attrs.frozen
class CsvImportReport:
    """What importing a CSV did, and every line it refused."""

    created: int
    updated: int
    unchanged: int
    problems: tuple[RowProblem, ...]


def catalogue(client: StoreClient) -> Iterator[tuple[CatalogItem, WooProduct]]:
    """What the store sells and stocks, with the product as the store shows it (its stock
    level): simple products and every variation (a variable product itself holds no stock of
    its own to map)."""
    for product in client.products():
        if product.type == "variable":
            for variation in client.variations(product.id):
                name = f"{product.name} - {variation.name}"
                yield CatalogItem(product.id, variation.id, variation.sku, name), variation
        elif product.type not in ("grouped", "external"):
            yield CatalogItem(product.id, None, product.sku, product.name), product


def new_mapping(
    context: StoreCalls, store: Store, item: CatalogItem, sku: str, kind: MappingType
) -> ProductMapping:
    """A mapping of a store item to a warehouse SKU, made now."""
    return ProductMapping(
        id=MappingId(context.new_id()),
        company_id=store.company_id,
        store_id=store.id,
        woo_product_id=item.product_id,
        woo_variation_id=item.variation_id,
        woo_sku=item.sku,
        woo_title=item.title,
        shipcrowd_sku=sku,
        mapping_type=kind,
        created_at=context.clock.now(),
    )


def catalog_item_of(product: WooProduct) -> CatalogItem:
    """A product or variation from a webhook, as a catalogue item."""
    if product.parent_id:
        return CatalogItem(product.parent_id, product.id, product.sku, product.name)
    return CatalogItem(product.id, None, product.sku, product.name)


@attrs.define(eq=False)
class MappingService:
    """Mapping use cases, scoped by company."""

    _ctx: StoreCalls

    def auto_map(self, company_id: CompanyId, store_id: StoreId) -> AutoMapReport:
        """Map every unmapped store item whose SKU matches a warehouse SKU (see
        domain/mapping_rules.py for the matching rule); refresh the SKU and title of mapped
        items that changed at the store; adopt the level of those whose store counts their
        stock (store → warehouse, services/store_stock.py)."""
        store = self._store(company_id, store_id)
        log = open_sync_log(self._ctx, store, SyncType.PRODUCT, {"mode": "auto_map"})
        with self._ctx.client_for(store) as client:
            scanned = list(catalogue(client))
        items = [item for item, _ in scanned]
        now = self._ctx.clock.now()
        with self._ctx.uow_factory() as uow:
            existing = {m.target: m for m in uow.mappings.for_store(company_id, store_id)}
            warehouse = [item.sku for item in uow.warehouse.items(company_id)]
            fresh = [item for item in items if item.target not in existing]
            match = auto_match(fresh, warehouse)
            uow.mappings.add_all(
                [self._new(store, item, sku, MappingType.AUTO) for item, sku in match.matched]
            )
            changed = [
                attrs.evolve(mapping, woo_sku=item.sku, woo_title=item.title)
                for item in items
                if (mapping := existing.get(item.target))
                and (mapping.woo_sku, mapping.woo_title) != (item.sku, item.title)
            ]
            uow.mappings.update_all(changed)
            for item, product in scanned:
                counted = existing.get(item.target)
                if counted is not None and counted.direction is StockDirection.STORE_TO_WAREHOUSE:
                    follow_store_level(self._ctx, uow, store, counted, product)
            refreshed = len(changed)
            mapped = len(existing) + len(match.matched)
            uow.stores.record_catalogue(store_id, items=len(items), mapped=mapped)
            log = record_items(
                log,
                synced=len(match.matched) + refreshed,
                skipped=len(items) - len(match.matched) - refreshed,
            )
            log = attrs.evolve(
                log,
                metadata={
                    **log.metadata,
                    "catalogue_items": len(items),
                    "ambiguous": len(match.ambiguous),
                },
            )
            uow.sync_logs.add(finish_sync(log, now))
            uow.commit()
        return AutoMapReport(
            catalogue_items=len(items),
            created=len(match.matched),
            refreshed=refreshed,
            already_mapped=len(items) - len(fresh),
            unmatched=len(match.unmatched),
            ambiguous=tuple((item.sku, skus) for item, skus in match.ambiguous),
        )

    def create(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        product_id: int,
        variation_id: int | None,
        shipcrowd_sku: str,
        *,
        woo_sku: str = "",
        title: str = "",
        product_name: str = "",
        sync_inventory: bool = True,
    ) -> ProductMapping:
        """A manual mapping; AlreadyExists when the product or variation is mapped."""
        problems = {}
        if product_id < 1:
            problems["woo_product_id"] = "must be a positive id"
        if variation_id is not None and variation_id < 1:
            problems["woo_variation_id"] = "must be a positive id or absent"
        try:
            sku = clean_sku(shipcrowd_sku)
        except ValueError as error:
            problems["shipcrowd_sku"] = str(error)
        if problems:
            raise ValidationFailed(problems)
        store = self._store(company_id, store_id)
        mapping = attrs.evolve(
            self._new(
                store,
                CatalogItem(product_id, variation_id, woo_sku, title),
                sku,
                MappingType.MANUAL,
            ),
            shipcrowd_product_name=product_name.strip()[:255],
            sync_inventory=sync_inventory,
        )
        with self._ctx.uow_factory() as uow:
            uow.mappings.add(mapping)
            uow.commit()
        return mapping

    def delete(self, company_id: CompanyId, mapping_id: MappingId) -> None:
        """Remove a mapping (MappingNotFound for another company's)."""
        with self._ctx.uow_factory() as uow:
            uow.mappings.remove(company_id, mapping_id)
            uow.commit()

    def get(self, company_id: CompanyId, mapping_id: MappingId) -> ProductMapping:
        """The company's mapping (MappingNotFound for another's)."""
        with self._ctx.reads() as uow:
            return uow.mappings.get(company_id, mapping_id)

    def change_stock(
        self,
        company_id: CompanyId,
        mapping_id: MappingId,
        buffer: object = None,
        floor: object = None,
        maximum: object = None,
        direction: StockDirection | None = None,
    ) -> ProductMapping:
        """Set the mapping's own limits on what its store is offered (domain/availability.py:
        None keeps one, "none" gives it back to the store's) and which way its stock goes;
        its SKU is pushed to its store by itself when they changed."""
        with self._ctx.uow_factory() as uow:
            mapping = uow.mappings.get(company_id, mapping_id)
            limits = changed_limits(mapping.stock_limits, buffer, floor, maximum)
            changed = attrs.evolve(mapping, stock_limits=limits)
            if direction is not None and direction is not mapping.direction:
                # What we last pushed says nothing of a level the store now counts itself.
                changed = attrs.evolve(changed, direction=direction, last_pushed_quantity=None)
            uow.mappings.update(changed)
            if changed != mapping:
                note_stock_changes(
                    uow,
                    company_id,
                    {mapping.shipcrowd_sku},
                    self._ctx.clock.now(),
                    self._ctx.new_id(),
                    {mapping.store_id},
                )
            uow.commit()
        return changed

    def toggle(self, company_id: CompanyId, mapping_id: MappingId, active: bool) -> ProductMapping:
        """Switch a mapping on or off; switching on forgets past errors."""
        with self._ctx.uow_factory() as uow:
            mapping = uow.mappings.get(company_id, mapping_id)
            changed = attrs.evolve(
                mapping,
                is_active=active,
                sync_errors=0 if active else mapping.sync_errors,
                last_sync_error=None if active else mapping.last_sync_error,
            )
            uow.mappings.update(changed)
            uow.commit()
        return changed

    def list(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        criteria: MappingFilter,
        page: PageRequest,
    ) -> Page[ProductMapping]:
        """A filtered page of the store's mappings."""
        with self._ctx.reads() as uow:
            uow.stores.get(company_id, store_id)
            return uow.mappings.page(company_id, store_id, criteria, page)

    def stats(self, company_id: CompanyId, store_id: StoreId) -> MappingStats:
        """Mapped, active, inactive, erroring, and unmapped as of the last catalogue scan."""
        with self._ctx.reads() as uow:
            store = uow.stores.get(company_id, store_id)
            mappings = uow.mappings.for_store(company_id, store_id)
        active = sum(1 for m in mappings if m.is_active)
        return MappingStats(
            mapped=len(mappings),
            active=active,
            inactive=len(mappings) - active,
            erroring=sum(1 for m in mappings if m.sync_errors),
            unmapped=max(0, store.stats.catalogue_items - len(mappings)),
        )

    def import_csv(self, company_id: CompanyId, store_id: StoreId, text: str) -> CsvImportReport:
        """Apply every valid row (create or change the mapping of its product/variation),
        report every bad one; importing the same file again changes nothing."""
        store = self._store(company_id, store_id)
        parsed = parse_mapping_csv(text)
        created: list[ProductMapping] = []
        updated: list[ProductMapping] = []
        unchanged = 0
        with self._ctx.uow_factory() as uow:
            existing = {m.target: m for m in uow.mappings.for_store(company_id, store_id)}
            for row in parsed.rows:
                mapping = existing.get(row.target)
                if mapping is None:
                    item = CatalogItem(row.woo_product_id, row.woo_variation_id, "", "")
                    created.append(
                        attrs.evolve(
                            self._new(store, item, row.shipcrowd_sku, MappingType.MANUAL),
                            shipcrowd_product_name=row.shipcrowd_product_name,
                            sync_inventory=row.sync_inventory,
                            is_active=row.active,
                        )
                    )
                    continue
                wanted = attrs.evolve(
                    mapping,
                    shipcrowd_sku=row.shipcrowd_sku,
                    shipcrowd_product_name=row.shipcrowd_product_name
                    or mapping.shipcrowd_product_name,
                    sync_inventory=row.sync_inventory,
                    is_active=row.active,
                )
                if wanted == mapping:
                    unchanged += 1
                else:
                    updated.append(attrs.evolve(wanted, mapping_type=MappingType.MANUAL))
            uow.mappings.add_all(created)
            uow.mappings.update_all(updated)
            uow.commit()
        return CsvImportReport(len(created), len(updated), unchanged, parsed.problems)

    def export_csv(self, company_id: CompanyId, store_id: StoreId) -> str:
        """Every mapping of the store as CSV (importing it again changes nothing)."""
        with self._ctx.reads() as uow:
            uow.stores.get(company_id, store_id)
            return render_mapping_csv(uow.mappings.for_store(company_id, store_id))

    def _store(self, company_id: CompanyId, store_id: StoreId) -> Store:
        with self._ctx.reads() as uow:
            return uow.stores.get(company_id, store_id)

    def _new(self, store: Store, item: CatalogItem, sku: str, kind: MappingType) -> ProductMapping:
        return new_mapping(self._ctx, store, item, sku, kind)
