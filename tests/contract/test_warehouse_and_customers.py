"""WarehouseRepository and CustomerRepository contracts."""

from datetime import timedelta

import attrs

from shipcrowd_woo.domain.customers import CustomerSnapshot
from shipcrowd_woo.domain.inventory import WarehouseItem
from tests.builders import COMPANY_A, COMPANY_B, T0, later


def item(sku: str, quantity: int, company=COMPANY_A, at=T0) -> WarehouseItem:
    return WarehouseItem(company, sku, f"Item {sku}", quantity, at)


def test_warehouse_items_are_replaced_by_company_and_sku(uow_factory):
    """Upserting again replaces the quantity; other companies' SKUs are separate."""
    with uow_factory() as uow:
        uow.warehouse.upsert([item("A", 5), item("B", 7), item("A", 99, COMPANY_B)])
        uow.warehouse.upsert([item("A", 6, at=later(1))])
        uow.commit()
    with uow_factory() as uow:
        assert uow.warehouse.quantities(COMPANY_A, ["A", "B", "C"]) == {"A": 6, "B": 7}
        assert [i.sku for i in uow.warehouse.items(COMPANY_A)] == ["A", "B"]
        assert uow.warehouse.items(COMPANY_A)[0] == item("A", 6, at=later(1))


def test_stock_is_kept_per_warehouse_and_summed_over_those_a_store_draws_from(uow_factory):
    """Issue 32, multi-location: a SKU in two warehouses is two items; on hand is summed over
    the warehouses asked for (all when none are named); a shipment leaves one warehouse."""
    north = attrs.evolve(item("A", 4), warehouse="north")
    south = attrs.evolve(item("A", 6), warehouse="south")
    with uow_factory() as uow:
        uow.warehouse.upsert([north, south, attrs.evolve(item("B", 1), warehouse="south")])
        uow.commit()
    with uow_factory() as uow:
        assert uow.warehouse.quantities(COMPANY_A, ["A", "B"]) == {"A": 10, "B": 1}
        assert uow.warehouse.quantities(COMPANY_A, ["A", "B"], {"north"}) == {"A": 4}
        assert uow.warehouse.decrement(COMPANY_A, {"A": 5}, later(1), "north") == {"A": 0}
        uow.commit()
    with uow_factory() as uow:
        assert uow.warehouse.quantities(COMPANY_A, ["A"]) == {"A": 6}
        assert [(i.warehouse, i.quantity) for i in uow.warehouse.items(COMPANY_A)][:2] == [
            ("north", 0),
            ("south", 6),
        ]


def test_quantities_of_many_skus_are_read_in_one_call(uow_factory):
    """Two thousand SKUs (more than one IN list) come back complete."""
    with uow_factory() as uow:
        uow.warehouse.upsert([item(f"S{i:04d}", i) for i in range(2000)])
        uow.commit()
    with uow_factory() as uow:
        found = uow.warehouse.quantities(COMPANY_A, [f"S{i:04d}" for i in range(2000)])
    assert len(found) == 2000
    assert found["S1999"] == 1999


def snapshot(store, modified, observed, email) -> CustomerSnapshot:
    return CustomerSnapshot(
        store.company_id,
        store.id,
        5,
        email,
        "Ada",
        "Lovelace",
        modified,
        observed,
        {"id": 5, "email": email},
    )


def test_the_newest_customer_snapshot_is_kept(uow_factory, store):
    """A later modification replaces, an older one arriving late does not."""
    with uow_factory() as uow:
        assert uow.customers.upsert(snapshot(store, T0, later(1), "a@example.com"))
        assert uow.customers.upsert(snapshot(store, later(5), later(2), "b@example.com"))
        assert not uow.customers.upsert(snapshot(store, T0, later(9), "old@example.com"))
        uow.commit()
    with uow_factory() as uow:
        kept = uow.customers.get(store.company_id, store.id, 5)
    assert kept.email == "b@example.com"
    assert kept.document == {"id": 5, "email": "b@example.com"}
    assert kept.modified_at == T0 + timedelta(seconds=5)
