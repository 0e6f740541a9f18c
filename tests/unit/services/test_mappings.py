"""Product mapping use cases on fakes."""

import pytest

from shipcrowd_woo.domain.errors import AlreadyExists, MappingNotFound, ValidationFailed
from shipcrowd_woo.domain.mapping_rules import MappingFilter, MappingType
from shipcrowd_woo.domain.pagination import PageRequest
from shipcrowd_woo.services.inventory import InventorySync, StockLevel
from shipcrowd_woo.services.mappings import MappingService
from tests.unit.services.conftest import COMPANY, OTHER_COMPANY


def warehouse(world, skus):
    InventorySync(world.context).set_stock(COMPANY, [StockLevel(s, 1) for s in skus])


def test_auto_map_matches_simple_products_and_variations_by_sku(world):
    """Every sellable item whose SKU the warehouse has is mapped (case and spaces aside);
    the variable parents themselves are not."""
    store = world.install()
    items = [p for p in world.sandbox.products.values() if p["type"] != "variable"]
    warehouse(
        world, [f" {p['sku'].lower()} " if i % 2 else p["sku"] for i, p in enumerate(items[:-3])]
    )
    report = MappingService(world.context).auto_map(COMPANY, store.id)
    assert report.catalogue_items == len(items)
    assert report.created == len(items) - 3
    assert report.unmatched == 3
    again = MappingService(world.context).auto_map(COMPANY, store.id)
    assert (again.created, again.already_mapped) == (0, len(items) - 3)
    stats = MappingService(world.context).stats(COMPANY, store.id)
    assert (stats.mapped, stats.active, stats.unmapped) == (len(items) - 3, len(items) - 3, 3)


def test_manual_mappings_are_created_toggled_listed_and_deleted(world):
    """The full manual lifecycle, with filters and pages."""
    store = world.install()
    service = MappingService(world.context)
    mapping = service.create(COMPANY, store.id, 10, None, " SKU-1 ", title="Widget")
    assert (mapping.shipcrowd_sku, mapping.mapping_type) == ("SKU-1", MappingType.MANUAL)
    with pytest.raises(AlreadyExists):
        service.create(COMPANY, store.id, 10, None, "SKU-2")
    service.create(COMPANY, store.id, 11, 12, "SKU-3")
    off = service.toggle(COMPANY, mapping.id, False)
    assert not off.is_active
    page = service.list(COMPANY, store.id, MappingFilter(active=True), PageRequest())
    assert [m.shipcrowd_sku for m in page.items] == ["SKU-3"]
    service.delete(COMPANY, mapping.id)
    with pytest.raises(MappingNotFound):
        service.delete(COMPANY, mapping.id)


def test_bad_manual_input_is_refused_with_every_reason(world):
    """Ids and SKU are checked together."""
    store = world.install()
    with pytest.raises(ValidationFailed) as raised:
        MappingService(world.context).create(COMPANY, store.id, 0, -1, "  ")
    assert set(raised.value.problems) == {"woo_product_id", "woo_variation_id", "shipcrowd_sku"}


def test_another_company_cannot_touch_a_mapping(world):
    """MappingNotFound, and the mapping is unchanged."""
    store = world.install()
    service = MappingService(world.context)
    mapping = service.create(COMPANY, store.id, 10, None, "SKU-1")
    with pytest.raises(MappingNotFound):
        service.toggle(OTHER_COMPANY, mapping.id, False)
    with pytest.raises(MappingNotFound):
        service.delete(OTHER_COMPANY, mapping.id)
    assert service.list(COMPANY, store.id, MappingFilter(), PageRequest()).items[0].is_active


CSV = """woo_product_id,woo_variation_id,shipcrowd_sku,shipcrowd_product_name,sync_inventory,active
10,,SKU-10,Mug,true,true
11,12,SKU-11-S,,no,yes
x,,SKU-BAD,,,
13,,,,maybe,
10,,SKU-DUP,,,
14,0,=HYPERLINK(1),,,
"""


def test_a_csv_import_applies_valid_rows_and_reports_each_bad_line(world):
    """Lines 4, 5 and 6 are refused with their reasons; the others are applied."""
    store = world.install()
    report = MappingService(world.context).import_csv(COMPANY, store.id, CSV)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    problems = {p.line: p.reason for p in report.problems}
    assert set(problems) == {4, 5, 6}
    assert "woo_product_id 'x' is not a positive whole number" in problems[4]
    assert "shipcrowd_sku: SKU is empty" in problems[5]
    assert "sync_inventory 'maybe' is not true or false" in problems[5]
    assert problems[6] == "duplicates line 2"


def test_reimporting_the_same_file_changes_nothing_and_export_round_trips(world):
    """Import, import again: all unchanged; export, import the export: all unchanged."""
    store = world.install()
    service = MappingService(world.context)
    service.import_csv(COMPANY, store.id, CSV)
    again = service.import_csv(COMPANY, store.id, CSV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    exported = service.export_csv(COMPANY, store.id)
    assert "'=HYPERLINK(1)" in exported, "formula cells are defused"
    round_trip = service.import_csv(COMPANY, store.id, exported)
    assert (round_trip.created, round_trip.updated, round_trip.unchanged) == (0, 0, 3)
    assert round_trip.problems == ()


def test_a_changed_row_updates_its_mapping(world):
    """Editing the SKU in the file changes the mapping on import."""
    store = world.install()
    service = MappingService(world.context)
    service.import_csv(COMPANY, store.id, CSV)
    report = service.import_csv(
        COMPANY, store.id, "woo_product_id,shipcrowd_sku,active\n10,SKU-NEW,false\n"
    )
    assert report.updated == 1
    [mapping] = service.list(
        COMPANY, store.id, MappingFilter(search="SKU-NEW"), PageRequest()
    ).items
    assert not mapping.is_active


def test_a_file_without_the_required_columns_is_refused_at_line_one(world):
    """The header is checked first."""
    store = world.install()
    report = MappingService(world.context).import_csv(COMPANY, store.id, "sku,qty\nA,1\n")
    assert [(p.line, p.reason) for p in report.problems] == [
        (1, "the header lacks woo_product_id, shipcrowd_sku")
    ]
