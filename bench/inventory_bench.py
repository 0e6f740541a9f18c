"""Inventory push: requests sent and seconds taken for 10,000 SKUs.

    .venv/bin/python bench/inventory_bench.py [--skus 10000]

10,000 simple products: `products/batch` takes 100 items a request, so the floor is 100
requests. A mixed catalogue (every fifth product variable with three sizes): variations go to
`products/{parent}/variations/batch`, one endpoint per parent, so the floor is the simple
products / 100 plus one request per parent. The sandbox runs over loopback HTTP in this
process; the ratios compare the requests sent with the floor and with one request per SKU.
"""

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import fresh_services, table

from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from shipcrowd_woo.services.inventory import StockLevel

COMPANY = CompanyId("bench")


def push(products: int, variable_every: int) -> dict[str, float]:
    store = SandboxStore(seed=9, products=products, variable_every=variable_every)
    sellable = [p for p in store.products.values() if p["type"] != "variable"]
    parents = {p["parent_id"] for p in sellable if p.get("parent_id")}
    simple = len(sellable) - sum(1 for p in sellable if p.get("parent_id"))
    with SandboxServer(store) as server, tempfile.TemporaryDirectory() as folder:
        services = fresh_services(folder)
        key, secret = store.create_api_key()
        installed = services.stores.install(COMPANY, server.url, Secret(key), Secret(secret))
        services.inventory.set_stock(COMPANY, [StockLevel(p["sku"], 7) for p in sellable])
        services.mappings.auto_map(COMPANY, installed.store.id)
        started = time.perf_counter()
        log = services.inventory.push(COMPANY, installed.store.id).log
        seconds = time.perf_counter() - started
        services.close()
    assert log is not None
    assert log.synced == len(sellable), log
    assert all(p["stock_quantity"] == 7 for p in sellable)
    return {
        "skus": len(sellable),
        "requests": log.metadata["batch_requests"],
        "floor": math.ceil(simple / 100) + len(parents),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    args = parser.parse_args()
    simple = push(args.skus, variable_every=0)
    # Every fifth product is variable with three sizes: 1 + 4 * ... products give ~skus SKUs.
    mixed = push(round(args.skus / 1.4), variable_every=5)
    rows = [
        ("catalogue", "SKUs", "requests", "floor", "requests/floor", "requests/SKUs", "seconds")
    ]
    for name, run in (("simple products", simple), ("mixed (variations)", mixed)):
        rows.append(
            (
                name,
                f"{run['skus']:,}",
                f"{run['requests']:,}",
                f"{run['floor']:,}",
                f"{run['requests'] / run['floor']:.2f}",
                f"{run['requests'] / run['skus']:.3f}",
                f"{run['seconds']:.2f}",
            )
        )
    print(table("Inventory push over loopback HTTP", rows))


if __name__ == "__main__":
    main()
