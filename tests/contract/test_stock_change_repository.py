"""StockChangeRepository contract: one waiting change per (store, SKU), the newest kept; a
push removes only what it read; lost pushes are found."""

import attrs

from shipcrowd_woo.domain.inventory import StockChange
from tests.builders import later


def _change(store, sku, token="t1", at=0.0):  # noqa: S107 (a change token, not a secret)
    return StockChange(store.company_id, store.id, sku, token, later(at))


def test_the_newest_change_of_a_sku_replaces_the_waiting_one(uow_factory, store):
    with uow_factory() as uow:
        uow.stock_changes.note([_change(store, "A", at=1), _change(store, "B-ü", at=2)])
        uow.commit()
    with uow_factory() as uow:
        uow.stock_changes.note([_change(store, "A", token="t2", at=3)])
        uow.commit()
    with uow_factory() as uow:
        assert uow.stock_changes.for_store(store.id, 10) == [
            _change(store, "B-ü", at=2),
            _change(store, "A", token="t2", at=3),
        ]
        assert uow.stock_changes.for_store(store.id, 1) == [_change(store, "B-ü", at=2)]


def test_a_push_removes_what_it_read_and_leaves_what_changed_meanwhile(uow_factory, store):
    taken = [_change(store, f"S-{i}", at=i) for i in range(400)]
    with uow_factory() as uow:
        uow.stock_changes.note(taken)
        uow.commit()
    newer = attrs.evolve(taken[7], token="t2", changed_at=later(500))
    with uow_factory() as uow:
        uow.stock_changes.note([newer])
        uow.commit()
    with uow_factory() as uow:
        assert uow.stock_changes.remove(taken) == 399
        uow.commit()
    with uow_factory() as uow:
        assert uow.stock_changes.for_store(store.id, 10) == [newer]


def test_stores_whose_changes_waited_too_long_are_found_once_each(uow_factory, store):
    with uow_factory() as uow:
        uow.stock_changes.note([_change(store, "A", at=10), _change(store, "B", at=1)])
        uow.commit()
    with uow_factory() as uow:
        assert uow.stock_changes.waiting_since(later(0), 10) == []
        assert uow.stock_changes.waiting_since(later(60), 10) == [_change(store, "B", at=1)]
