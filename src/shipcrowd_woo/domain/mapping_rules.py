"""Product mappings: which WooCommerce product or variation is which Shipcrowd SKU.

SKU matching is case-insensitive, after Unicode NFC normalisation and trimming. WooCommerce
itself treats SKUs that way: its uniqueness check (`wc_product_has_unique_sku`) compares in
MySQL's default case-insensitive collation, so a store cannot hold both `ab-1` and `AB-1`. When
Shipcrowd holds SKUs that differ only in case, the exact spelling decides; if none is exact the
item is left unmapped as ambiguous rather than guessed.
"""

import enum
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Final

import attrs

from shipcrowd_woo.domain.availability import Availability, StockLimits
from shipcrowd_woo.domain.ids import CompanyId, MappingId, StoreId

MAX_CONSECUTIVE_SYNC_ERRORS: Final = 10
MAX_ERROR_MESSAGE_LENGTH: Final = 500
# WooCommerce stores SKUs in a VARCHAR(100) column (wc_product_meta_lookup.sku).
MAX_SKU_LENGTH: Final = 100


class MappingType(enum.Enum):
    """Who made the mapping."""

    AUTO = "auto"
    MANUAL = "manual"


class StockDirection(enum.Enum):
    """Which way a mapping's stock goes: the warehouse's to the store (the default), the
    store's own count adopted as the SKU's stock (for merchants who count in WooCommerce),
    or neither."""

    WAREHOUSE_TO_STORE = "warehouse_to_store"
    STORE_TO_WAREHOUSE = "store_to_warehouse"
    OFF = "off"


def sku_key(raw: str) -> str:
    """The form two SKUs are compared in; empty when there is no SKU."""
    return _spelling(raw).casefold()


def _spelling(raw: str) -> str:
    return unicodedata.normalize("NFC", raw).strip()


def clean_sku(raw: str) -> str:
    """Validate and trim a SKU given by a person; raises ValueError saying what is wrong."""
    sku = _spelling(raw)
    if not sku:
        raise ValueError("SKU is empty")
    if len(sku) > MAX_SKU_LENGTH:
        raise ValueError(f"SKU is longer than {MAX_SKU_LENGTH} characters")
    if any(unicodedata.category(char) == "Cc" for char in sku):
        raise ValueError("SKU contains control characters")
    return sku


@attrs.frozen
class CatalogItem:
    """Something a store sells and stocks: a simple product or one variation."""

    product_id: int
    variation_id: int | None
    sku: str
    title: str

    @property
    def target(self) -> tuple[int, int | None]:
        """The (product, variation) pair a mapping points at."""
        return (self.product_id, self.variation_id)


@attrs.frozen
class ProductMapping:
    """A WooCommerce product or variation tied to a Shipcrowd SKU."""

    id: MappingId
    company_id: CompanyId
    store_id: StoreId
    woo_product_id: int
    woo_variation_id: int | None
    woo_sku: str
    woo_title: str
    shipcrowd_sku: str
    mapping_type: MappingType
    created_at: datetime
    shipcrowd_product_name: str = ""
    sync_inventory: bool = True
    sync_price: bool = False
    sync_on_fulfillment: bool = True
    is_active: bool = True
    sync_errors: int = 0
    last_sync_error: str | None = None
    last_sync_at: datetime | None = None
    # What we last set at the store, to recognise the `product.updated` our push causes.
    last_pushed_quantity: int | None = None
    # Its own limits on what the store is offered; unset ones follow the store's.
    stock_limits: StockLimits = attrs.field(factory=StockLimits)
    direction: StockDirection = StockDirection.WAREHOUSE_TO_STORE
    # What the last push of its stock was made of (on hand, reserved, buffer...).
    last_push: Availability | None = None

    @property
    def target(self) -> tuple[int, int | None]:
        """The (product, variation) pair this mapping points at."""
        return (self.woo_product_id, self.woo_variation_id)

    @property
    def is_variation(self) -> bool:
        """True when stock is pushed through the parent's variations batch."""
        return self.woo_variation_id is not None


def record_sync_success(
    mapping: ProductMapping, now: datetime, pushed: Availability | None = None
) -> ProductMapping:
    """A push succeeded: the consecutive-error count starts again, and the mapping keeps
    what was `pushed` (the level and the figures it came from)."""
    return attrs.evolve(
        mapping,
        sync_errors=0,
        last_sync_error=None,
        last_sync_at=now,
        last_pushed_quantity=None if pushed is None else pushed.level,
        last_push=pushed,
    )


def record_sync_error(mapping: ProductMapping, message: str, now: datetime) -> ProductMapping:
    """A push failed: count it, and disable the mapping at the tenth failure in a row."""
    errors = mapping.sync_errors + 1
    return attrs.evolve(
        mapping,
        sync_errors=errors,
        last_sync_error=message[:MAX_ERROR_MESSAGE_LENGTH],
        last_sync_at=now,
        is_active=mapping.is_active and errors < MAX_CONSECUTIVE_SYNC_ERRORS,
    )


def record_not_reached(mapping: ProductMapping, message: str, now: datetime) -> ProductMapping:
    """The store could not be reached with this item's batch: say so on the mapping, but
    do not count it towards disabling (the store, not the mapping, failed)."""
    return attrs.evolve(
        mapping, last_sync_error=message[:MAX_ERROR_MESSAGE_LENGTH], last_sync_at=now
    )


@attrs.frozen
class MappingFilter:
    """Which mappings a list shows; None means either way."""

    active: bool | None = None
    sync_inventory: bool | None = None
    erroring: bool | None = None
    mapping_type: MappingType | None = None
    search: str = ""

    def admits(self, mapping: ProductMapping) -> bool:
        """True when the mapping passes every set criterion."""
        needle = self.search.strip().casefold()
        return (
            self.active in (None, mapping.is_active)
            and self.sync_inventory in (None, mapping.sync_inventory)
            and self.erroring in (None, mapping.sync_errors > 0)
            and self.mapping_type in (None, mapping.mapping_type)
            and (
                not needle
                or needle in mapping.shipcrowd_sku.casefold()
                or needle in mapping.woo_sku.casefold()
                or needle in mapping.woo_title.casefold()
            )
        )


@attrs.frozen
class AutoMatch:
    """The outcome of matching a catalogue against Shipcrowd's SKUs."""

    matched: tuple[tuple[CatalogItem, str], ...]
    unmatched: tuple[CatalogItem, ...]
    ambiguous: tuple[tuple[CatalogItem, tuple[str, ...]], ...]


def auto_match(items: Iterable[CatalogItem], shipcrowd_skus: Iterable[str]) -> AutoMatch:
    """Match store items to Shipcrowd SKUs by normalised SKU (see the module docstring)."""
    by_key: defaultdict[str, set[str]] = defaultdict(set)
    for sku in shipcrowd_skus:
        if key := sku_key(sku):
            by_key[key].add(sku)
    matched: list[tuple[CatalogItem, str]] = []
    unmatched: list[CatalogItem] = []
    ambiguous: list[tuple[CatalogItem, tuple[str, ...]]] = []
    for item in items:
        candidates = by_key.get(sku_key(item.sku), set())
        exact = [sku for sku in candidates if _spelling(sku) == _spelling(item.sku)]
        if len(candidates) == 1:
            matched.append((item, next(iter(candidates))))
        elif len(exact) == 1:
            matched.append((item, exact[0]))
        elif candidates:
            ambiguous.append((item, tuple(sorted(candidates))))
        else:
            unmatched.append(item)
    return AutoMatch(tuple(matched), tuple(unmatched), tuple(ambiguous))
