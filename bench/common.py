"""What the benchmarks share: child processes that answer one JSON line, the sandbox as a
separate process, a database ready for the app, and the table they print."""

import json
import os
import platform
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
COMMAND = str(BIN / "shipcrowd-woo")


def machine() -> str:
    """CPU, cores and Python, for the figures' footnote."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run_child(script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `script --child …` in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, script, "--child", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{script} {args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def sandbox_process(orders: int, products: int = 200, **extra: str) -> Iterator[dict[str, str]]:
    """`shipcrowd-woo sandbox` in its own process (so it does not share our CPU time or
    memory figures); yields its URL, key and secret."""
    options = [f"--{k.replace('_', '-')}={v}" for k, v in extra.items()]
    with subprocess.Popen(
        [
            COMMAND,
            "sandbox",
            "--port",
            "0",
            f"--orders={orders}",
            f"--products={products}",
            *options,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        assert server.stdout is not None
        found: dict[str, str] = {}
        for key in ("url", "key", "secret"):
            found[key] = server.stdout.readline().split(": ", 1)[1].strip()
        try:
            yield found
        finally:
            server.terminate()
            server.wait()


def fresh_services(
    folder: str, database: str | None = None, entrypoint: bool = False, **settings: Any
) -> Any:
    """The services over a new migrated SQLite file in `folder` (or the empty `database`),
    allowed to reach the sandbox on 127.0.0.1, with any other `settings` given (imported
    here, so the benchmark's parent process stays lean); as our entrypoints build them when
    `entrypoint`, else as an embedding host does."""
    from shipcrowd_woo.adapters.crypto import generate_key_text, parse_encryption_keys
    from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
    from shipcrowd_woo.entrypoints.bootstrap import bootstrap
    from shipcrowd_woo.entrypoints.settings import Settings

    database = database or f"sqlite:///{folder}/bench.sqlite3"
    upgrade(database)
    return bootstrap(
        Settings(
            database_url=database,
            encryption_keys=tuple(parse_encryption_keys(generate_key_text("b"))),
            allow_private_hosts=True,
            read_timeout=120,
            **settings,
        ),
        entrypoint=entrypoint,
    )


def table(title: str, rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table with a title line."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join([title, "-" * len(title), *lines, f"machine: {machine()}", ""])


def gunicorn(
    app: str,
    port: int,
    env: dict[str, str],
    cwd: Path,
    *extra: str,
    on_line: Callable[[str], None] | None = None,
) -> "subprocess.Popen[str]":
    """`app` under gunicorn, 2 workers x 4 threads, once both workers booted; its later
    log lines go to `on_line` (read on in any case, or the server blocks once its log fills
    the pipe)."""
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

    def read_on() -> None:
        assert server.stderr is not None
        for line in server.stderr:
            if on_line is not None:
                on_line(line)

    threading.Thread(target=read_on, daemon=True).start()
    return server
