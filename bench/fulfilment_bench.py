"""1,000 fulfilments sent to a store: requests made and time taken, beside the official
client making the same writes by hand.

    .venv/bin/python bench/fulfilment_bench.py [--fulfilments 1000] [--orders 4000]

Ours: the orders imported into a fresh SQLite file, then `Fulfilments.submit` for each of
`--fulfilments` processing orders and the embedded worker (4 threads) delivering them: read
the order, one PUT of the tracking meta with the status, one customer note. Theirs: the
official `woocommerce` client making those same three requests per order, one order after
another, with nothing recorded anywhere. Each runs against its own sandbox process with the
same data (same seed), so both find the orders open.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import fresh_services, run_child, sandbox_process, table

CARRIER = "PPL"


def _note(order_id: int) -> str:
    return f"Your order has shipped with {CARRIER}. Tracking number B-{order_id}."


def child_ours(url: str, key: str, secret: str, count: str) -> dict[str, float]:
    from sqlalchemy import text

    from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
    from shipcrowd_woo.domain.fulfilment import FulfilmentRequest
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.jobs import SyncMode
    from shipcrowd_woo.domain.secrets import Secret

    with tempfile.TemporaryDirectory() as folder:
        services = fresh_services(folder)
        company = CompanyId("bench")
        store = services.stores.install(company, url, Secret(key), Secret(secret)).store
        services.orders.run(company, store.id, SyncMode.FULL)
        assert services.engine is not None
        with services.engine.connect() as connection:
            chosen = [
                row[0]
                for row in connection.execute(
                    text(
                        "SELECT source_id FROM orders WHERE woo_status = 'processing' "
                        "ORDER BY source_id LIMIT :n"
                    ),
                    {"n": int(count)},
                )
            ]
        worker = services.start_worker()
        started = time.perf_counter()
        submitted = [
            services.fulfilments.submit(
                company, store.id, order_id, FulfilmentRequest(CARRIER, f"B-{order_id}")
            )
            for order_id in chosen
        ]
        accepted = time.perf_counter() - started
        services.broker.join(QUEUE)
        seconds = time.perf_counter() - started
        worker.stop()
        with services.uow_factory() as uow:
            jobs = [uow.jobs.find(s.job.id) for s in submitted]
        services.close()
    done = [job for job in jobs if job is not None and job.state.value == "completed"]
    return {
        "fulfilments": len(done),
        "seconds": seconds,
        "accept_seconds": accepted,
        "requests": sum(int(job.summary["requests"] or 0) for job in done),
    }


def child_theirs(url: str, key: str, secret: str, count: str) -> dict[str, float]:
    from woocommerce import API

    api = API(url=url, consumer_key=key, consumer_secret=secret, version="wc/v3", timeout=120)
    chosen: list[int] = []
    page = 1
    while len(chosen) < int(count):
        listed = api.get(
            "orders",
            params={
                "status": "processing",
                "per_page": 100,
                "page": page,
                "orderby": "id",
                "order": "asc",
                "_fields": "id",
            },
        ).json()
        if not listed:
            break
        chosen += [order["id"] for order in listed]
        page += 1
    chosen = chosen[: int(count)]
    requests = 0
    started = time.perf_counter()
    for order_id in chosen:
        order = api.get(f"orders/{order_id}", params={"_fields": "id,status,meta_data"}).json()
        items = [
            {
                "tracking_provider": "",
                "custom_tracking_provider": CARRIER,
                "custom_tracking_link": "",
                "tracking_number": f"B-{order_id}",
                "date_shipped": str(int(time.time())),
                "tracking_id": f"{order_id:032x}",
            }
        ]
        assert order["status"] == "processing"
        api.put(
            f"orders/{order_id}",
            {
                "meta_data": [{"key": "_wc_shipment_tracking_items", "value": items}],
                "status": "completed",
            },
        ).raise_for_status()
        api.post(
            f"orders/{order_id}/notes", {"note": _note(order_id), "customer_note": True}
        ).raise_for_status()
        requests += 3
    return {
        "fulfilments": len(chosen),
        "seconds": time.perf_counter() - started,
        "requests": requests,
    }


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        mode, *rest = sys.argv[2:]
        print(json.dumps((child_ours if mode == "ours" else child_theirs)(*rest)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fulfilments", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=4000)
    args = parser.parse_args()
    count = str(args.fulfilments)
    with sandbox_process(args.orders) as store:
        theirs = run_child(__file__, "theirs", store["url"], store["key"], store["secret"], count)
    with sandbox_process(args.orders) as store:
        ours = run_child(__file__, "ours", store["url"], store["key"], store["secret"], count)
    assert ours["fulfilments"] == theirs["fulfilments"] == args.fulfilments, (ours, theirs)
    n = args.fulfilments
    print(
        table(
            f"{n:,} fulfilments (tracking meta + status + customer note) over loopback HTTP",
            [
                ("", "seconds", "fulfilments/s", "store requests", "per fulfilment"),
                (
                    "ours: accepted, recorded, delivered by 4 worker threads (SQLite)",
                    f"{ours['seconds']:.2f}",
                    f"{n / ours['seconds']:,.0f}",
                    f"{ours['requests']:,}",
                    f"{ours['requests'] / n:.1f}",
                ),
                (
                    "  of which accepting them (submit: checks, records, job)",
                    f"{ours['accept_seconds']:.2f}",
                    "",
                    "",
                    "",
                ),
                (
                    "official client: the same three requests by hand, sequential",
                    f"{theirs['seconds']:.2f}",
                    f"{n / theirs['seconds']:,.0f}",
                    f"{theirs['requests']:,}",
                    f"{theirs['requests'] / n:.1f}",
                ),
                (
                    "ratio ours/theirs (time)",
                    f"{ours['seconds'] / theirs['seconds']:.2f}",
                    "",
                    "",
                    "",
                ),
            ],
        )
    )


if __name__ == "__main__":
    main()
