"""UnitOfWork: nothing is kept unless committed."""

import pytest

from shipcrowd_woo.domain.errors import StoreNotFound
from tests.builders import COMPANY_A, make_store


def test_leaving_without_commit_keeps_nothing(uow_factory):
    """A unit of work that ends without commit() rolls back."""
    store = make_store()
    with uow_factory() as uow:
        uow.stores.add(store)
    with uow_factory() as uow, pytest.raises(StoreNotFound):
        uow.stores.get(COMPANY_A, store.id)


def test_an_exception_rolls_back(uow_factory):
    """An error inside the block leaves the database as it was."""
    store = make_store()

    def add_then_fail():
        with uow_factory() as uow:
            uow.stores.add(store)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        add_then_fail()
    with uow_factory() as uow, pytest.raises(StoreNotFound):
        uow.stores.get(COMPANY_A, store.id)


def test_rollback_discards_only_what_came_after_the_last_commit(uow_factory):
    """Commit, change, roll back: the committed part stays."""
    first, second = make_store(url="https://1.example"), make_store(url="https://2.example")
    with uow_factory() as uow:
        uow.stores.add(first)
        uow.commit()
        uow.stores.add(second)
        uow.rollback()
    with uow_factory() as uow:
        assert uow.stores.get(COMPANY_A, first.id) == first
        with pytest.raises(StoreNotFound):
            uow.stores.get(COMPANY_A, second.id)
