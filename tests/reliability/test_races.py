"""Races on PostgreSQL and Redis with real worker processes: 1,000 webhook deliveries for 500
orders — several versions of half of them, every delivery sent twice, concurrently, shuffled —
while the scheduler's incremental import of the same orders runs. Exactly 500 orders remain,
each holding its newest version; nothing lost, nothing duplicated; the sync counts add up; the
order feed numbered without a gap, each order's last event its newest version."""

import json
import random
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from shipcrowd_woo.adapters.sqlalchemy.tables import (
    ConfirmationRow,
    DeliveryRow,
    JobRow,
    OrderEventRow,
    OrderRow,
)
from shipcrowd_woo.domain.pagination import PageRequest
from shipcrowd_woo.domain.sync_log import SyncType
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.entrypoints.flask_app import create_app
from shipcrowd_woo.sandbox.delivery import delivery_headers
from tests.reliability.conftest import lines_per_order, served, sign

ORDERS = 500
DELIVERIES = 1000


def _versions(store):
    """Every order's current JSON, then two more saves of every other order (status moves
    and a note), each captured as the store would deliver it: 1,000 bodies."""
    ids = sorted(store.orders)[:ORDERS]
    bodies = [json.dumps(store.order_json(i)).encode() for i in ids]
    for round_number in range(2):
        for order_id in ids[::2]:
            store.update_order(order_id, customer_note=f"save {round_number} of {order_id}")
            bodies.append(json.dumps(store.order_json(order_id)).encode())
    return bodies


def _waiting_confirmations(services) -> int:
    with services.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(ConfirmationRow)).scalar_one()


def test_racing_deliveries_and_a_scheduled_import(pg_cluster, sandboxes, figures):
    server = sandboxes(orders=ORDERS)
    store_id = pg_cluster.install(server)
    services = pg_cluster.services
    with services.uow_factory() as uow:
        hook = next(w for w in uow.webhooks.for_store(store_id) if w.topic is Topic.ORDER_UPDATED)
    secret = services.context.secrets.open(hook.secret).reveal()
    bodies = _versions(server.store)
    assert len(bodies) == DELIVERIES
    sends = [body for body in bodies for _ in range(2)]
    random.Random(20261125).shuffle(sends)

    for _ in range(2):
        pg_cluster.start("worker", "--threads", "4")
    pg_cluster.start("scheduler", SHIPCROWD_WOO_SCHEDULER_TICK_SECONDS="0.1")
    pg_cluster.wait_for(lambda line: f"syncs_queued=('{store_id}'" in line.get("message", ""))

    app = create_app(services=services, background=False)
    with served(app) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:

        def deliver(body: bytes) -> str:
            response = client.post(
                "/webhooks/woocommerce/order/updated",
                content=body,
                # WooCommerce's Delivery-ID repeats within a second: never a dedupe key.
                headers=delivery_headers(
                    server.url + "/",
                    "order.updated",
                    hook.woo_webhook_id,
                    sign(secret, body),
                    delivery_id="0" * 32,
                ),
            )
            assert response.status_code == 200, response.text
            return str(response.json()["status"])

        with ThreadPoolExecutor(16) as pool:
            verdicts = Counter(pool.map(deliver, sends))

    assert verdicts == {"accepted": DELIVERIES, "duplicate": DELIVERIES}
    settled, syncs = 0, 0
    while settled < DELIVERIES or syncs < 1:
        line = pg_cluster.wait_for(
            lambda line: (
                "(sync_orders) completed:" in line.get("message", "")
                or "inbox drained:" in line.get("message", "")
            )
        )
        if "inbox drained:" in line["message"]:
            settled += sum(
                int(n) for n in re.findall(r"(\d+) (?:processed|failed)", line["message"])
            )
        else:
            syncs += 1
    # Orders the version rule could not prove newest are fetched again a second later.
    while _waiting_confirmations(services):
        pg_cluster.wait_for(lambda line: "(confirm_orders) completed:" in line.get("message", ""))

    with services.engine.connect() as connection:
        orders = connection.execute(
            select(OrderRow.source_id, OrderRow.woo_status, OrderRow.customer_note)
        ).all()
        lines = lines_per_order(connection)
        states = Counter(connection.execute(select(DeliveryRow.state)).scalars())
        confirmed = connection.execute(
            select(func.count()).where(JobRow.kind == "confirm_orders")
        ).scalar_one()
        published = connection.execute(
            select(OrderEventRow.seq, OrderEventRow.source_id, OrderEventRow.data).order_by(
                OrderEventRow.seq
            )
        ).all()
    expected = {i: server.store.orders[i] for i in sorted(server.store.orders)[:ORDERS]}
    present = {source_id: (status, note) for source_id, status, note in orders}
    stale = [
        i
        for i, order in expected.items()
        if present.get(i) != (order["status"], order["customer_note"])
    ]
    duplicated = len(orders) - len(present)
    # The feed: numbered without a gap, and each order's last event is its newest version.
    last_note = {
        source_id: json.loads(data)["order"]["customer_note"] for _, source_id, data in published
    }
    last_status = {
        source_id: json.loads(data)["order"]["woo_status"] for _, source_id, data in published
    }
    feed_stale = [
        i
        for i, order in expected.items()
        if (last_status.get(i), last_note.get(i)) != (order["status"], order["customer_note"])
    ]
    # Counted before the checks, so that a failing run (bench/race_soak) still reports them.
    section = figures["races (PostgreSQL + Redis, 2 workers, scheduler)"]
    section["deliveries sent"] += len(sends)
    section["deliveries accepted"] += verdicts["accepted"]
    section["deliveries rejected as duplicates"] += verdicts["duplicate"]
    section["deliveries processed"] += states["processed"]
    section["orders expected"] += ORDERS
    section["orders present"] += len(present)
    section["orders duplicated"] += duplicated
    section["orders not on their newest version"] += len(stale)
    section["confirming jobs run"] += confirmed
    section["feed events published"] += len(published)
    section["orders whose last event is not their newest version"] += len(feed_stale)
    assert (len(orders), duplicated, stale) == (ORDERS, 0, [])
    assert [seq for seq, _, _ in published] == list(range(1, len(published) + 1))
    assert feed_stale == []
    assert lines == {i: len(order["line_items"]) for i, order in expected.items()}
    assert states == {"processed": DELIVERIES}
    with services.uow_factory() as uow:
        runs = uow.sync_logs.page(store_id, SyncType.ORDER, PageRequest(limit=100)).items
    assert runs
    for run in runs:
        assert run.processed == run.synced + run.skipped + run.failed
        assert run.failed == 0
