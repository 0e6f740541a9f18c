"""The order feed's cost and speed (issue 31), each beside its anchor in the same run.

    .venv/bin/python bench/feed_bench.py [--orders 10000] [--rounds 2]

1. What the outbox costs an import: a full import of `--orders` from the sandbox into SQLite,
   as a worker runs it (2 processes prepare the pages: each order's feed draft and first
   event are made there) and embedded (every page prepared in the importing process, where
   all the feed's work falls on the one process that writes), each against the same import
   with the feed taken out (bench/feed_off.py: the drafts and the publishing replaced by
   no-ops, in the preparing processes too). Rounds alternate; the best of each is compared.
2. A consumer paging `GET /integrations/woocommerce/events?limit=1000` over loopback HTTP
   (the app under werkzeug's threaded server, a JWT per request as a client sends it),
   against the floor: the same pages read by the repository with no HTTP, no JSON.
"""

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import fresh_services, run_child, sandbox_process, table

COMPANY = "bench"
PAGE = 1000


def _without_the_feed() -> None:
    """The baseline: feed_off's patches here and in every preparing process."""
    import feed_off  # noqa: F401 - patches on import

    import shipcrowd_woo.entrypoints.bootstrap as bootstrap

    bootstrap.PREPARATION_MODULES = (*bootstrap.PREPARATION_MODULES, "feed_off")


def _imported(
    folder: str, url: str, key: str, secret: str, entrypoint: bool = False, **settings: object
):
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.jobs import SyncMode
    from shipcrowd_woo.domain.secrets import Secret

    services = fresh_services(folder, entrypoint=entrypoint, **settings)
    company = CompanyId(COMPANY)
    store = services.stores.install(company, url, Secret(key), Secret(secret)).store
    services.ready_for_imports()
    started = time.perf_counter()
    services.orders.run(company, store.id, SyncMode.FULL)
    return services, time.perf_counter() - started


def child_import(url: str, key: str, secret: str, feed: str, built_as: str) -> dict[str, float]:
    if feed == "off":
        _without_the_feed()
    with tempfile.TemporaryDirectory() as folder:
        services, seconds = _imported(folder, url, key, secret, built_as == "worker")
        with services.uow_factory() as uow:
            stored = uow.orders.count(COMPANY, uow.stores.list(COMPANY, _first()).items[0].id)
        events = services.feed.bounds(COMPANY).last_seq
        services.close()
    return {"seconds": seconds, "orders": stored, "events": events}


def _first():
    from shipcrowd_woo.domain.pagination import PageRequest

    return PageRequest(limit=1)


def child_page(url: str, key: str, secret: str, rounds: str) -> dict[str, float]:
    import secrets as random_text

    import httpx
    import jwt
    from werkzeug.serving import make_server

    from shipcrowd_woo.entrypoints.flask_app import create_app
    from shipcrowd_woo.ports.repositories import EventQuery

    jwt_secret = random_text.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as folder:
        services, _ = _imported(folder, url, key, secret, jwt_secret=jwt_secret)
        total = services.feed.bounds(COMPANY).last_seq
        app = create_app(services=services, background=False)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}/integrations/woocommerce"
        token = jwt.encode(
            {"company_id": COMPANY, "role": "member", "exp": int(time.time()) + 3600},
            jwt_secret,
            algorithm="HS256",
        )
        best_http = best_floor = float("inf")
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for _ in range(int(rounds)):
                started, after, read = time.perf_counter(), 0, 0
                while True:
                    answer = client.get(f"{base}/events", params={"after": after, "limit": PAGE})
                    answer.raise_for_status()
                    page = answer.json()
                    read += len(page["events"])
                    after = page["next_after"]
                    if not page["has_more"]:
                        break
                assert read == total, (read, total)
                best_http = min(best_http, time.perf_counter() - started)
                started, after = time.perf_counter(), 0
                while True:
                    with services.context.reads() as uow:
                        events = uow.feed.read(EventQuery(COMPANY, after, PAGE))
                    if not events:
                        break
                    after = events[-1].seq
                best_floor = min(best_floor, time.perf_counter() - started)
        server.shutdown()
        services.close()
    return {"events": total, "http_seconds": best_http, "floor_seconds": best_floor}


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        mode, *rest = sys.argv[2:]
        child = child_import if mode == "import" else child_page
        print(json.dumps(child(*rest)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    me = __file__
    with sandbox_process(args.orders) as store:
        credentials = (store["url"], store["key"], store["secret"])
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        for _ in range(args.rounds):
            for built_as in ("worker", "embedded"):
                for feed in ("off", "on"):
                    run = run_child(me, "import", *credentials, feed, built_as)
                    runs.setdefault((built_as, feed), []).append(run)
        paging = run_child(me, "page", *credentials, str(args.rounds))
    for (_, feed), done in runs.items():
        for run in done:
            assert run["orders"] == args.orders, run
            assert run["events"] == (args.orders if feed == "on" else 0), run
    rate = {
        variant: args.orders / min(run["seconds"] for run in done) for variant, done in runs.items()
    }
    rows: list[tuple[str, ...]] = [("", "seconds", "orders/s", "with / without", "goal")]
    for built_as, how in (
        ("worker", "as a worker imports (2 processes prepare the pages)"),
        ("embedded", "embedded (pages prepared in the importing process)"),
    ):
        off, on = rate[(built_as, "off")], rate[(built_as, "on")]
        rows.append((f"{how}, without the feed", f"{args.orders / off:.2f}", f"{off:,.0f}", "", ""))
        rows.append(
            (
                f"{how}, with the feed",
                f"{args.orders / on:.2f}",
                f"{on:,.0f}",
                f"{on / off:.2f}",
                ">= 0.90",
            )
        )
    print(
        table(
            f"What the outbox costs an import ({args.orders:,} orders into SQLite, best of "
            f"{args.rounds})",
            rows,
        )
    )
    http_rate = paging["events"] / paging["http_seconds"]
    floor_rate = paging["events"] / paging["floor_seconds"]
    print(
        table(
            f"A consumer paging GET /events?limit={PAGE} over HTTP ({paging['events']:,} "
            f"events, best of {args.rounds})",
            [
                ("", "seconds", "events/s", "HTTP / floor", "goal"),
                (
                    "GET /events over loopback HTTP",
                    f"{paging['http_seconds']:.2f}",
                    f"{http_rate:,.0f}",
                    f"{http_rate / floor_rate:.2f}",
                    ">= 5,000 events/s",
                ),
                (
                    "floor: the repository's pages, no HTTP",
                    f"{paging['floor_seconds']:.2f}",
                    f"{floor_rate:,.0f}",
                    "",
                    "",
                ),
            ],
        )
    )


if __name__ == "__main__":
    main()
