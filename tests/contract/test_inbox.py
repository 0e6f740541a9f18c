"""Inbox contract: the intake's one read and one insert, and the drain's leased claims."""

import threading
from datetime import timedelta

import attrs
import pytest
from sqlalchemy import text

from shipcrowd_woo.adapters.sqlalchemy.engine import make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.inbox import SqlAlchemyInbox
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.domain.webhooks import DeliveryState, Kept, Topic
from tests.builders import (
    COMPANY_A,
    COMPANY_B,
    later,
    make_delivery,
    make_store,
    make_webhook,
    sealed,
)

LEASE = timedelta(minutes=2)


@pytest.fixture
def sender(uow_factory):
    """A connected store and the webhook its deliveries are verified against."""
    store = make_store()
    webhook = make_webhook(store)
    _save(uow_factory, [store], [webhook])
    return store, webhook


def _keep(inbox, delivery, sender, seen=False):
    store, webhook = sender
    return inbox.keep(delivery, webhook, store.url, seen)


def _save(uow_factory, stores=(), webhooks=(), deliveries=()):
    with uow_factory() as uow:
        for store in stores:
            uow.stores.add(store)
        for webhook in webhooks:
            uow.webhooks.add(webhook)
        for delivery in deliveries:
            uow.deliveries.add(delivery)
        uow.commit()


def test_a_delivery_finds_its_webhook_by_source_and_woocommerce_id(uow_factory, inbox):
    """A delivery's X-WC-Webhook-ID finds its webhook within its store only."""
    store, other = make_store(url="https://1.example"), make_store(url="https://2.example")
    created = make_webhook(store, Topic.ORDER_CREATED, woo_id=1)
    updated = make_webhook(store, Topic.ORDER_UPDATED, woo_id=2)
    foreign = make_webhook(other, Topic.ORDER_CREATED, woo_id=1)
    _save(uow_factory, [store, other], [created, updated, foreign])
    assert inbox.senders(store.url, 2) == [(store.company_id, updated)]
    assert inbox.senders(store.url, 1) == [(store.company_id, created)]
    assert inbox.senders(store.url, 3) == []


def test_a_delivery_finds_the_active_webhooks_of_its_source_across_companies(uow_factory, inbox):
    """A delivery names only its source URL and X-WC-Webhook-ID: both companies that
    connected the store answer to it, each with its company; an inactive webhook, a
    disconnected store, another id or another URL do not."""
    shared = "https://shared.example"
    a = make_store(COMPANY_A, shared, store_id="a")
    b = make_store(COMPANY_B, shared, store_id="b")
    gone = make_store(COMPANY_A, "https://gone.example", store_id="gone", is_active=False)
    of_a = make_webhook(a, Topic.ORDER_UPDATED, woo_id=7)
    of_b = make_webhook(b, Topic.ORDER_UPDATED, woo_id=7)
    inactive = attrs.evolve(make_webhook(b, Topic.ORDER_CREATED, woo_id=8), is_active=False)
    of_gone = make_webhook(gone, Topic.ORDER_UPDATED, woo_id=7)
    _save(uow_factory, [a, b, gone], [of_a, of_b, inactive, of_gone])
    assert inbox.senders(shared, 7) == [(COMPANY_A, of_a), (COMPANY_B, of_b)]
    assert inbox.senders(shared, 8) == []
    assert inbox.senders(shared, 9) == []
    assert inbox.senders("https://gone.example", 7) == []
    assert inbox.senders("https://other.example", 7) == []


def test_kept_deliveries_are_durable_and_kept_once(uow_factory, inbox, sender):
    """Kept once; the same store, topic and body again is told apart as a duplicate in the
    same call (one statement on PostgreSQL)."""
    store, _ = sender
    delivery = make_delivery(store, b'{"id":1}')
    assert _keep(inbox, delivery, sender) is Kept.NEW
    assert _keep(inbox, make_delivery(store, b'{"id":1}'), sender) is Kept.DUPLICATE
    with uow_factory() as uow:
        assert uow.deliveries.get(delivery.id) == delivery


@pytest.mark.parametrize(
    "change",
    ["webhook deactivated", "secret replaced", "store disconnected", "store moved"],
)
def test_a_delivery_is_kept_only_while_what_verified_it_holds(uow_factory, inbox, change):
    """Issue 17: the intake remembers the webhooks it read, so the insert itself checks that
    the webhook is still active with the very sealed secret the delivery was verified with, on
    its active store at the URL the delivery named. Anything changed: nothing is kept."""
    store = make_store()
    webhook = make_webhook(store)
    _save(uow_factory, [store], [webhook])
    with uow_factory() as uow:
        if change == "webhook deactivated":
            uow.webhooks.update(attrs.evolve(webhook, is_active=False))
        elif change == "secret replaced":
            uow.webhooks.update(attrs.evolve(webhook, secret=sealed("a new secret")))
        elif change == "store disconnected":
            uow.stores.update(attrs.evolve(store, is_active=False))
        else:
            uow.stores.update(attrs.evolve(store, url="https://moved.example"))
        uow.commit()
    delivery = make_delivery(store)
    assert inbox.keep(delivery, webhook, store.url, True) is Kept.SENDER_CHANGED
    with uow_factory() as uow:
        assert uow.deliveries.get(delivery.id) is None
        [stored] = uow.webhooks.for_store(store.id)
    assert stored.last_delivery_at is None
    assert inbox.waiting(later(1)) == 0


def test_keeping_moves_the_last_delivery_times_forward_only(uow_factory, inbox, sender):
    """With `seen`, the webhook's and its store's last-delivery times move to the
    delivery's, never back (racing deliveries leave the latest); nothing else is written."""
    store, webhook = sender
    _keep(inbox, attrs.evolve(make_delivery(store, b"1"), received_at=later(40)), sender, True)
    _keep(inbox, attrs.evolve(make_delivery(store, b"2"), received_at=later(35)), sender, True)
    _keep(inbox, attrs.evolve(make_delivery(store, b"3"), received_at=later(50)), sender)
    with uow_factory() as uow:
        assert uow.stores.get(store.company_id, store.id).last_delivery_at == later(40)
        [kept] = uow.webhooks.for_store(store.id)
    assert kept == attrs.evolve(webhook, last_delivery_at=later(40))


def test_claims_take_the_oldest_free_deliveries_and_hold_them_for_the_lease(inbox, sender):
    store, _ = sender
    deliveries = [
        attrs.evolve(make_delivery(store, f'{{"id":{n}}}'.encode()), received_at=later(n))
        for n in range(5)
    ]
    for delivery in reversed(deliveries):
        _keep(inbox, delivery, sender)
    assert [d.id for d in inbox.claim(later(10), LEASE, 2)] == [d.id for d in deliveries[:2]]
    assert [d.id for d in inbox.claim(later(11), LEASE, 10)] == [d.id for d in deliveries[2:]]
    assert inbox.claim(later(12), LEASE, 10) == []
    # The holders died: once their leases are over, the deliveries are free again.
    assert [d.id for d in inbox.claim(later(10) + LEASE, LEASE, 10)] == [
        deliveries[0].id,
        deliveries[1].id,
    ]
    assert [d.id for d in inbox.claim(later(11) + LEASE, LEASE, 10)] == [
        d.id for d in deliveries[2:]
    ]


def test_settled_deliveries_are_neither_claimed_nor_waiting(uow_factory, inbox, sender):
    store, _ = sender
    done, left = make_delivery(store, b'{"id":1}'), make_delivery(store, b'{"id":2}')
    for delivery in (done, left):
        _keep(inbox, delivery, sender)
    assert inbox.waiting(later(1)) == 2
    with uow_factory() as uow:
        uow.deliveries.settle([done.id], later(1), {})
        uow.commit()
    assert inbox.waiting(later(1)) == 1
    assert inbox.waiting(done.received_at) == 0
    [claimed] = inbox.claim(later(2), LEASE, 10)
    assert (claimed.id, claimed.state) == (left.id, DeliveryState.RECEIVED)


def test_an_insert_that_finds_sqlite_busy_waits_for_its_turn_and_is_kept(sqlite_engine):
    """Issue 17: the intake's insert runs alone and does not wait inside SQLite; when another
    writer holds the file it queues for its turn like every writer, and is kept once the
    holder commits — never refused, never lost."""
    sessions = make_session_factory(sqlite_engine)
    store = make_store()
    webhook = make_webhook(store)
    with SqlAlchemyUnitOfWork(sessions) as uow:
        uow.stores.add(store)
        uow.webhooks.add(webhook)
        uow.commit()
    inbox = SqlAlchemyInbox(sqlite_engine)
    delivery = make_delivery(store)
    kept = []
    with sqlite_engine.begin() as holder:
        holder.execute(text("UPDATE stores SET name = name"))
        waiting = threading.Thread(
            target=lambda: kept.append(_keep(inbox, delivery, (store, webhook)))
        )
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()
    waiting.join()
    assert kept == [Kept.NEW]
    with SqlAlchemyUnitOfWork(sessions) as uow:
        assert uow.deliveries.get(delivery.id) == delivery


def test_leases_taken_before_a_moment_are_released(uow_factory, inbox, sender):
    """A process with an in-process queue frees, as it starts, what the dead one held."""
    store, _ = sender
    old, new, done = (
        attrs.evolve(make_delivery(store, f'{{"id":{n}}}'.encode()), received_at=later(-n))
        for n in (3, 2, 1)
    )
    for delivery in (old, new, done):
        _keep(inbox, delivery, sender)
    inbox.claim(later(1), LEASE, 1)
    inbox.claim(later(5), LEASE, 2)
    with uow_factory() as uow:
        uow.deliveries.settle([done.id], later(6), {})
        uow.commit()
    assert inbox.release(later(3) + LEASE) == 1
    assert [d.id for d in inbox.claim(later(7), LEASE, 10)] == [old.id]


def test_a_failed_batch_is_given_back_at_once(uow_factory, inbox, sender):
    """Issue 29: a drain whose batch failed frees it for the next drain now, not when its
    lease ends; what was settled meanwhile stays settled, and others' leases stay."""
    store, _ = sender
    failed, settled, other = (
        attrs.evolve(make_delivery(store, f'{{"id":{n}}}'.encode()), received_at=later(n))
        for n in (1, 2, 3)
    )
    for delivery in (failed, settled, other):
        _keep(inbox, delivery, sender)
    inbox.claim(later(4), LEASE, 2)
    inbox.claim(later(4), LEASE, 1)
    with uow_factory() as uow:
        uow.deliveries.settle([settled.id], later(5), {})
        uow.commit()
    assert inbox.give_back([failed.id, settled.id]) == 1
    assert [d.id for d in inbox.claim(later(6), LEASE, 10)] == [failed.id]
