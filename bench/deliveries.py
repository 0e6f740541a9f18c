"""Deliveries for the intake benchmarks: a migrated database with the sandbox store installed,
its signed `order.updated` requests, free ports and scratch PostgreSQL databases."""

import base64
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_deliveries(
    folder: Path,
    port: int,
    deliveries: int,
    database_url: str,
    redis_url: str | None,
    probes: int = 0,
) -> tuple[dict[str, str], Path, Path]:
    """A migrated database with the sandbox store installed; the signed requests to send,
    and `probes` more of the same kind (customer notes `bench probe N`), each a later save of
    its order than every one of the first."""
    from shipcrowd_woo.adapters.crypto import generate_key_text
    from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.secrets import Secret
    from shipcrowd_woo.domain.webhooks import Topic
    from shipcrowd_woo.entrypoints.bootstrap import bootstrap
    from shipcrowd_woo.entrypoints.settings import Settings
    from shipcrowd_woo.sandbox.delivery import delivery_headers
    from shipcrowd_woo.sandbox.server import SandboxServer
    from shipcrowd_woo.sandbox.store import SandboxStore

    env = {
        "SHIPCROWD_WOO_DATABASE_URL": database_url,
        "SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("b"),
        "SHIPCROWD_WOO_ALLOW_PRIVATE_HOSTS": "true",
        "SHIPCROWD_WOO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SHIPCROWD_WOO_LOG_LEVEL": "warning",
        "SHIPCROWD_WOO_SCHEDULER_TICK_SECONDS": "3600",
    }
    if redis_url:
        env["SHIPCROWD_WOO_REDIS_URL"] = redis_url
    upgrade(database_url)
    sandbox = SandboxServer(SandboxStore(seed=5, products=20, orders=500)).start()
    services = bootstrap(Settings.from_env(env))
    key, secret = sandbox.store.create_api_key()
    store = services.stores.install(CompanyId("bench"), sandbox.url, Secret(key), Secret(secret))
    with services.uow_factory() as uow:
        hook = next(
            w for w in uow.webhooks.for_store(store.store.id) if w.topic is Topic.ORDER_UPDATED
        )
    signing = services.context.secrets.open(hook.secret).reveal()
    services.close()
    order_ids = sorted(sandbox.store.orders)
    saved_from = datetime.now(UTC).replace(microsecond=0)
    requests = []
    for n in range(deliveries + probes):
        order = sandbox.store.order_json(order_ids[n % len(order_ids)])
        order["customer_note"] = (
            f"bench delivery {n}" if n < deliveries else f"bench probe {n - deliveries}"
        )
        # Each delivery is a later save of its order, as WooCommerce sends them: a new
        # date_modified every time (the same second with other content would be a
        # same-second conflict, settled by fetching the order from the store).
        saved = (saved_from + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S")
        order["date_modified"] = order["date_modified_gmt"] = saved
        body = json.dumps(order)
        signature = hmac.new(signing.encode(), body.encode(), hashlib.sha256).digest()
        requests.append(
            {
                "method": "POST",
                "path": "/webhooks/woocommerce/order/updated",
                "body": body,
                "headers": delivery_headers(
                    sandbox.url + "/",
                    "order.updated",
                    hook.woo_webhook_id,
                    base64.b64encode(signature).decode(),
                    delivery_id=f"{n:032x}",
                ),
            }
        )
    sandbox.stop()
    deliveries_plan = folder / "deliveries.json"
    deliveries_plan.write_text(json.dumps({"requests": requests[:deliveries]}))
    probes_plan = folder / "probes.json"
    probes_plan.write_text(json.dumps({"requests": requests[deliveries:]}))
    return env, deliveries_plan, probes_plan


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """A database of its own on the given server, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"shipcrowd_woo_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
