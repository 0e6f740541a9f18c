"""Subscription latency (issue 31's goal): from a webhook's 200 to the event it caused at a
push subscriber, p99 <= 1 s embedded and with one worker, on 2 cores, under the intake
bench's load.

    .venv/bin/python bench/subscription_latency_bench.py [--bodies 2000] [--quiet-seconds 5]
        [--redis-url redis://…/N --postgres-url postgresql://…]  # the production layout too

The app runs as in bench/intake_anchor_bench.py (gunicorn 2 workers x 4 threads, our
buffering worker), the company "bench" subscribed to a subscriber in this process on
127.0.0.1 (a werkzeug app under waitress, which keeps connections alive as a real
subscriber's server does) that checks each delivery's Standard Webhooks signature and notes
when each event arrived. A prober sends its own signed `order.updated` deliveries, one every
50 ms, each a later save of its order with a customer note of its own ("bench probe N"), and
notes when each 200 came; the event carries the order, so its note names the probe. Both
times are `time.time()` (one machine; a monotonic clock is not shared across processes).
Latency = the event's arrival - the probe's 200. Once the prober stops, the bench waits for
every probe's event (a condition the subscriber notifies, up to --timeout); those that never
came are missing.

Per layout, a quiet row (probes alone, after one warm-up probe whose event is awaited) is the
baseline measured in the same run, then the loaded row: the probes while wrk runs the intake
bench's load (3 s warm-up then 10 s, 2 threads x 8 connections, the same distinct signed
`order.updated` bodies), all 13 s of it — most new feed events come in its first seconds:
wrk cycles the bodies, and an identical redelivery is not processed again. More --bodies
keep events coming for longer. Layouts: the embedded default (SQLite, processing and
delivering inside the gunicorn processes); with both URLs, PostgreSQL + Redis + one
`shipcrowd-woo worker` (the Redis database given is emptied, a scratch database is made).
"""

import argparse
import http.client
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from common import BIN, table
from deliveries import free_port, prepare_deliveries, scratch_postgres
from intake_anchor_bench import _flush, _lua, _served, _wrk
from waitress.server import create_server
from werkzeug import Request, Response

from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.standard_webhooks import verified

PROBE_EVERY = 0.05
GOAL_MS = 1000.0
# Probes prepared per layout: the quiet and loaded phases take about 20 s of probing.
PROBES = 1500
PROBE_PREFIX = "bench probe "


class ProbeSubscriber:
    """Receives a subscription's pushes on 127.0.0.1 (a werkzeug app under waitress);
    `secret` is set once it is made. Keeps when each probe's event first arrived, by the
    probe's note."""

    def __init__(self) -> None:
        self.secret: Secret | None = None
        self.events = 0
        self.badly_signed = 0
        self.arrived: dict[str, float] = {}
        self._changed = threading.Condition()
        # waitress, not werkzeug's development server: that one closes every connection
        # (serving.py: "Always close the connection"), so each event paid a connection of
        # its own, a lookup of the SSRF guard and a thread in the subscriber, as no real
        # subscriber makes a deliverer pay (a quarter of the deliverer's time in py-spy).
        # As many threads as a deliverer has lanes and more: a request never waits for one.
        self._server = create_server(self._app, host="127.0.0.1", port=0, threads=16)
        self.url = f"http://127.0.0.1:{self._server.effective_port}/events"
        self._thread = threading.Thread(target=self._server.run, name="subscriber", daemon=True)

    def __enter__(self) -> "ProbeSubscriber":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.close()
        self._thread.join()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        arrived = time.time()
        if self.secret is None or not verified(
            self.secret, dict(request.headers), body, int(arrived)
        ):
            with self._changed:
                self.badly_signed += 1
            return Response("bad signature", 401)(environ, start_response)
        note = json.loads(body)["data"]["order"]["customer_note"]
        with self._changed:
            self.events += 1
            # A redelivery after a lost answer arrives later: the first arrival counts.
            self.arrived.setdefault(note, arrived)
            self._changed.notify_all()
        return Response(status=204)(environ, start_response)

    def wait_for(self, notes: set[str], timeout: float) -> dict[str, float]:
        """Until every note's event arrived, or the time is up; when those that came did."""
        with self._changed:
            self._changed.wait_for(lambda: notes <= self.arrived.keys(), timeout)
            return {note: self.arrived[note] for note in notes if note in self.arrived}


class Prober:
    """Sends the prepared probes in turn, each on a connection of its own as WooCommerce
    sends them, and keeps when each one's 200 came, by its note."""

    def __init__(self, port: int, plan: Path) -> None:
        self._port = port
        self._requests = iter(enumerate(json.loads(plan.read_text())["requests"]))

    def send(self) -> tuple[str, float]:
        """The next probe: its note and when its 200 came (anything else stops the bench)."""
        number, request = next(self._requests)
        connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=30)
        try:
            connection.request(
                "POST",
                request["path"],
                request["body"],
                {**request["headers"], "Content-Type": "application/json"},
            )
            answer = connection.getresponse()
            answer.read()
            acknowledged = time.time()
        finally:
            connection.close()
        if answer.status != 200:
            raise SystemExit(f"probe {number} was answered {answer.status}")
        return f"{PROBE_PREFIX}{number}", acknowledged

    @contextmanager
    def probing(self) -> Iterator[dict[str, float]]:
        """One probe every PROBE_EVERY seconds (on a fixed schedule) in a thread of its own,
        until the block ends; yields the 200s' times by note, filled as they come."""
        acknowledged: dict[str, float] = {}
        stopped = threading.Event()
        failed: list[BaseException] = []

        def run() -> None:
            due = time.monotonic()
            try:
                while not stopped.wait(max(0.0, due - time.monotonic())):
                    note, at = self.send()
                    acknowledged[note] = at
                    due += PROBE_EVERY
            except BaseException as error:  # the bench's thread says it, not this one
                failed.append(error)

        thread = threading.Thread(target=run, name="prober", daemon=True)
        thread.start()
        try:
            yield acknowledged
        finally:
            stopped.set()
            thread.join()
        if failed:
            raise failed[0]


def _subscribe(env: dict[str, str], url: str) -> Secret:
    """Subscribe the company "bench" to `url` from now on; the signing secret."""
    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.entrypoints.bootstrap import bootstrap
    from shipcrowd_woo.entrypoints.settings import Settings

    with bootstrap(Settings.from_env(env)) as services:
        return services.subscriptions.create(CompanyId("bench"), url).secret


def _latencies(
    subscriber: ProbeSubscriber, acknowledged: dict[str, float], timeout: float
) -> dict[str, float]:
    """Wait for every acknowledged probe's event; the latencies' figures in ms."""
    arrived = subscriber.wait_for(set(acknowledged), timeout)
    spans = sorted(
        (arrived[note] - at) * 1000 for note, at in acknowledged.items() if note in arrived
    )
    return {
        "probes": len(acknowledged),
        "p50_ms": _percentile(spans, 50),
        "p99_ms": _percentile(spans, 99),
        "max_ms": spans[-1] if spans else float("nan"),
        "missing": len(acknowledged) - len(spans),
    }


def _percentile(ordered: list[float], percent: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


def _measure_layout(
    folder: Path,
    database: str,
    redis_url: str | None,
    args: argparse.Namespace,
) -> list[tuple[str, dict[str, float]]]:
    """The quiet row, then the loaded one, of one layout."""
    _flush(redis_url)
    port = free_port()
    env, plan, probes = prepare_deliveries(
        folder, port, args.bodies, database, redis_url, probes=PROBES
    )
    script = folder / f"load{port}.lua"
    script.write_text(_lua(json.loads(plan.read_text())["requests"]))
    worker = [[str(BIN / "shipcrowd-woo"), "worker"]] if redis_url else []
    rows = []
    with ProbeSubscriber() as subscriber, _served(port, env, folder, *worker):
        subscriber.secret = _subscribe(env, subscriber.url)
        prober = Prober(port, probes)
        # The first event warms everything on its way (workers, connections) up.
        note, _ = prober.send()
        if not subscriber.wait_for({note}, args.timeout):
            raise SystemExit(f"the warm-up probe's event never came ({args.timeout:.0f} s)")
        events = subscriber.events
        with prober.probing() as acknowledged:
            time.sleep(args.quiet_seconds)
        quiet = _latencies(subscriber, acknowledged, args.timeout)
        rows.append(("quiet", {**quiet, "events": subscriber.events - events}))
        events = subscriber.events
        with prober.probing() as acknowledged:
            load = _wrk(f"http://127.0.0.1:{port}", "-s", str(script))
        loaded = _latencies(subscriber, acknowledged, args.timeout)
        rows.append(
            (
                "wrk -t2 -c8, 3 s + 10 s",
                {**loaded, "events": subscriber.events - events, "wrk": load["per_second"]},
            )
        )
        if subscriber.badly_signed:
            raise SystemExit(f"{subscriber.badly_signed} deliveries were badly signed")
    _flush(redis_url)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=2000)
    parser.add_argument("--quiet-seconds", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for events")
    parser.add_argument("--redis-url", default=os.environ.get("SHIPCROWD_WOO_BENCH_REDIS_URL"))
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SHIPCROWD_WOO_BENCH_POSTGRES_URL")
    )
    parser.add_argument("--layout", choices=("embedded", "production", "both"), default="both")
    args = parser.parse_args()
    measured: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as databases:
        folder = Path(scratch)
        layouts: list[tuple[str, str | None, str | None]] = []
        if args.layout != "production":
            layouts.append(("embedded default (SQLite)", None, None))
        if args.layout != "embedded" and args.redis_url and args.postgres_url:
            layouts.append(("PostgreSQL + Redis, one worker", args.postgres_url, args.redis_url))
        for label, postgres_url, redis_url in layouts:
            database = (
                databases.enter_context(scratch_postgres(postgres_url))
                if postgres_url
                else f"sqlite:///{folder}/{len(measured)}.sqlite3"
            )
            for load, figures in _measure_layout(folder, database, redis_url, args):
                measured.append((label, load, figures))
    rows: list[tuple[str, ...]] = [
        (
            "layout",
            "load",
            "wrk req/s",
            "probes",
            "events",
            "p50 ms",
            "p99 ms",
            "max ms",
            "missing",
            "goal p99 <= 1,000 ms",
        )
    ]
    for label, load, figures in measured:
        rows.append(
            (
                label,
                load,
                f"{figures['wrk']:,.0f}" if "wrk" in figures else "-",
                f"{figures['probes']:.0f}",
                f"{figures['events']:,.0f}",
                f"{figures['p50_ms']:,.1f}",
                f"{figures['p99_ms']:,.1f}",
                f"{figures['max_ms']:,.1f}",
                f"{figures['missing']:.0f}",
                "met" if figures["p99_ms"] <= GOAL_MS and not figures["missing"] else "MISSED",
            )
        )
    print(
        table(
            f"Subscription latency: a webhook's 200 to its event at a subscriber, a probe every "
            f"{PROBE_EVERY * 1000:.0f} ms; load: the intake bench's ({args.bodies:,} distinct "
            f"signed order.updated bodies), gunicorn 2 workers x 4 threads",
            rows,
        )
    )


if __name__ == "__main__":
    main()
