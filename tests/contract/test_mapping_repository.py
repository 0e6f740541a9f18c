"""MappingRepository contract, uniqueness of simple products included."""

import attrs
import pytest

from shipcrowd_woo.domain.errors import AlreadyExists, MappingNotFound
from shipcrowd_woo.domain.mapping_rules import record_sync_error
from tests.builders import COMPANY_B, later, make_mapping, make_store


def test_a_mapping_reads_back_exactly_as_written(uow_factory, store):
    """Simple (variation None) and variation mappings round-trip."""
    simple = make_mapping(store, 10, None, "W-1")
    variation = make_mapping(store, 20, 21, "TS-0-S", shipcrowd_product_name="T-shirt S")
    with uow_factory() as uow:
        uow.mappings.add(simple)
        uow.mappings.add(variation)
        uow.commit()
    with uow_factory() as uow:
        assert uow.mappings.get(store.company_id, simple.id) == simple
        assert uow.mappings.for_store(store.company_id, store.id) == [simple, variation]


def test_a_simple_product_cannot_be_mapped_twice(uow_factory, store):
    """NULL variation ids must not defeat uniqueness."""
    with uow_factory() as uow:
        uow.mappings.add(make_mapping(store, 10, None, "W-1"))
        with pytest.raises(AlreadyExists):
            uow.mappings.add(make_mapping(store, 10, None, "W-2"))
        uow.commit()


def test_a_variation_cannot_be_mapped_twice_but_its_siblings_can(uow_factory, store):
    """(product, variation) is the unit of uniqueness."""
    with uow_factory() as uow:
        uow.mappings.add(make_mapping(store, 20, 21, "S"))
        uow.mappings.add(make_mapping(store, 20, 22, "M"))
        with pytest.raises(AlreadyExists):
            uow.mappings.add(make_mapping(store, 20, 21, "S2"))
        uow.commit()
    with uow_factory() as uow:
        assert len(uow.mappings.for_store(store.company_id, store.id)) == 2


def test_updates_are_saved_and_other_companies_cannot_touch_a_mapping(uow_factory, store):
    """Error counting is persisted; company B gets MappingNotFound."""
    mapping = make_mapping(store)
    with uow_factory() as uow:
        uow.mappings.add(mapping)
        uow.commit()
    failed = record_sync_error(mapping, "stock rejected", later(1))
    with uow_factory() as uow:
        uow.mappings.update(failed)
        uow.mappings.update(attrs.evolve(failed, company_id=COMPANY_B, is_active=False))
        uow.commit()
    with uow_factory() as uow:
        assert uow.mappings.get(store.company_id, mapping.id) == failed
        with pytest.raises(MappingNotFound):
            uow.mappings.get(COMPANY_B, mapping.id)
        with pytest.raises(MappingNotFound):
            uow.mappings.remove(COMPANY_B, mapping.id)


def test_many_mappings_are_added_and_updated_at_once(uow_factory, store):
    """add_all and update_all (the CSV import's and auto-mapping's writes) keep every field;
    update_all leaves another company's mapping of the same id alone."""
    many = [make_mapping(store, product, None, f"W-{product}") for product in range(1, 1201)]
    with uow_factory() as uow:
        uow.mappings.add_all(many)
        uow.mappings.add_all([])
        uow.commit()
    changed = [record_sync_error(m, "stock rejected", later(1)) for m in many[::2]]
    foreign = attrs.evolve(many[1], company_id=COMPANY_B, is_active=False)
    with uow_factory() as uow:
        uow.mappings.update_all([*changed, foreign])
        uow.mappings.update_all([])
        uow.commit()
    with uow_factory() as uow:
        stored = uow.mappings.for_store(store.company_id, store.id)
    assert stored == [changed[i // 2] if i % 2 == 0 else m for i, m in enumerate(many)]


def test_adding_many_where_one_is_mapped_already_is_refused(uow_factory, store):
    """One target taken makes add_all raise AlreadyExists; nothing of it is kept."""
    taken = make_mapping(store, 7, None, "W-7")
    with uow_factory() as uow:
        uow.mappings.add(taken)
        uow.commit()
    with uow_factory() as uow, pytest.raises(AlreadyExists):
        uow.mappings.add_all([make_mapping(store, 6, None, "W-6"), make_mapping(store, 7, None)])
    with uow_factory() as uow:
        assert uow.mappings.for_store(store.company_id, store.id) == [taken]


def test_a_removed_mapping_is_gone(uow_factory, store):
    """Removal deletes; removing again is MappingNotFound."""
    mapping = make_mapping(store)
    with uow_factory() as uow:
        uow.mappings.add(mapping)
        uow.commit()
    with uow_factory() as uow:
        uow.mappings.remove(store.company_id, mapping.id)
        uow.commit()
    with uow_factory() as uow:
        with pytest.raises(MappingNotFound):
            uow.mappings.get(store.company_id, mapping.id)
        with pytest.raises(MappingNotFound):
            uow.mappings.remove(store.company_id, mapping.id)


def test_pages_filter_by_state_type_errors_and_search(uow_factory, store):
    """Each criterion narrows the page; the total counts the whole filtered list."""
    from shipcrowd_woo.domain.mapping_rules import MappingFilter, MappingType
    from shipcrowd_woo.domain.pagination import PageRequest

    mappings = [
        make_mapping(store, 1, None, "RED-1", woo_title="Red mug"),
        make_mapping(store, 2, None, "BLUE-1", is_active=False),
        make_mapping(store, 3, 31, "TS-S", sync_inventory=False),
        record_sync_error(make_mapping(store, 4, None, "ERR-1"), "boom", later(1)),
        make_mapping(store, 5, None, "MAN_1", mapping_type=MappingType.MANUAL),
    ]
    with uow_factory() as uow:
        for mapping in mappings:
            uow.mappings.add(mapping)
        uow.commit()

    def ids(criteria, page=None):
        with uow_factory() as uow:
            found = uow.mappings.page(store.company_id, store.id, criteria, page or PageRequest())
        return found.total, [m.woo_product_id for m in found.items]

    assert ids(MappingFilter()) == (5, [1, 2, 3, 4, 5])
    assert ids(MappingFilter(active=False)) == (1, [2])
    assert ids(MappingFilter(sync_inventory=False)) == (1, [3])
    assert ids(MappingFilter(erroring=True)) == (1, [4])
    assert ids(MappingFilter(mapping_type=MappingType.MANUAL)) == (1, [5])
    assert ids(MappingFilter(search="mug")) == (1, [1])
    assert ids(MappingFilter(search="_1")) == (1, [5]), "LIKE wildcards are literal"
    assert ids(MappingFilter(), PageRequest(offset=3, limit=1)) == (5, [4])


def test_a_push_is_kept_with_its_figures_and_the_mappings_own_limits(uow_factory, store):
    """What we last set at the store survives, to recognise its echo, with the on hand,
    reserved and buffer it came from (issue 32: visible through the mapping's routes); and
    the mapping's own limits round-trip, a percentage buffer as one."""
    from shipcrowd_woo.domain.availability import Availability, stock_limits
    from shipcrowd_woo.domain.mapping_rules import record_sync_success

    limited = attrs.evolve(
        make_mapping(store), stock_limits=stock_limits(buffer="10%", floor=2, maximum=40)
    )
    pushed = Availability(on_hand=30, reserved=8, buffer=3, floor=2, maximum=40, level=19)
    with uow_factory() as uow:
        uow.mappings.add(limited)
        uow.mappings.update(record_sync_success(limited, later(1), pushed))
        uow.commit()
    with uow_factory() as uow:
        kept = uow.mappings.get(store.company_id, limited.id)
    assert (kept.last_pushed_quantity, kept.last_push) == (19, pushed)
    assert kept.stock_limits == limited.stock_limits


def test_mappings_of_skus_are_found_across_the_companys_stores(uow_factory, store):
    """With no store named, every store's mappings of the SKUs (what a SKU's reservations
    are counted over), and never another company's."""
    other = make_store(store.company_id, url="https://second.example")
    foreign = make_store(COMPANY_B, url="https://foreign.example")
    with uow_factory() as uow:
        uow.stores.add(other)
        uow.stores.add(foreign)
        for owner, product in ((store, 1), (other, 2), (foreign, 3)):
            uow.mappings.add(make_mapping(owner, product, None, "SHARED"))
        uow.commit()
    with uow_factory() as uow:
        found = uow.mappings.for_skus(store.company_id, None, {"SHARED"})
        only_first = uow.mappings.for_skus(store.company_id, store.id, {"SHARED"})
    assert sorted(m.woo_product_id for m in found) == [1, 2]
    assert [m.woo_product_id for m in only_first] == [1]


def test_the_mappings_a_batch_names_are_found_by_product_or_variation_id_once_each(
    uow_factory, store
):
    """What the webhook drain reads for a batch of product deliveries (issue 17: one index
    search by product id and one by variation id). A variation named by its own id and by
    its parent's is found once; another store's mappings of the same ids are not found."""
    other = make_store(url="https://other.example")
    simple = make_mapping(store, 10, None, "W-1")
    small = make_mapping(store, 20, 21, "TS-S")
    large = make_mapping(store, 20, 22, "TS-L")
    unnamed = make_mapping(store, 30, None, "W-3")
    elsewhere = make_mapping(other, 10, None, "W-1")
    with uow_factory() as uow:
        uow.stores.add(other)
        for mapping in (simple, small, large, unnamed, elsewhere):
            uow.mappings.add(mapping)
        uow.commit()
    with uow_factory() as uow:
        found = uow.mappings.for_products(store.company_id, store.id, [10, 21, 20, 99])
        assert found == [simple, small, large]
        assert uow.mappings.for_products(store.company_id, store.id, [22]) == [large]
        assert uow.mappings.for_products(store.company_id, store.id, []) == []
