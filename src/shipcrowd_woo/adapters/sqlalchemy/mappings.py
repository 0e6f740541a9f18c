"""Product mappings in SQL."""

from collections.abc import Collection, Sequence

from sqlalchemy import bindparam, delete, func, insert, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError

from shipcrowd_woo.adapters.sqlalchemy.rows import DOCUMENT, RowShape, Stored, stock_limits_kept
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    Owned,
    OwnedRepository,
    chunks,
    of_store,
    page_with_total,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import ProductMappingRow, table_of
from shipcrowd_woo.domain.errors import AlreadyExists, MappingNotFound
from shipcrowd_woo.domain.ids import CompanyId, MappingId, StoreId
from shipcrowd_woo.domain.mapping_rules import MappingFilter, ProductMapping
from shipcrowd_woo.domain.pagination import Page, PageRequest

MAPPINGS = table_of(ProductMappingRow)


# A simple product's variation is 0, not NULL: SQL counts NULLs as distinct, so a unique
# constraint over NULL would let one product be mapped twice (tables.py).
MAPPING_ROWS = RowShape(
    ProductMapping,
    {
        "woo_variation_id": Stored(lambda value: value or 0, lambda value: value or None),
        "stock_limits": stock_limits_kept("stock"),
        "last_push": DOCUMENT,
    },
)


def _mapped_already(mapping: ProductMapping) -> str:
    variation = f" variation {mapping.woo_variation_id}" if mapping.woo_variation_id else ""
    return f"product {mapping.woo_product_id}{variation} is already mapped"


class SqlAlchemyMappingRepository(OwnedRepository[ProductMapping]):
    """Product mappings in SQL; mapping a product/variation twice is AlreadyExists."""

    OWNED = Owned(MAPPINGS, MAPPING_ROWS, MappingNotFound, _mapped_already)

    def for_store(self, company_id: CompanyId, store_id: StoreId) -> Sequence[ProductMapping]:
        """Every mapping of the store, by product and variation."""
        rows = self._session.execute(
            select(MAPPINGS)
            .where(of_store(MAPPINGS, company_id, store_id))
            .order_by(MAPPINGS.c.woo_product_id, MAPPINGS.c.woo_variation_id)
        ).mappings()
        return [MAPPING_ROWS.build(row) for row in rows]

    def for_products(
        self, company_id: CompanyId, store_id: StoreId, woo_ids: Collection[int]
    ) -> Sequence[ProductMapping]:
        """The store's mappings of these products or variations, 500 ids a query: by
        product and by variation as two halves of one statement, each an index search (as one
        OR, SQLite read every mapping of the store)."""
        chosen = sorted(set(woo_ids))
        found: list[ProductMapping] = []
        in_store = select(MAPPINGS).where(of_store(MAPPINGS, company_id, store_id))
        for ids in chunks(chosen):
            rows = self._session.execute(
                union_all(
                    in_store.where(MAPPINGS.c.woo_product_id.in_(ids)),
                    in_store.where(MAPPINGS.c.woo_variation_id.in_(ids)),
                )
            ).mappings()
            found.extend(MAPPING_ROWS.build(row) for row in rows)
        unique = {mapping.id: mapping for mapping in found}.values()
        return sorted(unique, key=lambda m: (m.woo_product_id, m.woo_variation_id or 0))

    def for_skus(
        self, company_id: CompanyId, store_id: StoreId | None, skus: Collection[str]
    ) -> Sequence[ProductMapping]:
        """The store's (None: every store's) mappings to these SKUs, 500 a query (an index
        search each)."""
        chosen = sorted(set(skus))
        found: list[ProductMapping] = []
        scope = (
            MAPPINGS.c.company_id == company_id
            if store_id is None
            else of_store(MAPPINGS, company_id, store_id)
        )
        for chunk in chunks(chosen):
            rows = self._session.execute(
                select(MAPPINGS).where(scope, MAPPINGS.c.shipcrowd_sku.in_(chunk))
            ).mappings()
            found.extend(MAPPING_ROWS.build(row) for row in rows)
        return found

    def page(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        criteria: MappingFilter,
        page: PageRequest,
    ) -> Page[ProductMapping]:
        """A filtered page of the store's mappings."""
        query = select(MAPPINGS).where(of_store(MAPPINGS, company_id, store_id))
        if criteria.active is not None:
            query = query.where(MAPPINGS.c.is_active.is_(criteria.active))
        if criteria.sync_inventory is not None:
            query = query.where(MAPPINGS.c.sync_inventory.is_(criteria.sync_inventory))
        if criteria.erroring is not None:
            erroring = MAPPINGS.c.sync_errors > 0
            query = query.where(erroring if criteria.erroring else ~erroring)
        if criteria.mapping_type is not None:
            query = query.where(MAPPINGS.c.mapping_type == criteria.mapping_type.value)
        if needle := criteria.search.strip().lower():
            query = query.where(
                or_(
                    *(
                        func.lower(column).contains(needle, autoescape=True)
                        for column in (
                            MAPPINGS.c.shipcrowd_sku,
                            MAPPINGS.c.woo_sku,
                            MAPPINGS.c.woo_title,
                        )
                    )
                )
            )
        return page_with_total(
            self._session,
            query,
            page,
            MAPPING_ROWS.build,
            MAPPINGS.c.woo_product_id,
            MAPPINGS.c.woo_variation_id,
        )

    def add_all(self, mappings: Sequence[ProductMapping]) -> None:
        """Insert mappings with one executemany (a 100,000-line CSV took 70 s row by row);
        AlreadyExists when any target is already mapped."""
        if not mappings:
            return
        try:
            self._session.execute(insert(MAPPINGS), [MAPPING_ROWS.values(m) for m in mappings])
        except IntegrityError:
            raise AlreadyExists(
                f"one of {len(mappings)} products or variations is already mapped"
            ) from None

    def update(self, mapping: ProductMapping) -> None:
        """Save a changed mapping."""
        self.update_all([mapping])

    def update_all(self, mappings: Sequence[ProductMapping]) -> None:
        """Save changed mappings with one executemany."""
        if not mappings:
            return
        self._session.execute(
            update(MAPPINGS).where(
                MAPPINGS.c.id == bindparam("match_id"),
                MAPPINGS.c.company_id == bindparam("match_company_id"),
            ),
            [
                {"match_id": m.id, "match_company_id": m.company_id, **MAPPING_ROWS.values(m)}
                for m in mappings
            ],
        )

    def remove(self, company_id: CompanyId, mapping_id: MappingId) -> None:
        """Delete the company's mapping, or MappingNotFound."""
        deleted = self._session.execute(
            delete(MAPPINGS)
            .where(MAPPINGS.c.id == mapping_id, MAPPINGS.c.company_id == company_id)
            .returning(MAPPINGS.c.id)
        ).first()
        if deleted is None:
            raise MappingNotFound(mapping_id)
