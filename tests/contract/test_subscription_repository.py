"""SubscriptionRepository (issue 31, push) on every backend: round trips with sealed secrets,
company scoping, claims of due subscriptions with a backlog, holds that lapse, and progress
only by the holder."""

import threading
from datetime import timedelta

import attrs
import pytest

from shipcrowd_woo.domain.feed import EventType
from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.subscriptions import (
    Attempt,
    DeliveryPolicy,
    Subscription,
    SubscriptionNotFound,
    SubscriptionState,
)
from shipcrowd_woo.ports.repositories import EventQuery
from tests.builders import COMPANY_A, COMPANY_B, T0
from tests.contract.test_order_feed_repository import append, new, read

HOLD = timedelta(seconds=90)


def subscription(sid="sub-1", company=COMPANY_A, after=0, **fields):
    return Subscription(
        id=sid,
        company_id=company,
        url="https://hooks.example.com/in?tenant=7",
        types=frozenset({EventType.CREATED, EventType.DELETED}),
        store_ids=frozenset({StoreId("store-x")}),
        secret=EncryptedSecret("k1", b"\x00sealed\xff"),
        created_at=T0,
        after=after,
        **fields,
    )


def add(uow_factory, *subscriptions):
    with uow_factory() as uow:
        for item in subscriptions:
            uow.subscriptions.add(item)
        uow.commit()


def claim(uow_factory, holder, now=T0):
    with uow_factory() as uow:
        taken = uow.subscriptions.claim(now, holder, now + HOLD)
        uow.commit()
    return taken


def test_a_subscription_round_trips_with_every_field(uow_factory):
    """What is saved is what is read, secrets and all; scoped by company."""
    rotated = subscription(
        previous_secret=EncryptedSecret("k0", b"old"),
        previous_until=T0 + timedelta(days=1),
    ).failed(Attempt(500, "boom"), T0, DeliveryPolicy())
    add(uow_factory, rotated)
    with uow_factory() as uow:
        assert uow.subscriptions.get(COMPANY_A, "sub-1") == rotated
        assert uow.subscriptions.listed(COMPANY_A) == [rotated]
        assert uow.subscriptions.listed(COMPANY_B) == []
        assert uow.subscriptions.every() == [rotated]
        with pytest.raises(SubscriptionNotFound):
            uow.subscriptions.get(COMPANY_B, "sub-1")
        with pytest.raises(SubscriptionNotFound):
            uow.subscriptions.remove(COMPANY_B, "sub-1")


def test_save_changes_the_owners_fields_and_never_moves_the_cursor(uow_factory, store):
    """Enabling a subscription saved with a stale cursor keeps the deliverer's."""
    append(uow_factory, COMPANY_A, [new(store, 1), new(store, 2)])
    add(uow_factory, subscription())
    taken = claim(uow_factory, "worker-1")
    with uow_factory() as uow:
        assert uow.subscriptions.progress(taken.delivered(2, T0), "worker-1", T0 + HOLD)
        uow.commit()
    stale = taken.disabled(T0, "test").enabled()
    with uow_factory() as uow:
        uow.subscriptions.save(attrs.evolve(stale, url="https://new.example.com/"))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.subscriptions.get(COMPANY_A, "sub-1")
    assert (stored.after, stored.url, stored.state) == (
        2,
        "https://new.example.com/",
        SubscriptionState.ACTIVE,
    )


def test_only_due_active_subscriptions_with_a_backlog_are_claimed(uow_factory, store):
    """Caught up, waiting out a retry, disabled: none is claimed; one behind is."""
    append(uow_factory, COMPANY_A, [new(store, 1), new(store, 2)])
    add(
        uow_factory,
        subscription("caught-up", after=2),
        subscription("retrying", next_attempt_at=T0 + timedelta(seconds=5)),
        subscription("disabled", state=SubscriptionState.DISABLED),
        subscription("other-company", company=COMPANY_B),
    )
    assert claim(uow_factory, "worker-1") is None
    add(uow_factory, subscription("behind", after=1))
    assert claim(uow_factory, "worker-1").id == "behind"
    assert claim(uow_factory, "worker-2") is None  # held
    assert claim(uow_factory, "worker-2", T0 + timedelta(seconds=5)).id == "retrying"


def test_a_lapsed_hold_is_taken_over_and_the_old_holder_can_no_longer_progress(uow_factory, store):
    """A killed holder's subscription goes to the next claimant after the hold."""
    append(uow_factory, COMPANY_A, [new(store, 1)])
    add(uow_factory, subscription())
    first = claim(uow_factory, "killed")
    assert claim(uow_factory, "worker-2", T0 + HOLD - timedelta(seconds=1)) is None
    assert claim(uow_factory, "worker-2", T0 + HOLD + timedelta(seconds=1)) is not None
    with uow_factory() as uow:
        assert not uow.subscriptions.progress(first.delivered(1, T0), "killed", T0 + HOLD)
        uow.commit()
    with uow_factory() as uow:
        assert uow.subscriptions.get(COMPANY_A, "sub-1").after == 0


def test_released_subscriptions_are_claimed_in_turn(uow_factory, store):
    """The one taken longest ago goes first, so a busy subscription does not starve the
    others."""
    append(uow_factory, COMPANY_A, [new(store, 1)])
    add(uow_factory, subscription("a"), subscription("b"))
    order = []
    for step in range(4):
        now = T0 + timedelta(seconds=step)
        taken = claim(uow_factory, f"w{step}", now)
        order.append(taken.id)
        with uow_factory() as uow:
            uow.subscriptions.release(taken.id, f"w{step}")
            uow.commit()
    assert order == ["a", "b", "a", "b"]


def test_a_deleted_subscription_cannot_progress(uow_factory, store):
    """The holder finds out at its next step."""
    append(uow_factory, COMPANY_A, [new(store, 1)])
    add(uow_factory, subscription())
    taken = claim(uow_factory, "worker-1")
    with uow_factory() as uow:
        uow.subscriptions.remove(COMPANY_A, "sub-1")
        uow.commit()
    with uow_factory() as uow:
        assert not uow.subscriptions.progress(taken.delivered(1, T0), "worker-1", T0 + HOLD)


def test_concurrent_claims_give_a_subscription_to_one_claimant(uow_factory, store, backend):
    """Eight threads claim at once: exactly one holds it."""
    if backend == "fake":
        pytest.skip("the fake's transactions merge last-wins; the SQL claim is what counts")
    append(uow_factory, COMPANY_A, [new(store, 1)])
    add(uow_factory, subscription())
    barrier = threading.Barrier(8)
    won = []

    def claimant(n):
        barrier.wait()
        if claim(uow_factory, f"w{n}") is not None:
            won.append(n)

    threads = [threading.Thread(target=claimant, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_the_feed_counts_what_a_read_would_give(uow_factory, store):
    """count(query) agrees with read(query), filters and limit included."""
    append(uow_factory, COMPANY_A, [new(store, n) for n in range(1, 6)])
    append(uow_factory, COMPANY_A, [new(store, 1, EventType.DELETED)])
    queries = (
        EventQuery(COMPANY_A, 0, 100),
        EventQuery(COMPANY_A, 2, 100),
        EventQuery(COMPANY_A, 0, 3),
        EventQuery(COMPANY_A, 0, 100, types=(EventType.DELETED,)),
        EventQuery(COMPANY_A, 0, 100, store_ids=(StoreId("elsewhere"),)),
    )
    for query in queries:
        expected = read(
            uow_factory,
            COMPANY_A,
            query.after,
            query.limit,
            types=query.types,
            store_ids=query.store_ids,
        )
        with uow_factory() as uow:
            assert uow.feed.count(query) == len(expected)


def test_the_owners_save_drops_the_hold_so_a_delivery_under_way_cannot_undo_it(uow_factory, store):
    """Enabled while a deliverer was failing it: the deliverer's next progress is refused,
    and the enabled state stands."""
    append(uow_factory, COMPANY_A, [new(store, 1)])
    add(uow_factory, subscription())
    taken = claim(uow_factory, "worker-1")
    with uow_factory() as uow:
        uow.subscriptions.save(taken.disabled(T0, "test").enabled())
        uow.commit()
    failing = taken.failed(Attempt(500), T0, DeliveryPolicy())
    with uow_factory() as uow:
        assert not uow.subscriptions.progress(failing, "worker-1", T0 + HOLD)
        uow.commit()
    with uow_factory() as uow:
        assert uow.subscriptions.get(COMPANY_A, "sub-1").failures == 0
    assert claim(uow_factory, "worker-2") is not None
