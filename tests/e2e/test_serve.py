"""`shipcrowd-woo serve` as an operator runs it on one machine: gunicorn on a port, SQLite, and
(no Redis configured) the job worker inside the same process. Its log lines on stderr are what
the test waits on; reading a pipe blocks until a line is there, so nothing polls."""

import json
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

from shipcrowd_woo.adapters.crypto import generate_key_text
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.apps import JWT_SECRET, bearer
from tests.databases import sqlite_url
from tests.leaks import WATCH

COMMAND = str(Path(sys.executable).parent / "shipcrowd-woo")
WAIT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """The serve process, its base URL and its stderr lines."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.lines: queue.Queue[str] = queue.Queue()
        self.popen = subprocess.Popen(
            [COMMAND, "serve", "--bind", f"127.0.0.1:{port}", "--threads", "4"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            WATCH.search(line, "shipcrowd-woo serve")
            self.lines.put(line)

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


@pytest.fixture
def served(migrated_sqlite_template, tmp_path):
    database = tmp_path / "serve.sqlite3"
    shutil.copy(migrated_sqlite_template, database)
    port = _free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "SHIPCROWD_WOO_DATABASE_URL": sqlite_url(database),
        "SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("k1"),
        "SHIPCROWD_WOO_JWT_SECRET": JWT_SECRET,
        "SHIPCROWD_WOO_ALLOW_PRIVATE_HOSTS": "true",
        "SHIPCROWD_WOO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SHIPCROWD_WOO_LOG_LEVEL": "info",
    }
    server = Served(env, port)
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
        key, secret = sandbox.store.create_api_key()
        installed = client.post(
            "/integrations/woocommerce/install",
            headers=bearer(),
            json={"store_url": sandbox.url, "consumer_key": key, "consumer_secret": secret},
        )
        assert installed.status_code == 201, installed.text
        store_id = installed.json()["store"]["id"]
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
