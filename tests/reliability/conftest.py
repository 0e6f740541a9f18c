"""The reliability suite: clusters on PostgreSQL and Redis, the app served on a real port, and
the figures printed as one table at the end of the run."""

import base64
import hashlib
import hmac
import threading
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
from shipcrowd_woo.sandbox.server import QuietRequestHandler
from tests.clusters import running_cluster
from tests.databases import create_postgres_database, drop_postgres_database
from tests.servers import POSTGRES_URL_VARIABLE, server_url

FIGURES: defaultdict[str, Counter[str]] = defaultdict(Counter)


@pytest.fixture
def figures() -> defaultdict[str, Counter[str]]:
    """section -> figure -> count, summed over the suite."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.write_sep("=", "reliability figures")
    width = max(len(name) for counts in FIGURES.values() for name in counts)
    for section, counts in FIGURES.items():
        terminalreporter.write_line(section)
        for name, value in counts.items():
            terminalreporter.write_line(f"  {name:<{width}}  {value:>8,}")


@pytest.fixture
def pg_database():
    """A fresh PostgreSQL database migrated to head, dropped afterwards."""
    admin = server_url(POSTGRES_URL_VARIABLE, "PostgreSQL")
    name = f"shipcrowd_woo_reliability_{uuid.uuid4().hex[:8]}"
    url = create_postgres_database(admin, name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_postgres_database(admin, name)


@pytest.fixture
def pg_cluster(pg_database, redis_url, tmp_path):
    """Worker and scheduler processes over a fresh PostgreSQL database and the test Redis."""
    with running_cluster(pg_database, redis_url, tmp_path) as cluster:
        yield cluster


@contextmanager
def served(app):
    """The app on a real port of 127.0.0.1 (threads, like gunicorn's); its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def sign(secret: str, body: bytes) -> str:
    """WooCommerce's signature: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
