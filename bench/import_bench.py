"""Order import, end to end, against the official client merely fetching the same pages.

    .venv/bin/python bench/import_bench.py [--orders 10000] [--memory-orders 100000]

Ours: fetch every page from the sandbox over loopback HTTP (OAuth 1.0a), transform, dedupe
and persist to a fresh SQLite file. Theirs: WooCommerce's official `woocommerce` client
fetching and decoding the same pages, nothing more. Both run in their own process against a
sandbox in a third. Peak memory is the importing process's maximum resident set size.
"""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import fresh_services, run_child, sandbox_process, table


def child_import(url: str, key: str, secret: str) -> dict[str, float]:
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.jobs import SyncMode
    from shipcrowd_woo.domain.secrets import Secret

    with tempfile.TemporaryDirectory() as folder:
        services = fresh_services(folder)
        company = CompanyId("bench")
        store = services.stores.install(company, url, Secret(key), Secret(secret)).store
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        log = services.orders.run(company, store.id, SyncMode.FULL).log
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with services.uow_factory() as uow:
            stored = uow.orders.count(company, store.id)
        services.close()
    assert log is not None
    return {
        "seconds": seconds,
        "orders": stored,
        "created": log.metadata["created"],
        "peak_rss_mb": peak / 1024,
        "rss_before_mb": before / 1024,
    }


def child_fetch(url: str, key: str, secret: str) -> dict[str, float]:
    from woocommerce import API

    client = API(url=url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=120)
    started = time.perf_counter()
    fetched = page = 0
    while True:
        page += 1
        response = client.get("orders", params={"per_page": 100, "page": page})
        response.raise_for_status()
        orders = response.json()
        if not orders:
            break
        fetched += len(orders)
    return {"seconds": time.perf_counter() - started, "orders": fetched}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        mode, url, key, secret = sys.argv[2:6]
        work = child_import if mode == "import" else child_fetch
        print(json.dumps(work(url, key, secret)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--memory-orders", type=int, default=100_000)
    args = parser.parse_args()
    me = __file__
    with sandbox_process(args.orders) as store:
        theirs = run_child(me, "fetch", store["url"], store["key"], store["secret"])
        ours = run_child(me, "import", store["url"], store["key"], store["secret"])
    with sandbox_process(args.memory_orders) as store:
        big = run_child(me, "import", store["url"], store["key"], store["secret"])
    assert ours["orders"] == args.orders, ours
    assert big["orders"] == args.memory_orders, big
    rate_ours = ours["orders"] / ours["seconds"]
    rate_theirs = theirs["orders"] / theirs["seconds"]
    growth = big["peak_rss_mb"] / ours["peak_rss_mb"]
    print(
        table(
            f"Order import, {args.orders:,} orders over loopback HTTP",
            [
                ("", "seconds", "orders/s"),
                (
                    "ours: fetch+transform+dedupe+persist (SQLite)",
                    f"{ours['seconds']:.2f}",
                    f"{rate_ours:,.0f}",
                ),
                (
                    "official client: fetch + decode only",
                    f"{theirs['seconds']:.2f}",
                    f"{rate_theirs:,.0f}",
                ),
                ("ratio ours/theirs (time)", f"{ours['seconds'] / theirs['seconds']:.2f}", ""),
            ],
        )
    )
    print(
        table(
            "Peak memory of the importing process",
            [
                ("orders", "peak RSS MB", "RSS before import MB"),
                (f"{args.orders:,}", f"{ours['peak_rss_mb']:.0f}", f"{ours['rss_before_mb']:.0f}"),
                (
                    f"{args.memory_orders:,}",
                    f"{big['peak_rss_mb']:.0f}",
                    f"{big['rss_before_mb']:.0f}",
                ),
                (f"ratio ({args.memory_orders // args.orders}x the orders)", f"{growth:.2f}", ""),
            ],
        )
    )


if __name__ == "__main__":
    main()
