"""MappingRepository contract, uniqueness of simple products included."""

import attrs
import pytest

from shipcrowd_woo.domain.errors import AlreadyExists, MappingNotFound
from shipcrowd_woo.domain.mapping_rules import record_sync_error
from tests.builders import COMPANY_B, later, make_mapping


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
