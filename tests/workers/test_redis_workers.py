"""Background work on a real Redis with `shipcrowd-woo worker` and `scheduler` processes:
jobs run and report, one store never syncs twice at once, at most three stores sync at once,
a worker killed mid-sync leaves its job to another with nothing duplicated, and two
schedulers never queue the same sync twice."""

import os
import re
import signal

import pytest
from sqlalchemy import func, select

from shipcrowd_woo.adapters.sqlalchemy.tables import OrderLineRow, OrderRow
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import JobState, SyncMode, SyncOrders
from shipcrowd_woo.domain.pagination import PageRequest
from shipcrowd_woo.domain.sync_log import SyncStatus, SyncType
from shipcrowd_woo.entrypoints.flask_app import create_app
from tests.apps import bearer
from tests.clusters import COMMAND, COMPANY, DRAMATIQ, sync_runs_overlap


def _full_sync(cluster, store_id):
    return cluster.services.jobs.submit(COMPANY, SyncOrders(COMPANY, store_id, SyncMode.FULL))


def _job(cluster, job_id):
    return cluster.services.jobs.status(COMPANY, JobId(job_id))


def _order_runs(cluster, store_id):
    with cluster.services.uow_factory() as uow:
        return uow.sync_logs.page(store_id, SyncType.ORDER, PageRequest(limit=100)).items


WORKERS = {
    "shipcrowd-woo worker": [COMMAND, "worker", "--threads", "2"],
    "dramatiq": [
        DRAMATIQ,
        "shipcrowd_woo.entrypoints.processes:setup_dramatiq",
        "--processes",
        "1",
        "--threads",
        "2",
    ],
}


@pytest.mark.parametrize("command", WORKERS.values(), ids=WORKERS.keys())
def test_a_job_is_queued_processed_and_reported(cluster, sandboxes, command):
    server = sandboxes(orders=250)
    store_id = cluster.install(server)
    cluster.start_program(command)
    record = _full_sync(cluster, store_id)
    cluster.job_line(record.id, ") completed:")
    app = create_app(services=cluster.services, background=False)
    answer = app.test_client().get(
        f"/integrations/woocommerce/sync/jobs/{record.id}", headers=bearer(COMPANY)
    )
    assert answer.status_code == 200
    job = answer.get_json()
    assert (job["state"], job["attempts"]) == ("completed", 1)
    assert (job["result"]["created"], job["result"]["status"]) == (250, "completed")


def test_one_store_never_syncs_twice_at_once_across_two_workers(cluster, sandboxes, gate):
    server = sandboxes(orders=300)
    store_id = cluster.install(server)
    holding = gate(hold_from=1)
    holding.around(server)
    first = cluster.start("worker", "--threads", "1")
    second = cluster.start("worker", "--threads", "1")
    jobs = [_full_sync(cluster, store_id), _full_sync(cluster, store_id)]
    holding.arrived()
    # Both may log "started" before either takes the store's lock: the one turned away by
    # the lock, not the first to start, is the one waiting.
    deferred = cluster.wait_for(
        lambda line: "deferred: another order sync" in line.get("message", "")
    )
    waiting = next(job for job in jobs if deferred["message"].startswith(f"job {job.id}"))
    running = next(job for job in jobs if job is not waiting)
    started = cluster.job_line(running.id, "started")
    assert {started["from"], deferred["from"]} == {first.pid, second.pid}
    holding.open()
    for job in jobs:
        cluster.job_line(job.id, ") completed:")
    runs = _order_runs(cluster, store_id)
    assert [run.status for run in runs] == [SyncStatus.COMPLETED] * 2
    assert sync_runs_overlap(runs) == 1


def test_at_most_three_stores_sync_at_once(cluster, sandboxes, gate):
    holding = gate(hold_from=1)
    stores = []
    for _ in range(5):
        server = sandboxes(orders=120)
        stores.append(cluster.install(server))
        holding.around(server)
    cluster.start("worker", "--threads", "4")
    cluster.start("worker", "--threads", "4")
    jobs = [_full_sync(cluster, store_id) for store_id in stores]
    inside = [holding.arrived() for _ in range(3)]
    assert len(set(inside)) == 3
    started = {
        cluster.wait_for(lambda line: " started, " in line.get("message", ""))["message"].split()[1]
        for _ in range(3)
    }
    for job in jobs:
        if job.id not in started:
            cluster.job_line(job.id, "waits for a free sync slot")
    # Three syncs hold the three slots at the gate; the other two were turned away.
    assert holding.arrivals.empty()
    holding.open()
    for job in jobs:
        cluster.job_line(job.id, ") completed:")
    runs = [run for store_id in stores for run in _order_runs(cluster, store_id)]
    assert len(runs) == 5
    assert sync_runs_overlap(runs) == 3


def test_a_worker_killed_mid_sync_leaves_the_job_to_another(cluster, sandboxes, gate):
    server = sandboxes(orders=1000)
    store_id = cluster.install(server)
    holding = gate(hold_from=3)
    holding.around(server)
    workers = {p.pid: p for p in (cluster.start("worker", "--threads", "1") for _ in range(2))}
    record = _full_sync(cluster, store_id)
    holding.arrived()
    started = cluster.job_line(record.id, "started, attempt 1")
    os.kill(started["from"], signal.SIGKILL)
    workers[started["from"]].popen.wait()
    assert _job(cluster, record.id).state is JobState.RUNNING
    holding.open()

    finished = cluster.job_line(record.id, ") completed:")
    assert finished["from"] != started["from"]
    job = _job(cluster, record.id)
    assert (job.state, job.attempts) == (JobState.COMPLETED, 2)
    with cluster.services.engine.connect() as connection:
        orders = connection.scalar(select(func.count()).select_from(OrderRow))
        lines = connection.scalar(select(func.count()).select_from(OrderLineRow))
    assert orders == len(server.store.orders) == 1000
    assert lines == sum(len(order["line_items"]) for order in server.store.orders.values())
    runs = _order_runs(cluster, store_id)
    # The killed run never ended (the scheduler's sweep fails it later); the second did.
    assert sorted(run.status.value for run in runs) == ["completed", "in_progress"]


def test_two_schedulers_never_queue_one_sync_twice(cluster, sandboxes):
    stores = {cluster.install(sandboxes(orders=10)) for _ in range(3)}
    debug = {
        "SHIPCROWD_WOO_SCHEDULER_TICK_SECONDS": "0.05",
        "SHIPCROWD_WOO_LOG_LEVEL": "DEBUG",
        # Reconciliations due every second, so the ticks' other work is always in the lines
        # (otherwise it is due at each store's own hour of the day).
        "SHIPCROWD_WOO_RECONCILE_SECONDS": "1",
    }
    schedulers = [cluster.start("scheduler", **debug) for _ in range(2)]
    queued = []
    while len(queued) < 3:
        line = cluster.wait_for(lambda line: "syncs_queued=('" in line.get("message", ""))
        [syncs] = re.findall(r"syncs_queued=\(([^)]*)\)", line["message"])
        queued += [s for s in stores if s in syncs]
    for scheduler in schedulers:
        for _ in range(20):
            cluster.wait_for(
                lambda line, pid=scheduler.pid: (
                    line["from"] == pid and line.get("message", "").startswith("scheduler tick")
                )
            )
    cluster.stop_all()
    assert sorted(queued) == sorted(stores)
    with cluster.services.uow_factory() as uow:
        queued_jobs = uow.jobs.stalled_before(cluster.services.clock.now(), 100)
    syncs = [job for job in queued_jobs if isinstance(job.job, SyncOrders)]
    assert sorted(job.store_id for job in syncs) == sorted(stores)
    assert all(job.job.mode is SyncMode.INCREMENTAL for job in syncs)
    assert cluster.services.queue.depth() == len(queued_jobs)
