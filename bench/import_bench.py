"""Order import, end to end, against the official client merely fetching the same pages.

    .venv/bin/python bench/import_bench.py [--orders 10000] [--memory-orders 100000]
        [--slow-orders 2000] [--budget N]

Ours: fetch every page from the sandbox over loopback HTTP (OAuth 1.0a), transform, dedupe
and persist to a fresh SQLite file. Theirs: WooCommerce's official `woocommerce` client
fetching and decoding the same pages, nothing more. Both run in their own process against a
sandbox in a third. Peak memory is the importing process's maximum resident set size, and
that of the largest of the processes preparing its pages.

Then against a sandbox as slow as a real store (issue 19: 60 ms a request plus 8 ms an order
rendered, 8 PHP workers; the official client fetched a real WooCommerce 10.0.2 at 113-125
orders/s): ours beside the official client fetching sequentially and with as many pages in
flight as our per-store budget (`--budget`, by default the setting's default).
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import fresh_services, run_child, sandbox_process, table
from deliveries import scratch_postgres

from shipcrowd_woo.entrypoints.settings import Settings

# The speed of the real WooCommerce 10.0.2 measured in issue 19 (PHP's built-in server with 8
# workers, about 8 ms an order).
SLOW_STORE = {"page_latency_ms": 60, "order_latency_ms": 8, "php_workers": 8}


class PreparingPeak:
    """The largest peak resident set (VmHWM) of any process this one started, directly or
    not — the import's preparing processes. They end with the services, so their figure
    is sampled while they run (every 0.2 s: VmHWM only grows)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PreparingPeak":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for pid in _descendants(os.getpid()):
                self.peak_kb = max(self.peak_kb, _peak_kb(pid))


def _descendants(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.update(int(child) for child in task.read_text().split())
        except OSError:
            continue  # a thread or process that ended meanwhile
    return found.union(*(_descendants(child) for child in found))


def _peak_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child_import(
    url: str, key: str, secret: str, budget: str, database: str = "", built_as: str = "worker"
) -> dict[str, float]:
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.jobs import SyncMode
    from shipcrowd_woo.domain.secrets import Secret

    with tempfile.TemporaryDirectory() as folder:
        # Built as a worker process builds them (its preparing processes, started as it
        # starts: Services.start_worker), or as an embedding host does (no process asked).
        services = fresh_services(
            folder,
            database or None,
            entrypoint=built_as == "worker",
            store_concurrency=int(budget),
        )
        company = CompanyId("bench")
        store = services.stores.install(company, url, Secret(key), Secret(secret)).store
        services.ready_for_imports()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with PreparingPeak() as preparing:
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
        "preparing_peak_mb": preparing.peak_kb / 1024,
    }


def child_fetch(url: str, key: str, secret: str, in_flight: str = "1") -> dict[str, float]:
    """The official client fetching every page, `in_flight` pages at a time (the first
    alone, for the page count)."""
    import threading

    from woocommerce import API

    def client() -> API:
        return API(url=url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=120)

    def page_of(api: API, page: int) -> int:
        response = api.get("orders", params={"per_page": 100, "page": page})
        response.raise_for_status()
        return len(response.json())

    started = time.perf_counter()
    first = client().get("orders", params={"per_page": 100, "page": 1})
    first.raise_for_status()
    pages = int(first.headers["X-WP-TotalPages"])
    fetched = [len(first.json())]
    lock = threading.Lock()

    def fetch_every(start: int) -> None:
        api = client()
        for page in range(start, pages + 1, int(in_flight)):
            count = page_of(api, page)
            with lock:
                fetched.append(count)

    threads = [threading.Thread(target=fetch_every, args=(2 + n,)) for n in range(int(in_flight))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "orders": sum(fetched)}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        mode, url, key, secret, *rest = sys.argv[2:]
        if mode == "import":
            print(json.dumps(child_import(url, key, secret, *rest)))
        else:
            print(json.dumps(child_fetch(url, key, secret, *rest)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--memory-orders", type=int, default=100_000)
    parser.add_argument("--slow-orders", type=int, default=2_000)
    parser.add_argument(
        "--budget",
        type=int,
        default=Settings().store_concurrency,
        help="Our requests in flight per store (default: the setting's default); the "
        "official client is measured with as many pages in flight.",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("SHIPCROWD_WOO_BENCH_POSTGRES_URL"),
        help="A server where a scratch database may be made: the import measured there too.",
    )
    args = parser.parse_args()
    me = __file__
    budget = str(args.budget)
    with sandbox_process(args.orders) as store:
        theirs = run_child(me, "fetch", store["url"], store["key"], store["secret"])
        ours = run_child(me, "import", store["url"], store["key"], store["secret"], budget)
        embedded = run_child(
            me, "import", store["url"], store["key"], store["secret"], budget, "", "embedded"
        )
        on_postgres = None
        if args.postgres_url:
            with scratch_postgres(args.postgres_url) as database:
                on_postgres = run_child(
                    me, "import", store["url"], store["key"], store["secret"], budget, database
                )
    with sandbox_process(args.memory_orders) as store:
        big = run_child(me, "import", store["url"], store["key"], store["secret"], budget)
    slow = SLOW_STORE
    with sandbox_process(args.slow_orders, **slow) as store:
        credentials = (store["url"], store["key"], store["secret"])
        sequential = run_child(me, "fetch", *credentials)
        alongside = run_child(me, "fetch", *credentials, budget)
        ours_slow = run_child(me, "import", *credentials, budget)
    assert ours["orders"] == args.orders, ours
    assert big["orders"] == args.memory_orders, big
    assert sequential["orders"] == alongside["orders"] == ours_slow["orders"] == args.slow_orders
    rate_ours = ours["orders"] / ours["seconds"]
    rate_theirs = theirs["orders"] / theirs["seconds"]
    growth = big["peak_rss_mb"] / ours["peak_rss_mb"]
    rate_embedded = embedded["orders"] / embedded["seconds"]
    rows = [
        ("", "seconds", "orders/s", "ours / official", "goal"),
        (
            "ours: fetch+transform+dedupe+persist (SQLite)",
            f"{ours['seconds']:.2f}",
            f"{rate_ours:,.0f}",
            f"{rate_ours / rate_theirs:.2f}",
            ">= 0.7",
        ),
        (
            "ours, embedded (pages prepared in a thread)",
            f"{embedded['seconds']:.2f}",
            f"{rate_embedded:,.0f}",
            f"{rate_embedded / rate_theirs:.2f}",
            "",
        ),
    ]
    if on_postgres:
        rate_postgres = on_postgres["orders"] / on_postgres["seconds"]
        rows.append(
            (
                "ours: the same into PostgreSQL",
                f"{on_postgres['seconds']:.2f}",
                f"{rate_postgres:,.0f}",
                f"{rate_postgres / rate_theirs:.2f}",
                ">= 0.5",
            )
        )
    rows.append(
        (
            "official client: fetch + decode only",
            f"{theirs['seconds']:.2f}",
            f"{rate_theirs:,.0f}",
            "",
            "",
        )
    )
    print(table(f"Order import, {args.orders:,} orders over loopback HTTP", rows))
    print(
        table(
            "Peak memory of the importing process and of the largest preparing one",
            [
                ("orders", "peak RSS MB", "RSS before import MB", "preparing process MB"),
                (
                    f"{args.orders:,}",
                    f"{ours['peak_rss_mb']:.0f}",
                    f"{ours['rss_before_mb']:.0f}",
                    f"{ours['preparing_peak_mb']:.0f}",
                ),
                (
                    f"{args.memory_orders:,}",
                    f"{big['peak_rss_mb']:.0f}",
                    f"{big['rss_before_mb']:.0f}",
                    f"{big['preparing_peak_mb']:.0f}",
                ),
                (
                    f"ratio ({args.memory_orders // args.orders}x the orders)",
                    f"{growth:.2f}",
                    "",
                    f"{big['preparing_peak_mb'] / ours['preparing_peak_mb']:.2f}",
                ),
            ],
        )
    )

    def rate(run: dict[str, float]) -> float:
        return run["orders"] / run["seconds"]

    print(
        table(
            f"Order import from a store as slow as a real one ({args.slow_orders:,} orders, "
            f"{slow['page_latency_ms']} ms a request + {slow['order_latency_ms']} ms an order, "
            f"{slow['php_workers']} PHP workers)",
            [
                ("", "seconds", "orders/s", "ours / it", "goal"),
                (
                    "ours: full import (SQLite)",
                    f"{ours_slow['seconds']:.2f}",
                    f"{rate(ours_slow):,.0f}",
                    "",
                    "",
                ),
                (
                    "official client, sequential",
                    f"{sequential['seconds']:.2f}",
                    f"{rate(sequential):,.0f}",
                    f"{rate(ours_slow) / rate(sequential):.2f}",
                    ">= 2",
                ),
                (
                    f"official client, {args.budget} pages in flight",
                    f"{alongside['seconds']:.2f}",
                    f"{rate(alongside):,.0f}",
                    f"{rate(ours_slow) / rate(alongside):.2f}",
                    ">= 0.9",
                ),
            ],
        )
    )


if __name__ == "__main__":
    main()
