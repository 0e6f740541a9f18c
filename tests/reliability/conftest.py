"""The reliability suite: clusters on PostgreSQL and Redis, and the app served on a real port
(the figures table is tests/figures.py)."""

import base64
import hashlib
import hmac
import threading
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
from shipcrowd_woo.adapters.sqlalchemy.tables import OrderLineRow, OrderRow
from shipcrowd_woo.sandbox.server import QuietRequestHandler
from tests.clusters import running_cluster
from tests.databases import create_postgres_database, drop_postgres_database
from tests.servers import POSTGRES_URL_VARIABLE, server_url


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


def lines_per_order(connection) -> dict[int, int]:
    """WooCommerce order id -> how many lines its stored order has (0 for none)."""
    return dict(
        connection.execute(
            select(OrderRow.source_id, func.count(OrderLineRow.id))
            .outerjoin(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
            .group_by(OrderRow.source_id)
        ).all()
    )


def sign(secret: str, body: bytes) -> str:
    """WooCommerce's signature: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
