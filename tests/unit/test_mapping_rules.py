"""SKU normalisation, auto-matching and the consecutive-error rule of product mappings."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.ids import CompanyId, MappingId, StoreId
from shipcrowd_woo.domain.mapping_rules import (
    MAX_CONSECUTIVE_SYNC_ERRORS,
    CatalogItem,
    MappingType,
    ProductMapping,
    auto_match,
    clean_sku,
    record_sync_error,
    record_sync_success,
    sku_key,
)

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def item(sku: str, product: int = 1, variation: int | None = None) -> CatalogItem:
    return CatalogItem(product, variation, sku, f"Product {product}")


def mapping() -> ProductMapping:
    return ProductMapping(
        id=MappingId("m1"),
        company_id=CompanyId("c"),
        store_id=StoreId("s"),
        woo_product_id=10,
        woo_variation_id=None,
        woo_sku="W-1",
        woo_title="Widget",
        shipcrowd_sku="W-1",
        mapping_type=MappingType.AUTO,
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [("W-001", "w-001"), ("  W-001 ", "W-001"), ("Straße-1", "STRASSE-1"), ("e\u0301", "\u00e9")],
)
def test_skus_match_across_case_spaces_and_unicode_forms(a, b):
    """Case, surrounding spaces and NFC/NFD spelling do not separate two SKUs."""
    assert sku_key(a) == sku_key(b)


def test_skus_that_differ_inside_stay_different():
    """Inner spaces and punctuation matter."""
    assert sku_key("W 001") != sku_key("W-001")


def test_auto_match_pairs_items_with_their_sku():
    """Each store item with a matching Shipcrowd SKU is matched; the rest are unmatched."""
    result = auto_match(
        [item("W-001", 1), item("ts-0-s", 2, 21), item("", 3), item("NOPE", 4)],
        ["W-001", "TS-0-S", "OTHER"],
    )
    assert [(i.product_id, sku) for i, sku in result.matched] == [(1, "W-001"), (2, "TS-0-S")]
    assert [i.product_id for i in result.unmatched] == [3, 4]
    assert result.ambiguous == ()


def test_case_twins_in_shipcrowd_are_settled_by_the_exact_spelling():
    """`ab-1` and `AB-1` both in Shipcrowd: the store's `AB-1` maps to `AB-1`."""
    result = auto_match([item("AB-1")], ["ab-1", "AB-1"])
    assert [sku for _, sku in result.matched] == ["AB-1"]


def test_case_twins_without_an_exact_spelling_are_ambiguous_not_guessed():
    """`Ab-1` at the store against `ab-1` and `AB-1` in Shipcrowd is left for a person."""
    result = auto_match([item("Ab-1")], ["ab-1", "AB-1"])
    assert result.matched == ()
    assert result.ambiguous == ((item("Ab-1"), ("AB-1", "ab-1")),)


@given(st.lists(st.text(max_size=8), max_size=8), st.lists(st.text(max_size=8), max_size=8))
def test_every_item_lands_in_exactly_one_outcome(store_skus, shipcrowd_skus):
    """Matched, unmatched and ambiguous partition the catalogue."""
    items = [item(sku, index) for index, sku in enumerate(store_skus)]
    result = auto_match(items, shipcrowd_skus)
    outcomes = (
        [i for i, _ in result.matched] + list(result.unmatched) + [i for i, _ in result.ambiguous]
    )
    assert sorted(outcomes, key=lambda i: i.product_id) == items
    for matched_item, sku in result.matched:
        assert sku_key(sku) == sku_key(matched_item.sku)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("", "empty"), ("   ", "empty"), ("x" * 101, "longer than 100"), ("A\x00B", "control")],
)
def test_a_sku_given_by_a_person_is_validated(raw, problem):
    """Empty, over-long and control-character SKUs are refused with the reason."""
    with pytest.raises(ValueError, match=problem):
        clean_sku(raw)


def test_a_valid_sku_is_trimmed():
    """Surrounding spaces are dropped; the rest is kept as written."""
    assert clean_sku("  Ab-1 ") == "Ab-1"


def test_the_tenth_consecutive_error_disables_the_mapping():
    """Nine errors leave it active, the tenth disables it."""
    current = mapping()
    for count in range(1, MAX_CONSECUTIVE_SYNC_ERRORS):
        current = record_sync_error(current, f"error {count}", NOW)
        assert current.is_active
        assert current.sync_errors == count
    current = record_sync_error(current, "x" * 2000, NOW)
    assert not current.is_active
    assert current.sync_errors == MAX_CONSECUTIVE_SYNC_ERRORS
    assert len(current.last_sync_error or "") == 500


def test_a_success_resets_the_error_count():
    """Errors must be consecutive: a success in between starts the count again."""
    current = mapping()
    for _ in range(9):
        current = record_sync_error(current, "boom", NOW)
    current = record_sync_success(current, NOW)
    assert (current.sync_errors, current.last_sync_error, current.is_active) == (0, None, True)
    current = record_sync_error(current, "boom", NOW)
    assert current.is_active
