"""Push delivery under process faults (issue 31, point 5) on PostgreSQL and Redis with real
worker processes: the delivering worker SIGKILLed mid-burst, while the subscriber holds one
of its deliveries. Another worker takes the subscription up once the dead one's hold lapses:
every event reaches the subscriber, an id at most twice, never missing, in sequence."""

import json
import os
import signal

import standardwebhooks

from shipcrowd_woo.domain.jobs import SyncMode, SyncOrders
from shipcrowd_woo.services.subscriptions import SAVE_EVERY
from tests.clusters import COMPANY

SECTION = "process faults (PostgreSQL + Redis, worker processes)"
ORDERS = 300
# Short timeouts, so the killed deliverer's hold (twice the timeout) lapses in seconds.
FAST = {"SHIPCROWD_WOO_SUBSCRIPTION_TIMEOUT_SECONDS": "2"}


def test_the_delivering_worker_killed_mid_burst_loses_no_event(
    pg_cluster, sandboxes, receiver, figures
):
    """Killed while its 40th delivery is held at the subscriber: the 300 events all
    arrive, each order's in sequence once duplicates are set aside, each a valid
    signature."""
    server = sandboxes(orders=ORDERS)
    store_id = pg_cluster.install(server)
    services = pg_cluster.services
    created = services.subscriptions.create(COMPANY, receiver.url + "/hooks", after=0)
    receiver.hold_at = 40
    doomed = pg_cluster.start("worker", "--threads", "2", **FAST)
    services.jobs.submit(COMPANY, SyncOrders(COMPANY, store_id, SyncMode.FULL))
    assert receiver.arrived.wait(120)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.popen.wait()
    receiver.release.set()
    pg_cluster.start("worker", "--threads", "2", **FAST)
    pg_cluster.start("scheduler", SHIPCROWD_WOO_SCHEDULER_TICK_SECONDS="0.2", **FAST)
    expected = [e.id for e in services.feed.events(COMPANY, 0, 1000).events]
    received = receiver.wait_for(ORDERS, timeout=120)
    while {r["headers"]["Webhook-Id"] for r in received} != set(expected):
        received = receiver.wait_for(len(received) + 1, timeout=120)
        assert len(received) < 3 * ORDERS, "deliveries stopped short of the feed"
    ids = [r["headers"]["Webhook-Id"] for r in received]
    assert len(expected) == ORDERS
    assert sorted(dict.fromkeys(ids)) == sorted(expected)
    verifier = standardwebhooks.Webhook(created.secret.reveal())
    bodies = [verifier.verify(r["body"], r["headers"]) for r in received]
    # Different orders' events go side by side; within an order, an event older than one
    # already arrived is only ever a redelivery (the cursor went back to it).
    newest: dict[int, int] = {}
    seen: set[int] = set()
    for body in bodies:
        order, seq = body["order_id"], body["seq"]
        assert seq >= newest.get(order, 0) or seq in seen, (order, seq)
        newest[order] = max(newest.get(order, 0), seq)
        seen.add(seq)
    # Only events sent since the dead deliverer last saved its cursor come twice.
    assert len(ids) - len(set(ids)) <= SAVE_EVERY
    assert all(json.loads(r["body"])["type"] == "order.created" for r in received)
    figures[SECTION]["deliverers killed mid-burst"] += 1
    figures[SECTION]["faults survived"] += 1
