"""Process faults on PostgreSQL and Redis with real worker processes: a worker SIGKILLed in
the middle of an import and of an inventory push, Redis restarted during a run, PostgreSQL
connections dropped in the middle of transactions. The work resumes (redelivery, retries),
nothing is duplicated, and no order is ever half written (an order commits with its lines)."""

import os
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select, text

from shipcrowd_woo.adapters.sqlalchemy.tables import OrderRow
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import JobState, PushInventory, SyncMode, SyncOrders
from shipcrowd_woo.services.inventory import StockLevel
from tests.clusters import COMPANY, running_cluster, stock_batch
from tests.reliability.conftest import lines_per_order

SECTION = "process faults (PostgreSQL + Redis, worker processes)"


def _orders_whole(cluster, server):
    """Every order present once, each with all its lines."""
    with cluster.services.engine.connect() as connection:
        orders = connection.scalar(select(func.count()).select_from(OrderRow))
        distinct = connection.scalar(select(func.count(func.distinct(OrderRow.source_id))))
        lines = lines_per_order(connection)
    expected = {i: len(o["line_items"]) for i, o in server.store.orders.items()}
    return orders, orders - distinct, {i for i, n in expected.items() if lines.get(i) != n}


def _job(cluster, job_id):
    return cluster.services.jobs.status(COMPANY, JobId(job_id))


def _killed_mid_job(cluster, gate, submit, figures, what):
    """Two one-thread workers; the one that starts the job is killed while the store holds
    one of its requests; the other must finish it."""
    workers = {p.pid: p for p in (cluster.start("worker", "--threads", "1") for _ in range(2))}
    record = submit()
    gate.arrived()
    started = cluster.job_line(record.id, "started, attempt 1")
    os.kill(started["from"], signal.SIGKILL)
    workers[started["from"]].popen.wait()
    gate.open()
    finished = cluster.job_line(record.id, ") completed:")
    assert finished["from"] != started["from"]
    job = _job(cluster, record.id)
    assert (job.state, job.attempts) == (JobState.COMPLETED, 2)
    figures[SECTION][f"workers killed mid-{what}"] += 1
    figures[SECTION]["faults survived"] += 1


def test_a_worker_killed_mid_import(pg_cluster, sandboxes, gate, figures):
    server = sandboxes(orders=1200)
    store_id = pg_cluster.install(server)
    held = gate(hold_from=4)
    held.around(server)
    _killed_mid_job(
        pg_cluster,
        held,
        lambda: pg_cluster.services.jobs.submit(
            COMPANY, SyncOrders(COMPANY, store_id, SyncMode.FULL)
        ),
        figures,
        "import",
    )
    orders, duplicated, partial = _orders_whole(pg_cluster, server)
    assert (orders, duplicated, partial) == (1200, 0, set())


def test_a_worker_killed_mid_inventory_push(pg_cluster, sandboxes, gate, figures):
    server = sandboxes(orders=0, products=1500, variable_every=0)
    store_id = pg_cluster.install(server)
    services = pg_cluster.services
    products = list(server.store.products.values())
    services.inventory.set_stock(
        COMPANY, [StockLevel(p["sku"], 1 + i % 40) for i, p in enumerate(products)]
    )
    services.mappings.auto_map(COMPANY, store_id)
    held = gate(hold_from=5, matches=stock_batch)
    held.around(server)
    _killed_mid_job(
        pg_cluster,
        held,
        lambda: services.jobs.submit(COMPANY, PushInventory(COMPANY, store_id)),
        figures,
        "inventory-push",
    )
    assert [p["stock_quantity"] for p in products] == [1 + i % 40 for i in range(len(products))]
    with services.uow_factory() as uow:
        erroring = [m for m in uow.mappings.for_store(COMPANY, store_id) if m.sync_errors]
    assert erroring == []


@pytest.fixture
def restartable_redis(tmp_path) -> Iterator["RedisServer"]:
    """A private redis-server with an append-only file, so a restart keeps the queue, as a
    production Redis does."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (bash .ci/run installs it)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if "Ready to accept connections" in line:
                break
        self._drain = threading.Thread(target=self.process.stdout.read, daemon=True)
        self._drain.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with redis.Redis.from_url(self.url) as client:
                client.shutdown()
            self.process.wait()
            self._drain.join()
            assert self.process.stdout is not None
            self.process.stdout.close()


def test_redis_restarted_during_a_run(
    pg_database, restartable_redis, sandboxes, gate, tmp_path, figures
):
    server = sandboxes(orders=800)
    with running_cluster(pg_database, restartable_redis.url, tmp_path) as cluster:
        store_id = cluster.install(server)
        held = gate(hold_from=3)
        held.around(server)
        cluster.start("worker", "--threads", "2")
        record = cluster.services.jobs.submit(COMPANY, SyncOrders(COMPANY, store_id, SyncMode.FULL))
        held.arrived()
        restartable_redis.stop()
        restartable_redis.start()
        held.open()
        cluster.job_line(record.id, ") completed:")
        assert _job(cluster, record.id).state is JobState.COMPLETED
        orders, duplicated, partial = _orders_whole(cluster, server)
    assert (orders, duplicated, partial) == (800, 0, set())
    figures[SECTION]["Redis restarts"] += 1
    figures[SECTION]["faults survived"] += 1


def test_postgres_connections_dropped_mid_transaction(pg_cluster, sandboxes, figures):
    """While an import writes pages, every worker connection is terminated three times; the
    job retries, and every order is there once with all its lines."""
    server = sandboxes(orders=3000)
    store_id = pg_cluster.install(server)
    pg_cluster.start("worker", "--threads", "2")
    record = pg_cluster.services.jobs.submit(COMPANY, SyncOrders(COMPANY, store_id, SyncMode.FULL))
    pg_cluster.job_line(record.id, "started, attempt 1")
    dropped = 0
    with pg_cluster.services.engine.connect() as admin:
        for _ in range(3):
            threading.Event().wait(0.15)  # let a page transaction get under way
            dropped += admin.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            admin.commit()
    pg_cluster.job_line(record.id, ") completed:")
    job = _job(pg_cluster, record.id)
    assert job.state is JobState.COMPLETED
    orders, duplicated, partial = _orders_whole(pg_cluster, server)
    assert (orders, duplicated, partial) == (3000, 0, set())
    figures[SECTION]["PostgreSQL connections dropped"] += dropped
    figures[SECTION]["faults survived"] += 3
