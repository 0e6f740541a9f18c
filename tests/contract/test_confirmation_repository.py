"""ConfirmationRepository: orders waiting to be confirmed from their store (issue 29), on every
backend. A note is durable until a fetch current from after it settles it."""

from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.store import disconnected, paused
from shipcrowd_woo.domain.versions import Confirmation
from tests.builders import COMPANY_A, COMPANY_B, later, make_store


def key(store, source_id):
    return OrderKey(store.company_id, store.id, source_id)


def note(uow_factory, *confirmations):
    with uow_factory() as uow:
        uow.confirmations.note(list(confirmations))
        uow.commit()


def due(uow_factory, store, before, limit=100):
    with uow_factory() as uow:
        return list(uow.confirmations.due(store.id, before, limit))


def test_notes_come_due_oldest_first_within_their_store(uow_factory, store):
    other = make_store(url="https://other.example")
    with uow_factory() as uow:
        uow.stores.add(other)
        uow.commit()
    note(
        uow_factory,
        Confirmation(key(store, 3), later(3)),
        Confirmation(key(store, 1), later(1)),
        Confirmation(key(other, 2), later(2)),
    )
    assert due(uow_factory, store, later(10)) == [
        Confirmation(key(store, 1), later(1)),
        Confirmation(key(store, 3), later(3)),
    ]
    assert due(uow_factory, store, later(2)) == [Confirmation(key(store, 1), later(1))]
    assert due(uow_factory, store, later(10), limit=1) == [Confirmation(key(store, 1), later(1))]


def test_noting_an_order_again_only_moves_its_note_later(uow_factory, store):
    note(uow_factory, Confirmation(key(store, 1), later(5)))
    note(uow_factory, Confirmation(key(store, 1), later(2)))
    assert due(uow_factory, store, later(10)) == [Confirmation(key(store, 1), later(5))]
    note(uow_factory, Confirmation(key(store, 1), later(8)))
    assert due(uow_factory, store, later(10)) == [Confirmation(key(store, 1), later(8))]


def test_only_a_fetch_current_from_after_the_note_settles_it(uow_factory, store):
    note(uow_factory, Confirmation(key(store, 1), later(5)))
    with uow_factory() as uow:
        assert uow.confirmations.settle(key(store, 1), later(4)) is False
        uow.commit()
    assert due(uow_factory, store, later(10)) == [Confirmation(key(store, 1), later(5))]
    with uow_factory() as uow:
        assert uow.confirmations.settle(key(store, 1), later(5)) is True
        assert uow.confirmations.settle(key(store, 2), later(5)) is False
        uow.commit()
    assert due(uow_factory, store, later(10)) == []


def test_a_note_rolled_back_with_its_transaction_is_not_kept(uow_factory, store):
    with uow_factory() as uow:
        uow.confirmations.note([Confirmation(key(store, 1), later(1))])
    assert due(uow_factory, store, later(10)) == []


def test_waiting_lists_the_active_unpaused_stores_with_old_notes(uow_factory):
    stores = [make_store(url=f"https://{n}.example") for n in range(3)]
    stores.append(make_store(company=COMPANY_B, url="https://b.example"))
    stores[1] = paused(stores[1])
    stores[2] = disconnected(stores[2], later(0))
    with uow_factory() as uow:
        for store in stores:
            uow.stores.add(store)
        uow.commit()
    note(uow_factory, *(Confirmation(key(store, 1), later(1)) for store in stores))
    note(uow_factory, Confirmation(key(stores[0], 2), later(9)))
    with uow_factory() as uow:
        waiting = set(uow.confirmations.waiting(later(5), 100))
        assert set(uow.confirmations.waiting(later(1), 100)) == set()
    assert waiting == {(COMPANY_A, stores[0].id), (COMPANY_B, stores[3].id)}
