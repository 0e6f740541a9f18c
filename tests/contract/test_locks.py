"""StoreLock, ScheduleGuard and sync-slot contracts: in-process and on a real Redis (where two
clients stand for two processes)."""

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import redis

from shipcrowd_woo.adapters.dramatiq.limits import (
    InProcessSyncSlots,
    RedisScheduleGuard,
    RedisStoreLock,
    RedisSyncSlots,
)
from shipcrowd_woo.adapters.locks import InProcessScheduleGuard, InProcessStoreLock
from shipcrowd_woo.domain.ids import StoreId
from tests.fake_store import FakeStoreLock

TTL = timedelta(seconds=30)
A, B = StoreId("store-a"), StoreId("store-b")


@pytest.fixture
def clients(redis_url):
    """Two Redis clients (two processes' worth), closed afterwards."""
    made = [redis.Redis.from_url(redis_url) for _ in range(2)]
    yield made
    for client in made:
        client.close()


@pytest.fixture(params=["fake", "in-process", "redis"])
def locks(request):
    """Two handles on one lock space (two processes, for Redis)."""
    if request.param == "fake":
        lock = FakeStoreLock()
        return lock, lock
    if request.param == "in-process":
        lock = InProcessStoreLock()
        return lock, lock
    first, second = request.getfixturevalue("clients")
    return RedisStoreLock(first), RedisStoreLock(second)


def test_a_store_is_held_by_one_holder_at_a_time(locks):
    first, second = locks
    with first.hold(A, TTL) as taken:
        assert taken
        with second.hold(A, TTL) as again:
            assert not again
        with second.hold(B, TTL) as other:
            assert other
    with second.hold(A, TTL) as after:
        assert after


def test_the_lock_is_released_when_the_holder_fails(locks):
    first, second = locks
    with pytest.raises(RuntimeError), first.hold(A, TTL):
        raise RuntimeError("sync broke")
    with second.hold(A, TTL) as taken:
        assert taken


def test_a_live_holder_keeps_its_lock_past_the_ttl(clients):
    """The holder extends the lock every third of the ttl."""
    first, second = (RedisStoreLock(client) for client in clients)
    with first.hold(A, timedelta(milliseconds=300)) as taken:
        assert taken
        threading.Event().wait(1.0)  # more than three ttls
        with second.hold(A, TTL) as again:
            assert not again


HOLDER = """
import sys, threading
from datetime import timedelta
import redis
from shipcrowd_woo.adapters.dramatiq.limits import RedisStoreLock
lock = RedisStoreLock(redis.Redis.from_url(sys.argv[1]))
with lock.hold("store-a", timedelta(seconds=2)) as taken:
    print("held" if taken else "refused", flush=True)
    threading.Event().wait()
"""


def test_a_killed_holders_lock_expires_after_its_ttl(redis_url, clients):
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, redis_url], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout.readline().strip() == "held"
        finally:
            holder.kill()
    client = clients[0]
    remaining = client.pttl("shipcrowd-woo:lock:store-a")
    assert 0 < remaining <= 2000  # nobody extends it any more: it will expire
    with RedisStoreLock(client).hold(A, TTL) as taken:
        assert not taken


@pytest.fixture(params=["in-process", "redis"])
def guards(request):
    if request.param == "in-process":
        guard = InProcessScheduleGuard()
        return guard, guard
    first, second = request.getfixturevalue("clients")
    return RedisScheduleGuard(first), RedisScheduleGuard(second)


def test_a_claim_is_granted_once_per_period(guards):
    first, second = guards
    assert first.claim("order-sync:a", timedelta(minutes=15))
    assert not second.claim("order-sync:a", timedelta(minutes=15))
    assert not first.claim("order-sync:a", timedelta(minutes=15))
    assert second.claim("order-sync:b", timedelta(minutes=15))


def test_a_released_claim_can_be_taken_again(guards):
    first, second = guards
    assert first.claim("order-sync:a", timedelta(minutes=15))
    first.release("order-sync:a")
    assert second.claim("order-sync:a", timedelta(minutes=15))


def test_a_claim_lapses_with_its_period(guards):
    first, second = guards
    assert first.claim("sweep", timedelta(milliseconds=100))
    threading.Event().wait(0.2)
    assert second.claim("sweep", timedelta(milliseconds=100))


def test_many_racing_claimants_get_one_claim(guards):
    """Twenty threads split over both handles ask at once; one wins."""
    first, second = guards
    start = threading.Barrier(20)
    wins = []

    def ask(guard):
        start.wait()
        wins.append(guard.claim("order-sync:race", timedelta(minutes=15)))

    threads = [threading.Thread(target=ask, args=(g,)) for g in (first, second) * 10]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wins.count(True) == 1


@pytest.fixture(params=["in-process", "redis"])
def slots(request):
    if request.param == "in-process":
        shared = InProcessSyncSlots(3)
        return shared, shared
    first, second = request.getfixturevalue("clients")
    return RedisSyncSlots(first, 3, TTL), RedisSyncSlots(second, 3, TTL)


def test_at_most_three_slots_are_taken(slots):
    first, second = slots
    with first.hold() as one, second.hold() as two, first.hold() as three:
        assert (one, two, three) == (True, True, True)
        with second.hold() as four:
            assert not four
    with second.hold() as again:
        assert again


def test_a_changed_period_counts_from_the_next_claim(guards):
    """Issue 18, section 3: a claim is measured against the period asked now, so a store's
    sync interval shortened or lengthened counts from the scheduler's next tick."""
    first, second = guards
    assert first.claim("order-sync:a", timedelta(minutes=15))
    threading.Event().wait(0.15)
    assert not second.claim("order-sync:a", timedelta(minutes=15))
    assert second.claim("order-sync:a", timedelta(milliseconds=100))  # shortened: lapsed
    assert not first.claim("order-sync:a", timedelta(milliseconds=100))
    threading.Event().wait(0.15)
    assert not first.claim("order-sync:a", timedelta(minutes=15))  # lengthened: still held
