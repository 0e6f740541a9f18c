"""Overselling, measured (issue 32, point 5): three sandbox stores sell 20 SKUs that one
warehouse holds 50 of each, at random, all at once; their webhooks reach the running app
(embedded: SQLite, worker threads), which imports the orders and pushes stock; a warehouse
report every few seconds; fulfilments ship the open orders as they come. Counted at the end:
units the stores accepted beyond what the warehouse held. The new rule (each store offered on
hand - what every open order still has to ship - its buffer) beside the old one (push on
hand), in the same run.

    .venv/bin/python bench/oversell_bench.py [--seconds 30] [--rate 8] [--buffer 8]
        [--window 1] [--skus 20] [--units 50] [--rounds 2] [--json]

`--rate` checkouts a second at each store (1 or 2 units of one SKU, any equally likely:
demand outruns the stock of each), `--window` the stock push window in seconds (5 in
production; shortened here, the sales rate scaled to it), `--buffer` units each store holds
back of each SKU under the new rule: it must cover what the other stores sell of a SKU
between a sale and the push that follows it (here about 3.6 units in 2 s on average). Each
rule runs in a process of its own; the old rule is the new one with nothing reserved and no
buffer (`reserved_units` answering nothing).
"""

import argparse
import json
import random
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import run_child, table

STORES = 3
COMPANY = "bench"


def scenario(
    rule: str,
    seconds: float,
    rate: float,
    buffer: int,
    window: float,
    shared: tuple[int, int],
    seed: int,
) -> dict[str, Any]:
    """One run of the sales under `rule` ("new" or "old"); what was accepted and oversold."""
    from werkzeug.serving import make_server

    import shipcrowd_woo.services.reservations as reservations
    from shipcrowd_woo.adapters.crypto import generate_key_text, parse_encryption_keys
    from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
    from shipcrowd_woo.domain.fulfilment import FulfilmentRequest
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.secrets import Secret
    from shipcrowd_woo.domain.shipping import Shipping
    from shipcrowd_woo.domain.store_settings import SettingsChange
    from shipcrowd_woo.entrypoints.bootstrap import bootstrap
    from shipcrowd_woo.entrypoints.flask_app import BACKGROUND, create_app
    from shipcrowd_woo.entrypoints.settings import Settings
    from shipcrowd_woo.ports.repositories import OrderQuery
    from shipcrowd_woo.sandbox.server import SandboxServer
    from shipcrowd_woo.sandbox.stock import StockRefused
    from shipcrowd_woo.sandbox.store import SandboxStore
    from shipcrowd_woo.services.inventory import StockLevel

    if rule == "old":
        reservations.reserved_units = lambda *_, **__: {}  # type: ignore[assignment]
        buffer = 0
    company = CompanyId(COMPANY)
    rng = random.Random(seed)
    count, units_each = shared
    with tempfile.TemporaryDirectory() as folder:
        port = _free_port()
        services = bootstrap(
            Settings(
                database_url=f"sqlite:///{folder}/oversell.sqlite3",
                encryption_keys=tuple(parse_encryption_keys(generate_key_text("o"))),
                public_base_url=f"http://127.0.0.1:{port}",
                allow_private_hosts=True,
                rate_limit="100000000 per minute",
                scheduler_tick=timedelta(days=1),
                stock_push_window=timedelta(seconds=window),
            )
        )
        app = create_app(services=services)
        web = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        sandboxes = [
            SandboxServer(SandboxStore(seed=seed, products=count * 2, orders=0)).start()
            for _ in range(STORES)
        ]
        try:
            skus = [p["sku"] for p in sandboxes[0].store.products.values() if p["type"] == "simple"]
            skus = skus[:count]
            stores = []
            for sandbox in sandboxes:
                key, secret = sandbox.store.create_api_key()
                store = services.stores.install(company, sandbox.url, Secret(key), Secret(secret))
                stores.append(store.store)
            services.inventory.set_stock(company, [StockLevel(sku, units_each) for sku in skus])
            for store in stores:
                services.mappings.auto_map(company, store.id)
                services.stores.change_settings(
                    company, store.id, SettingsChange(inventory_sync_buffer=buffer)
                )
                services.inventory.push(company, store.id)
            services.broker.join(QUEUE)
            accepted: Counter[str] = Counter()
            shipped: Counter[str] = Counter()
            refused = [0]
            lock = threading.Lock()
            stop = threading.Event()

            def sell(sandbox: SandboxServer, seed: int) -> None:
                chooser = random.Random(seed)
                product_of = {
                    p["sku"]: p["id"] for p in sandbox.store.products.values() if p["sku"] in skus
                }
                while not stop.wait(chooser.expovariate(rate)):
                    sku = chooser.choice(skus)
                    units = chooser.randint(1, 2)
                    try:
                        sandbox.store.checkout([(product_of[sku], None, units)])
                    except StockRefused:
                        with lock:
                            refused[0] += 1
                        continue
                    with lock:
                        accepted[sku] += units

            def fulfil() -> None:
                while not stop.wait(2.0):
                    ship = OrderQuery(company, limit=100, shippable=(Shipping.SHIP,))
                    for reading in services.feed.orders(ship).orders:
                        services.fulfilments.submit(
                            company,
                            reading.key.store_id,
                            reading.key.source_id,
                            FulfilmentRequest("PPL", f"OS-{reading.key.source_id}"),
                        )
                        with lock:
                            for line in reading.lines:
                                if line.warehouse_sku is not None:
                                    shipped[line.warehouse_sku] += line.to_ship

            def report() -> None:
                while not stop.wait(3.0):
                    with lock:
                        levels = [StockLevel(sku, units_each - shipped[sku]) for sku in skus]
                    services.inventory.set_stock(company, levels)

            workers = [
                threading.Thread(target=sell, args=(sandbox, rng.random())) for sandbox in sandboxes
            ]
            workers += [threading.Thread(target=fulfil), threading.Thread(target=report)]
            for worker in workers:
                worker.start()
            time.sleep(seconds)  # the sales run this long: a load's duration, not a wait
            stop.set()
            for worker in workers:
                worker.join()
            for sandbox in sandboxes:
                sandbox.deliverer.flush()
            services.broker.join(QUEUE)
        finally:
            web.shutdown()
            for part in app.extensions[BACKGROUND]:
                part.stop()
            for sandbox in sandboxes:
                sandbox.stop()
            services.close()
    oversold = sum(max(0, accepted[sku] - units_each) for sku in skus)
    return {
        "rule": rule,
        "buffer": buffer,
        "accepted": sum(accepted.values()),
        "oversold": oversold,
        "skus_oversold": sum(1 for sku in skus if accepted[sku] > units_each),
        "refused": refused[0],
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        rule, seconds, rate, buffer, window, skus, units, seed = sys.argv[2:]
        run = scenario(
            rule,
            float(seconds),
            float(rate),
            int(buffer),
            float(window),
            (int(skus), int(units)),
            int(seed),
        )
        print(json.dumps(run))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=8.0)
    parser.add_argument("--buffer", type=int, default=8)
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--skus", type=int, default=20)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = []
    for round_number in range(args.rounds):
        for rule in ("old", "new"):
            options = (
                args.seconds,
                args.rate,
                args.buffer,
                args.window,
                args.skus,
                args.units,
                100 + round_number,
            )
            runs.append(run_child(__file__, rule, *map(str, options)) | {"round": round_number})
    if args.json:
        print(json.dumps(runs))
        return
    rows: list[tuple[str, ...]] = [
        ("round", "rule", "buffer", "units accepted", "units oversold", "SKUs oversold", "refused")
    ]
    for run in runs:
        name = "old: push on hand" if run["rule"] == "old" else "new: on hand - reserved - buffer"
        rows.append(
            (
                str(run["round"] + 1),
                name,
                str(run["buffer"]),
                f"{run['accepted']:,}",
                f"{run['oversold']:,}",
                str(run["skus_oversold"]),
                f"{run['refused']:,}",
            )
        )
    print(
        table(
            f"Overselling: {STORES} stores, {args.skus} SKUs of {args.units} units, {args.rate:g} "
            f"checkouts/s a store for {args.seconds:g} s, push window {args.window:g} s; goal: "
            f"the new rule oversells 0 and fewer than the old in every round",
            rows,
        )
    )


if __name__ == "__main__":
    main()
