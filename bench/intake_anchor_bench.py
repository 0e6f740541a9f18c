"""Webhook intake beside the anchor (issue 17's method): wrk, 2 threads x 8 connections, 10 s
after a 3 s warm-up, against the anchor (../shared/anchors/minimal_intake_app.py: verify the
HMAC, insert the body, 200) and against our app, both under gunicorn with 2 workers x 4
threads, both sent the same distinct real-shaped `order.updated` bodies (each a later save of
its order), each correctly signed for its server. Ratios are ours / the anchor's, measured in
this run.

    .venv/bin/python bench/intake_anchor_bench.py [--anchor PATH] [--bodies 2000]
        [--redis-url redis://…/N]     # acknowledging only (jobs on Redis, no worker), and
                                      # the inbox drain on SQLite
        [--postgres-url postgresql://…]  # with Redis: the production layout, and the drain
                                         # on PostgreSQL (a scratch database is made)

Layouts: the embedded default (SQLite, processing inside the gunicorn processes); with Redis,
acknowledging only; with PostgreSQL too, one `shipcrowd-woo worker` beside gunicorn. Then
management reads under the same load (the embedded default, a store with 300 orders), and
the inbox drain timed over the preloaded deliveries. The Redis database given is emptied.

wrk comes from Debian (`apt-get install wrk`); the script installs it when it runs as root.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import BIN, gunicorn, table
from deliveries import free_port, prepare_deliveries, scratch_postgres

ANCHOR_SECRET = b"s3cr3t"
WORKER = "shipcrowd_woo.entrypoints.http_server.BufferingWorker"
WRK = ("-t2", "-c8", "--latency")
# wrk cycles through the requests of a Lua table; bodies go in long brackets.
LUA = """
local requests = {}
local n = 0
function init(args)
%s
end
function request()
  n = n %% #requests + 1
  return requests[n]
end
"""


def _lua(requests: list[dict[str, object]]) -> str:
    lines = []
    for request in requests:
        headers = ", ".join(
            f'["{name}"] = [==[{value}]==]'
            for name, value in {**request["headers"], "Content-Type": "application/json"}.items()  # type: ignore[dict-item]
        )
        lines.append(
            f'  requests[#requests + 1] = wrk.format("POST", "{request["path"]}", '
            f"{{{headers}}}, [==[{request['body']}]==])"
        )
    return LUA % "\n".join(lines)


def _anchor_requests(ours: list[dict[str, object]]) -> list[dict[str, object]]:
    """The same bodies, signed with the anchor's secret."""
    signed = []
    for request in ours:
        body = str(request["body"]).encode()
        signature = base64.b64encode(hmac.new(ANCHOR_SECRET, body, hashlib.sha256).digest())
        signed.append({**request, "headers": {"X-WC-Webhook-Signature": signature.decode()}})
    return signed


def _wrk(url: str, *options: str) -> dict[str, float]:
    """Warm up 3 s, then measure 10 s (wrk's own `options` before the URL): requests/s, p50
    and p99 in ms, non-2xx answers."""
    wrk = shutil.which("wrk") or "wrk"
    subprocess.run([wrk, *WRK, "-d3s", *options, url], capture_output=True, check=True)
    out = subprocess.run(
        [wrk, *WRK, "-d10s", *options, url], capture_output=True, text=True, check=True
    ).stdout
    return _figures(out)


def _figures(out: str) -> dict[str, float]:
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "per_second": rate,
        "p50_ms": _millis(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99_ms": _millis(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _millis(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _measure(
    app: str, port: int, env: dict[str, str], cwd: Path, script: Path, *extra: str
) -> dict[str, float]:
    server = gunicorn(app, port, env, cwd, *extra)
    try:
        return _wrk(f"http://127.0.0.1:{port}", "-s", str(script))
    finally:
        server.terminate()
        server.wait(timeout=60)


@contextmanager
def _served(port: int, env: dict[str, str], cwd: Path, *processes: list[str]) -> Iterator[None]:
    """Our app under gunicorn (our buffering worker), and other processes beside it."""
    server = gunicorn(
        "shipcrowd_woo.entrypoints.flask_app:served_app()", port, env, cwd, "-k", WORKER
    )
    others = [
        subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.DEVNULL)
        for command in processes
    ]
    try:
        yield
    finally:
        for process in [server, *others]:
            process.terminate()
        server.wait(timeout=60)
        for process in others:
            process.wait(timeout=60)


def _flush(redis_url: str | None) -> None:
    """Empty the benchmark's Redis database (queued wakes of an earlier layout)."""
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        client.flushdb()
        client.close()


def _drain_rate(env: dict[str, str], plan: Path) -> dict[str, float]:
    """Preload the inbox through the intake (no worker: the wakes wait on Redis), then
    time one drain — what a worker thread runs when woken — until the inbox is empty."""
    from datetime import timedelta

    from shipcrowd_woo.entrypoints.bootstrap import bootstrap
    from shipcrowd_woo.entrypoints.flask_app import create_app
    from shipcrowd_woo.entrypoints.settings import Settings

    services = bootstrap(Settings.from_env(env))
    client = create_app(services=services, background=False).test_client()
    requests = json.loads(plan.read_text())["requests"]
    for request in requests:
        answer = client.post(request["path"], data=request["body"], headers=request["headers"])
        assert answer.status_code == 200, answer.get_data()
    started = time.perf_counter()
    report = services.drain.drain(timedelta(hours=1))
    seconds = time.perf_counter() - started
    waiting = services.context.inbox.waiting(services.clock.now())
    services.close()
    assert report.processed == len(requests), report
    assert waiting == 0, waiting
    return {"deliveries": report.processed, "seconds": seconds, "batches": report.batches}


def _management_reads(folder: Path, redis_url: str | None) -> list[tuple[str, dict[str, float]]]:
    """GET /stores and GET /stores/{id}/sync/logs under wrk, the embedded default, a store
    with 300 orders imported."""
    import jwt

    from shipcrowd_woo.domain.ids import CompanyId
    from shipcrowd_woo.domain.jobs import SyncMode
    from shipcrowd_woo.entrypoints.bootstrap import bootstrap
    from shipcrowd_woo.entrypoints.settings import Settings
    from shipcrowd_woo.sandbox.server import SandboxServer
    from shipcrowd_woo.sandbox.store import SandboxStore

    port = free_port()
    database = f"sqlite:///{folder}/reads.sqlite3"
    env, _, _ = prepare_deliveries(folder, port, 1, database, None)
    env["SHIPCROWD_WOO_JWT_SECRET"] = secrets.token_urlsafe(32)
    env["SHIPCROWD_WOO_RATE_LIMIT"] = "100000000 per minute"
    services = bootstrap(Settings.from_env(env))
    with SandboxServer(SandboxStore(seed=6, products=20, orders=300)) as sandbox:
        from shipcrowd_woo.domain.secrets import Secret

        key, secret = sandbox.store.create_api_key()
        company = CompanyId("bench")
        store = services.stores.install(company, sandbox.url, Secret(key), Secret(secret))
        services.orders.run(company, store.store.id, SyncMode.FULL)
    services.close()
    token = jwt.encode(
        {"company_id": "bench", "role": "admin", "sub": "bench", "exp": time.time() + 3600},
        env["SHIPCROWD_WOO_JWT_SECRET"],
        "HS256",
    )
    prefix = "/integrations/woocommerce"
    measured = []
    with _served(port, env, folder):
        base = f"http://127.0.0.1:{port}"
        for path in ("/stores", f"/stores/{store.store.id}/sync/logs"):
            measured.append(
                (
                    f"ours, GET {path.replace(store.store.id, '{id}')}",
                    _wrk(base + prefix + path, "-H", f"Authorization: Bearer {token}"),
                )
            )
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--anchor", type=Path, default=Path("../shared/anchors/minimal_intake_app.py")
    )
    parser.add_argument("--bodies", type=int, default=2000)
    parser.add_argument("--redis-url", default=os.environ.get("SHIPCROWD_WOO_BENCH_REDIS_URL"))
    parser.add_argument(
        "--postgres-url", default=os.environ.get("SHIPCROWD_WOO_BENCH_POSTGRES_URL")
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        if os.geteuid() != 0:
            raise SystemExit("wrk is missing: apt-get install wrk")
        subprocess.run(
            ["/usr/bin/apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True
        )
    anchor = args.anchor.resolve()
    measured: list[tuple[str, dict[str, float]]] = []
    drains: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as databases:
        folder = Path(scratch)
        anchor_script = folder / "anchor.lua"
        layouts = [("ours, embedded default (processing in the same processes)", "sqlite", None)]
        if args.redis_url:
            layouts.insert(
                0,
                (
                    "ours, acknowledging (SQLite, jobs on Redis, no worker)",
                    "sqlite",
                    args.redis_url,
                ),
            )
            if args.postgres_url:
                layouts.append(
                    (
                        "ours, production (PostgreSQL + Redis, one worker)",
                        "postgresql",
                        args.redis_url,
                    )
                )
        for label, backend, redis_url in layouts:
            _flush(redis_url)
            port = free_port()
            database = (
                databases.enter_context(scratch_postgres(args.postgres_url))
                if backend == "postgresql"
                else f"sqlite:///{folder}/{len(measured)}.sqlite3"
            )
            env, plan, _ = prepare_deliveries(folder, port, args.bodies, database, redis_url)
            requests = json.loads(plan.read_text())["requests"]
            ours = folder / f"ours{len(measured)}.lua"
            ours.write_text(_lua(requests))
            if not anchor_script.exists():
                anchor_script.write_text(_lua(_anchor_requests(requests)))
            worker = [[str(BIN / "shipcrowd-woo"), "worker"]] if backend == "postgresql" else []
            with _served(port, env, folder, *worker):
                measured.append((label, _wrk(f"http://127.0.0.1:{port}", "-s", str(ours))))
        if args.redis_url:
            drain_databases = [("SQLite", f"sqlite:///{folder}/drain.sqlite3")]
            if args.postgres_url:
                drain_databases.append(
                    ("PostgreSQL", databases.enter_context(scratch_postgres(args.postgres_url)))
                )
            for name, database in drain_databases:
                _flush(args.redis_url)
                env, plan, _ = prepare_deliveries(
                    folder, free_port(), args.bodies, database, args.redis_url
                )
                drains.append((name, _drain_rate(env, plan)))
            _flush(args.redis_url)
        reads = _management_reads(folder, None)
        baseline = _measure(
            "minimal_intake_app:app",
            free_port(),
            {"TMPDIR": scratch},
            anchor.parent,
            anchor_script,
            "-k",
            "gthread",
        )
    rows: list[tuple[str, ...]] = [("server", "req/s", "p50 ms", "p99 ms", "non-2xx", "ratio")]
    for label, figures in [("the anchor: minimal_intake_app.py", baseline), *measured, *reads]:
        rows.append(
            (
                label,
                f"{figures['per_second']:,.0f}",
                f"{figures['p50_ms']:.1f}",
                f"{figures['p99_ms']:.1f}",
                f"{figures['errors']:.0f}",
                f"{figures['per_second'] / baseline['per_second']:.2f}",
            )
        )
    print(
        table(
            f"Webhook intake beside the anchor: wrk 2 threads x 8 connections, 10 s after 3 s, "
            f"{args.bodies:,} distinct signed order.updated bodies, gunicorn 2 workers x 4 "
            f"threads; p99 goals: acknowledging <= 2x the anchor's, embedded <= 100 ms, "
            f"management reads <= 50 ms",
            rows,
        )
    )
    if drains:
        print(
            table(
                "Inbox drain: the acknowledged deliveries above, preloaded, drained by one "
                "drain (a worker thread's work when woken); goal >= 1,000/s",
                [("database", "deliveries", "batches", "seconds", "per second")]
                + [
                    (
                        name,
                        f"{run['deliveries']:,.0f}",
                        f"{run['batches']:.0f}",
                        f"{run['seconds']:.2f}",
                        f"{run['deliveries'] / run['seconds']:,.0f}",
                    )
                    for name, run in drains
                ],
            )
        )


if __name__ == "__main__":
    main()
