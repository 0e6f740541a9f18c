"""Echo storm: a 10,000-SKU stock push and the 10,000 `product.updated` echoes it causes.

    .venv/bin/python bench/echo_storm_bench.py [--skus 10000] [--runners 8]

The sandbox store (in this process, over loopback HTTP) sends one `product.updated` per item
saved — from `--runners` queues at once (Action Scheduler's concurrent batches; 1 is
WooCommerce's default, where the store's own sending is the limit) — to our app under gunicorn
(2 of our buffering workers x 4 threads, the embedded default: SQLite, the inbox drained
inside the same processes). Timed from the end of the push: every echo taken in (the store's queue
empty, each answered) and recognised (the inbox drained, each delivery settled as an echo of
the push). The goal is 15 s on 2 cores, and no request to the store while the echoes are
processed.
"""

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import gunicorn, table
from deliveries import free_port

GOAL_SECONDS = 15.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--runners", type=int, default=8)
    args = parser.parse_args()

    import attrs
    from sqlalchemy import func, select

    from shipcrowd_woo.adapters.crypto import generate_key_text
    from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
    from shipcrowd_woo.adapters.sqlalchemy.tables import DeliveryRow
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.secrets import Secret
    from shipcrowd_woo.entrypoints.bootstrap import bootstrap
    from shipcrowd_woo.entrypoints.settings import Settings
    from shipcrowd_woo.sandbox.server import SandboxServer
    from shipcrowd_woo.sandbox.store import SandboxStore
    from shipcrowd_woo.services.inventory import StockLevel

    company = CompanyId("bench")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/echoes.sqlite3"
        env = {
            "SHIPCROWD_WOO_DATABASE_URL": database,
            "SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("b"),
            "SHIPCROWD_WOO_ALLOW_PRIVATE_HOSTS": "true",
            "SHIPCROWD_WOO_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SHIPCROWD_WOO_LOG_LEVEL": "info",
            "SHIPCROWD_WOO_LOG_FORMAT": "text",
            "SHIPCROWD_WOO_SCHEDULER_TICK_SECONDS": "3600",
            "SHIPCROWD_WOO_READ_TIMEOUT_SECONDS": "120",
        }
        upgrade(database)
        store = SandboxStore(seed=11, products=args.skus, orders=10, variable_every=0)
        with SandboxServer(store, webhook_runners=args.runners) as sandbox:
            services = bootstrap(Settings.from_env(env))
            key, secret = store.create_api_key()
            installed = services.stores.install(company, sandbox.url, Secret(key), Secret(secret))
            store_id = installed.store.id
            # No scheduled import and no push by itself in the way: the store's requests
            # counted are the echoes'.
            with services.uow_factory() as uow:
                manual = attrs.evolve(
                    installed.store,
                    order_sync=attrs.evolve(installed.store.order_sync, auto_sync=False),
                    inventory_sync=attrs.evolve(installed.store.inventory_sync, auto_sync=False),
                )
                uow.stores.update(manual)
                uow.commit()
            skus = [p["sku"] for p in store.products.values()]
            services.inventory.set_stock(company, [StockLevel(sku, 5) for sku in skus])
            services.mappings.auto_map(company, store_id)
            services.inventory.set_stock(company, [StockLevel(sku, 7) for sku in skus])
            sandbox.deliverer.flush()
            drained = threading.Event()
            settled = [0]

            def count_settled(line: str) -> None:
                if "inbox drained:" in line:
                    words = line.split("inbox drained:")[1].split()
                    settled[0] += int(words[0]) + int(words[words.index("failed,") - 1])
                    if settled[0] >= len(skus):
                        drained.set()

            server = gunicorn(
                "shipcrowd_woo.entrypoints.flask_app:served_app()",
                port,
                env,
                Path(folder),
                "-k",
                "shipcrowd_woo.entrypoints.http_server.BufferingWorker",
                on_line=count_settled,
            )
            try:
                started = time.perf_counter()
                pushed = services.inventory.push(company, store_id).log
                pushed_at = time.perf_counter()
                requests_before = sandbox.app.requests
                sandbox.deliverer.flush()
                taken_in = time.perf_counter()
                drained.wait(timeout=600)
                recognised = time.perf_counter()
                requests_after = sandbox.app.requests
            finally:
                server.terminate()
                server.wait(timeout=60)
            sent = sandbox.deliverer.sent
            statuses = [d["status"] for d in sent if d["topic"] == "product.updated"]
            with services.engine.connect() as connection:
                states = dict(
                    connection.execute(
                        select(DeliveryRow.state, func.count()).group_by(DeliveryRow.state)
                    ).all()
                )
            services.close()
    assert pushed is not None
    assert pushed.synced == len(skus), pushed
    assert statuses.count(200) == len(skus), f"answered {statuses.count(200)} of {len(skus)}"
    assert states == {"processed": len(skus)}, states
    since_push = recognised - pushed_at
    rows = [
        ("", "seconds", "goal"),
        ("push (batch requests to the store)", f"{pushed_at - started:.2f}", ""),
        (
            f"{len(skus):,} echoes taken in ({args.runners} senders)",
            f"{taken_in - pushed_at:.2f}",
            "",
        ),
        ("... and recognised (inbox drained)", f"{since_push:.2f}", f"{GOAL_SECONDS:.0f}"),
        ("requests to the store meanwhile", f"{requests_after - requests_before}", "0"),
        ("ratio to the goal", f"{since_push / GOAL_SECONDS:.2f}", "<= 1"),
    ]
    print(table("Echo storm: a stock push of every SKU, echoed back one delivery per item", rows))


if __name__ == "__main__":
    main()
