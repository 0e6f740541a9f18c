"""`shipcrowd-woo serve` as an operator runs it on one machine: gunicorn on a port, SQLite, and
(no Redis configured) the job worker inside the same process. Its log lines on stderr are what
the test waits on; reading a pipe blocks until a line is there, so nothing polls."""

import contextlib
import fcntl
import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from shipcrowd_woo.adapters.crypto import generate_key_text
from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine
from shipcrowd_woo.adapters.sqlalchemy.tables import DeliveryRow, OrderRow
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.apps import JWT_SECRET, bearer
from tests.databases import sqlite_url
from tests.leaks import WATCH
from tests.servers import free_port

COMMAND = str(Path(sys.executable).parent / "shipcrowd-woo")
WAIT = 60.0
REQUEST_SECONDS = 3
SLOW = "slow clients (shipcrowd-woo serve, 2 app threads)"


class Served:
    """The serve process, its base URL and its stderr lines."""

    def __init__(self, env: dict[str, str], port: int, threads: int) -> None:
        self.env, self.port, self.threads = env, port, threads
        self.url = f"http://127.0.0.1:{port}"
        self.address = ("127.0.0.1", port)
        self.lines: queue.Queue[str] = queue.Queue()
        self.popen = subprocess.Popen(
            [COMMAND, "serve", "--bind", f"127.0.0.1:{port}", "--threads", str(threads)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group: kill_all() kills gunicorn's worker with its master, as a
            # crash of the machine would (a worker outlives a master killed alone).
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            WATCH.search(line, "shipcrowd-woo serve")
            self.lines.put(line)

    def kill_all(self) -> None:
        """SIGKILL to every process of the server at once."""
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def close(self) -> None:
        """Kill the process if it still runs; release its pipe."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        self._reader.join()
        assert self.popen.stderr is not None
        self.popen.stderr.close()

    def wait_for(self, words: str) -> str:
        """The first line from now on that contains `words`."""
        while True:
            line = self.lines.get(timeout=WAIT)
            if words in line:
                return line


def _install(client: httpx.Client, sandbox: SandboxServer) -> str:
    """Install the sandbox store through serve's API with a key of its own; the store id."""
    key, secret = sandbox.store.create_api_key()
    installed = client.post(
        "/integrations/woocommerce/install",
        headers=bearer(),
        json={"store_url": sandbox.url, "consumer_key": key, "consumer_secret": secret},
    )
    assert installed.status_code == 201, installed.text
    return str(installed.json()["store"]["id"])


def _serve(template: Path, directory: Path, threads: int, **settings: str) -> Served:
    database = directory / "serve.sqlite3"
    shutil.copy(template, database)
    port = free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "SHIPCROWD_WOO_DATABASE_URL": sqlite_url(database),
        "SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("k1"),
        "SHIPCROWD_WOO_JWT_SECRET": JWT_SECRET,
        "SHIPCROWD_WOO_ALLOW_PRIVATE_HOSTS": "true",
        "SHIPCROWD_WOO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SHIPCROWD_WOO_LOG_LEVEL": "info",
        **{f"SHIPCROWD_WOO_{name.upper()}": value for name, value in settings.items()},
    }
    return Served(env, port, threads)


@pytest.fixture
def served(migrated_sqlite_template, tmp_path):
    server = _serve(migrated_sqlite_template, tmp_path, threads=4)
    yield server
    server.close()


@pytest.fixture
def served_impatient(migrated_sqlite_template, tmp_path):
    """serve with two app threads and a request timeout of REQUEST_SECONDS."""
    server = _serve(
        migrated_sqlite_template,
        tmp_path,
        threads=2,
        request_timeout_seconds=str(REQUEST_SECONDS),
    )
    server.wait_for("Booting worker")
    yield server
    server.close()


def test_serve_answers_probes_and_runs_jobs_in_process_until_sigterm(served):
    """healthz and readyz answer; a store installed through the API is imported by the
    worker inside the serving process; SIGTERM ends it cleanly."""
    served.wait_for("Booting worker")
    with (
        SandboxServer(SandboxStore(seed=4, products=6, orders=150)) as sandbox,
        httpx.Client(base_url=served.url, timeout=WAIT) as client,
    ):
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        store_id = _install(client, sandbox)
        queued = client.post(
            f"/integrations/woocommerce/stores/{store_id}/sync/orders",
            headers=bearer(),
            json={"mode": "full"},
        )
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["id"]
        finished = json.loads(served.wait_for(f"job {job_id} (sync_orders) completed"))
        assert finished["job_id"] == job_id
        job = client.get(f"/integrations/woocommerce/sync/jobs/{job_id}", headers=bearer())
        assert job.json()["state"] == "completed"
        assert job.json()["result"]["synced"] == 150
    served.popen.send_signal(signal.SIGTERM)
    assert served.popen.wait(timeout=WAIT) == 0


def _slow_client(address: tuple[str, int], declared: int) -> socket.socket:
    """A connection that sent its headers and the first byte of a `declared`-byte body."""
    connection = socket.create_connection(address)
    connection.sendall(
        b"POST /webhooks/woocommerce/store/order.updated HTTP/1.1\r\nHost: shop\r\n"
        b"Content-Type: application/json\r\n"
        + f"Content-Length: {declared}\r\n\r\n".encode()
        + b"{"
    )
    return connection


def _answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection. A server that closes
    with part of the request unread resets the connection: that ends the answer too."""
    connection.settimeout(WAIT)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        assert received, "reset before any answer"
    return received


def test_slow_bodies_cost_the_server_a_socket_not_a_thread(served_impatient, figures):
    """Issue 14: ten clients that declare a 100 kB body and trickle it a byte at a time no
    longer starve the app's threads (here two): probes and the API keep answering while they
    trickle, and each of them is answered 408, as a problem, once REQUEST_SECONDS are up."""
    slow = [_slow_client(served_impatient.address, 100_000) for _ in range(10)]
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.5):
            for connection in slow:
                with contextlib.suppress(OSError):  # answered and closed: the point
                    connection.sendall(b" ")

    trickling = threading.Thread(target=trickle)
    trickling.start()
    try:
        with httpx.Client(base_url=served_impatient.url, timeout=REQUEST_SECONDS / 2) as client:
            for _ in range(10):
                assert client.get("/healthz").status_code == 200
                stores = client.get("/integrations/woocommerce/stores", headers=bearer())
                assert stores.status_code == 200, stores.text
                figures[SLOW]["requests answered while they trickled"] += 2
        answers = [_answer(connection) for connection in slow]
    finally:
        stop.set()
        trickling.join()
        for connection in slow:
            connection.close()
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert b"Connection: close" in head
        assert b"Content-Type: application/problem+json" in head
        assert json.loads(body)["status"] == 408
        figures[SLOW]["slow clients answered 408 when their time was up"] += 1
    figures[SLOW]["slow clients trickling a 100 kB body"] += len(slow)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: shop\r\nno colon here\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: shop\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n", 431),
        (b"POST /healthz HTTP/1.1\r\nHost: shop\r\nContent-Length: 999999999\r\n\r\n", 413),
    ],
    ids=["malformed", "headers-too-large", "body-over-every-limit"],
)
def test_the_servers_own_refusals_are_problems_that_close(served_impatient, request_bytes, status):
    """Issue 14 point 8: what the server refuses before the app sees it is problem+json too,
    and says Connection: close (the rest of such a request cannot be read)."""
    with socket.create_connection(served_impatient.address) as connection:
        connection.sendall(request_bytes)
        head, _, body = _answer(connection).partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode()
    assert b"Connection: close" in head
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == status


def test_a_body_the_app_refuses_as_too_large_leaves_the_connection_usable(served_impatient):
    """Issue 14 point 8: a 413 from the app (a body over the management limit) comes after
    the server read the whole body, so the kept-alive connection serves the next request."""
    with httpx.Client(base_url=served_impatient.url, timeout=WAIT) as client:
        refused = client.put(
            "/integrations/woocommerce/stock",
            headers={**bearer(), "Content-Type": "application/json"},
            content=b" " * (2 * 1024 * 1024),
        )
        assert refused.status_code == 413, refused.text
        assert refused.headers.get("Connection", "keep-alive") == "keep-alive"
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz").status_code == 200


KILLED = "serve killed with kill -9 mid-burst (issue 17)"


def test_what_serve_acknowledged_before_kill_9_is_processed_after_it_restarts(
    migrated_sqlite_template, tmp_path, figures
):
    """Issue 17: a 200 means the delivery is kept. The store sends a burst of order.updated
    deliveries one by one; serve drains its first batch, then (the test holding the
    writers' turn, so no drain can claim) accepts ten more and is killed with SIGKILL, the
    rest of the burst failing against the dead port. Started again on the same database,
    serve drains what the dead one acknowledged and left: every delivery answered 200 is in
    the inbox, processed, and its order is stored at the version it carried."""
    server = _serve(migrated_sqlite_template, tmp_path, threads=4)
    database = server.env["SHIPCROWD_WOO_DATABASE_URL"]
    server.wait_for("Booting worker")
    with SandboxServer(SandboxStore(seed=8, products=6, orders=300)) as sandbox:
        with httpx.Client(base_url=server.url, timeout=WAIT) as client:
            _install(client, sandbox)
        sandbox.deliverer.flush()
        sandbox.deliverer.sent.clear()
        armed, enough, answered = threading.Event(), threading.Event(), []
        deliver = sandbox.deliverer.deliver_now

        def counted(webhook, resource_id):
            # Armed when sent, not when answered: a delivery sent before the test held the
            # writers' turn may be drained while its 200 is still on the way back.
            sent_armed = armed.is_set()
            status = deliver(webhook, resource_id)
            if sent_armed and status == 200:
                answered.append(resource_id)
                if len(answered) == 10:
                    enough.set()
            return status

        sandbox.deliverer.deliver_now = counted
        for order_id in sorted(sandbox.store.orders):
            sandbox.store.update_order(order_id, customer_note=f"burst {order_id}")
        server.wait_for("inbox drained")
        # Its next drain cannot claim while the test holds the writers' turn: what serve
        # accepts from now on (each insert alone, the file not busy) is left waiting.
        with _writers_turn(database):
            armed.set()
            assert enough.wait(WAIT)
            server.kill_all()
        sandbox.deliverer.flush()
        sent = list(sandbox.deliverer.sent)
    server.close()
    acknowledged = [d for d in sent if d["status"] == 200]
    assert 0 < len(acknowledged) < len(sent)

    engine = make_engine(database)
    left = _waiting(engine)
    assert left >= 10
    again = Served(server.env, server.port, server.threads)
    try:
        while _waiting(engine):
            again.wait_for("inbox drained")
        with engine.connect() as connection:
            kept = dict(
                connection.execute(select(DeliveryRow.body_sha256, DeliveryRow.state)).all()
            )
            notes = dict(
                connection.execute(select(OrderRow.source_id, OrderRow.customer_note)).all()
            )
        engine.dispose()
    finally:
        again.close()
    digests = [hashlib.sha256(d["body"]).hexdigest() for d in acknowledged]
    assert [kept.get(digest) for digest in digests] == ["processed"] * len(acknowledged)
    assert all(notes[d["resource_id"]] == f"burst {d['resource_id']}" for d in acknowledged)
    figures[KILLED]["deliveries answered 200 before the kill"] += len(acknowledged)
    figures[KILLED]["deliveries refused by the dead server"] += len(sent) - len(acknowledged)
    figures[KILLED]["acknowledged, left waiting by the killed server"] += left
    figures[KILLED]["acknowledged and processed after the restart"] += list(kept.values()).count(
        "processed"
    )


@contextlib.contextmanager
def _writers_turn(database_url: str):
    """Hold the turn SQLite's writers take (engine.py, WriterQueue) for the database."""
    descriptor = os.open(make_url(database_url).database + "-writers", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _waiting(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).where(DeliveryRow.state == "received")
        ).scalar_one()
