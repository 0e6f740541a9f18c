"""Webhook intake beside the anchor (issue 17's method): wrk, 2 threads x 8 connections, 10 s
after a 3 s warm-up, against the anchor (../shared/anchors/minimal_intake_app.py: verify the
HMAC, insert the body, 200) and against our app, both under gunicorn with 2 workers x 4
threads, both sent the same number of distinct real-shaped `order.updated` bodies, each
correctly signed for its server. SQLite. Ratios are ours / the anchor's, measured in this run.

    .venv/bin/python bench/intake_anchor_bench.py [--anchor PATH] [--bodies 2000]
        [--redis-url redis://…]   # also: jobs queued on Redis, no worker (acknowledging only)

wrk comes from Debian (`apt-get install wrk`); the script installs it when it runs as root.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import BIN, table
from intake_bench import free_port, prepare_deliveries

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


def _wrk(url: str, script: Path) -> dict[str, float]:
    """Warm up 3 s, then measure 10 s: requests/s, p50 and p99 in ms, non-2xx answers."""
    wrk = shutil.which("wrk") or "wrk"
    subprocess.run([wrk, *WRK, "-d3s", "-s", str(script), url], capture_output=True, check=True)
    out = subprocess.run(
        [wrk, *WRK, "-d10s", "-s", str(script), url], capture_output=True, text=True, check=True
    ).stdout
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


def _gunicorn(
    app: str, port: int, env: dict[str, str], cwd: Path, *extra: str
) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "2",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            *extra,
            app,
        ],
        cwd=cwd,
        env={**os.environ, **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    booted = 0
    while booted < 2:  # gunicorn says so once per worker
        line = server.stderr.readline()
        if not line:
            raise SystemExit(f"{app} did not start")
        booted += "Booting worker" in line
    return server


def _measure(
    app: str, port: int, env: dict[str, str], cwd: Path, script: Path, *extra: str
) -> dict[str, float]:
    server = _gunicorn(app, port, env, cwd, *extra)
    try:
        return _wrk(f"http://127.0.0.1:{port}", script)
    finally:
        server.terminate()
        server.communicate(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--anchor", type=Path, default=Path("../shared/anchors/minimal_intake_app.py")
    )
    parser.add_argument("--bodies", type=int, default=2000)
    parser.add_argument("--redis-url", default=os.environ.get("SHIPCROWD_WOO_BENCH_REDIS_URL"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        if os.geteuid() != 0:
            raise SystemExit("wrk is missing: apt-get install wrk")
        subprocess.run(
            ["/usr/bin/apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True
        )
    anchor = args.anchor.resolve()
    rows: list[tuple[str, ...]] = [("server", "req/s", "p50 ms", "p99 ms", "non-2xx", "ratio")]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        layouts = [("ours, embedded default (jobs processed in the same processes)", None)]
        if args.redis_url:
            layouts.append(
                ("ours, jobs queued on Redis, no worker (acknowledging)", args.redis_url)
            )
        anchor_script = folder / "anchor.lua"
        measured: list[tuple[str, dict[str, float]]] = []
        for label, redis_url in layouts:
            port = free_port()
            database = f"sqlite:///{folder}/{len(measured)}.sqlite3"
            env, plan, _ = prepare_deliveries(folder, port, args.bodies, database, redis_url)
            requests = json.loads(plan.read_text())["requests"]
            ours = folder / f"ours{len(measured)}.lua"
            ours.write_text(_lua(requests))
            if not anchor_script.exists():
                anchor_script.write_text(_lua(_anchor_requests(requests)))
            measured.append(
                (
                    label,
                    _measure(
                        "shipcrowd_woo.entrypoints.flask_app:create_app()",
                        port,
                        env,
                        folder,
                        ours,
                        "-k",
                        WORKER,
                    ),
                )
            )
        baseline = _measure(
            "minimal_intake_app:app",
            free_port(),
            {"TMPDIR": scratch},
            anchor.parent,
            anchor_script,
            "-k",
            "gthread",
        )
    for label, figures in [("the anchor: minimal_intake_app.py", baseline), *measured]:
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
            f"threads, SQLite",
            rows,
        )
    )


if __name__ == "__main__":
    main()
