"""The contract suites run each behaviour against every implementation of its port."""

import pytest

from tests.builders import make_store


@pytest.fixture
def store(uow_factory):
    """A store saved in the backend under test, for suites whose rows belong to one."""
    store = make_store()
    with uow_factory() as uow:
        uow.stores.add(store)
        uow.commit()
    return store
