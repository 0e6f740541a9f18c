"""Worker and scheduler processes (`shipcrowd-woo worker` / `scheduler`) on a real Redis and a
database, with sandbox stores served over HTTP; their JSON log lines are what the tests
wait on (reading a pipe blocks until the line is there: no polling)."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import attrs
import pytest

from shipcrowd_woo.adapters.crypto import generate_key_text, parse_encryption_keys
from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.entrypoints.bootstrap import Services, bootstrap
from shipcrowd_woo.entrypoints.settings import Settings
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.apps import JWT_SECRET
from tests.databases import sqlite_url
from tests.leaks import WATCH

COMPANY = CompanyId("acme")
COMMAND = str(Path(sys.executable).parent / "shipcrowd-woo")
DRAMATIQ = str(Path(sys.executable).parent / "dramatiq")
WAIT = 120.0


def orders_listing(environ: dict[str, Any]) -> bool:
    """GET …/wc/v3/orders: a page of an order import."""
    return bool(
        environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"].endswith("/wc/v3/orders")
    )


def stock_batch(environ: dict[str, Any]) -> bool:
    """POST …/batch: a request of an inventory push."""
    return bool(environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/batch"))


class RequestGate:
    """Holds the requests `matches` accepts from the `hold_from`-th on (per server) until
    opened, and reports each held one."""

    def __init__(
        self, hold_from: int = 1, matches: Callable[[dict[str, Any]], bool] = orders_listing
    ) -> None:
        self.hold_from = hold_from
        self.matches = matches
        self.arrivals: queue.Queue[str] = queue.Queue()
        self.opened = threading.Event()

    def around(self, server: SandboxServer) -> None:
        seen = 0
        lock = threading.Lock()

        def middleware(app: Any) -> Any:
            def gated(environ: dict[str, Any], start_response: Any) -> Any:
                nonlocal seen
                if self.matches(environ) and not self.opened.is_set():
                    with lock:
                        seen += 1
                        held = seen >= self.hold_from
                    if held:
                        page = parse_qs(environ.get("QUERY_STRING", "")).get("page", ["1"])[0]
                        self.arrivals.put(f"{server.url} page {page}")
                        self.opened.wait()
                return app(environ, start_response)

            return gated

        server.wrap(middleware)

    def arrived(self, timeout: float = WAIT) -> str:
        return self.arrivals.get(timeout=timeout)

    def open(self) -> None:
        self.opened.set()


@attrs.define
class Process:
    """A running command and its log lines."""

    name: str
    popen: subprocess.Popen[str]

    @property
    def pid(self) -> int:
        return self.popen.pid


@attrs.define
class Cluster:
    """The database, Redis and settings shared by the test and its processes."""

    directory: Path
    env: dict[str, str]
    settings: Settings
    services: Services
    lines: queue.Queue[dict[str, Any]] = attrs.Factory(queue.Queue)
    processes: list[Process] = attrs.Factory(list)
    seen: list[dict[str, Any]] = attrs.Factory(list)

    def start(self, *command: str, **env: str) -> Process:
        """Run `shipcrowd-woo <command>`, its stderr lines fed to `lines`."""
        return self.start_program([COMMAND, *command], **env)

    def start_program(self, command: list[str], **env: str) -> Process:
        """Run a program, its stderr lines fed to `lines`."""
        popen = subprocess.Popen(
            command,
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        process = Process(" ".join(command[1:]), popen)
        threading.Thread(target=self._read, args=(process,), daemon=True).start()
        self.processes.append(process)
        return process

    def _read(self, process: Process) -> None:
        assert process.popen.stderr is not None
        for raw in process.popen.stderr:
            WATCH.search(raw, f"process {process.name}")
            try:
                line = json.loads(raw)
            except ValueError:
                line = {"message": raw.rstrip(), "unparsed": True}
            line["from"] = process.pid
            self.lines.put(line)

    def wait_for(
        self, wanted: Callable[[dict[str, Any]], bool], timeout: float = WAIT
    ) -> dict[str, Any]:
        """The first line (since the last call's) that `wanted` accepts, within `timeout`
        in all (processes that keep logging other lines must not make it wait forever)."""
        for line in self.seen:
            if wanted(line):
                self.seen.remove(line)
                return line
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                tail = "\n".join(str(x) for x in self.seen[-20:])
                raise AssertionError(f"no such log line within {timeout}s; last:\n{tail}") from None
            if wanted(line):
                return line
            self.seen.append(line)

    def job_line(self, job_id: str, words: str, timeout: float = WAIT) -> dict[str, Any]:
        """The log line saying `words` of the job."""
        return self.wait_for(
            lambda line: (
                line.get("message", "").startswith(f"job {job_id}") and words in line["message"]
            ),
            timeout,
        )

    def stop_all(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()
            if process.popen.stderr:
                process.popen.stderr.close()

    def install(self, server: SandboxServer) -> str:
        """Connect the sandbox store (over HTTP); its store id."""
        key, secret = server.store.create_api_key()
        installed = self.services.stores.install(COMPANY, server.url, Secret(key), Secret(secret))
        return installed.store.id


@contextmanager
def running_cluster(database_url: str, redis_url: str, directory: Path) -> Iterator[Cluster]:
    """Settings for the test and its processes on this database and Redis; every process
    stopped at the end."""
    keys = generate_key_text("k1")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SHIPCROWD_WOO_DATABASE_URL": database_url,
        "SHIPCROWD_WOO_REDIS_URL": redis_url,
        "SHIPCROWD_WOO_ENCRYPTION_KEYS": keys,
        "SHIPCROWD_WOO_ALLOW_PRIVATE_HOSTS": "true",
        "SHIPCROWD_WOO_PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "SHIPCROWD_WOO_JOB_DEFER_SECONDS": "0.2",
        "SHIPCROWD_WOO_JOB_MIN_BACKOFF_SECONDS": "0.1",
        "SHIPCROWD_WOO_SYNC_LOCK_TTL_SECONDS": "2",
        "SHIPCROWD_WOO_WORKER_HEARTBEAT_TIMEOUT_SECONDS": "2",
        "SHIPCROWD_WOO_LOG_FORMAT": "json",
        "SHIPCROWD_WOO_JWT_SECRET": JWT_SECRET,
    }
    settings = Settings.from_env(env)
    assert settings.encryption_keys == tuple(parse_encryption_keys(keys))
    services = bootstrap(settings)
    built = Cluster(directory, env, settings, services)
    try:
        yield built
    finally:
        built.stop_all()
        services.close()


@pytest.fixture
def cluster(redis_url, migrated_sqlite_template, tmp_path) -> Iterator[Cluster]:
    """Worker and scheduler processes over a SQLite file and the test Redis."""
    database = tmp_path / "cluster.sqlite3"
    shutil.copy(migrated_sqlite_template, database)
    with running_cluster(sqlite_url(database), redis_url, tmp_path) as built:
        yield built


@pytest.fixture
def sandboxes() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandbox servers; all stopped at the end."""
    started: list[SandboxServer] = []

    def start(
        orders: int = 300, seed: int = 31, products: int = 8, variable_every: int = 5
    ) -> SandboxServer:
        store = SandboxStore(
            seed=seed + len(started),
            products=products,
            orders=orders,
            variable_every=variable_every,
        )
        server = SandboxServer(store)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


def sync_runs_overlap(runs: list[Any]) -> int:
    """The most runs in progress at one instant."""
    events = sorted(
        [(run.started_at, 1) for run in runs] + [(run.ended_at, -1) for run in runs],
        key=lambda event: (event[0], event[1]),
    )
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


@pytest.fixture
def gate(sandboxes: Any) -> Iterator[Callable[..., RequestGate]]:
    """Request gates, opened at the end whatever happened (before the servers stop)."""
    made: list[RequestGate] = []

    def make(
        hold_from: int = 1, matches: Callable[[dict[str, Any]], bool] = orders_listing
    ) -> RequestGate:
        made.append(RequestGate(hold_from, matches))
        return made[-1]

    yield make
    for each in made:
        each.open()
