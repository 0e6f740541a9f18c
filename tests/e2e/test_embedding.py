"""An embedded library is a good citizen (issue 30). A host program embeds it the way the
README shows, with imports prepared in processes (asked for), and checks on itself that the
library printed nothing on stdout, installed no signal handler and no logging configuration,
ran the host's module-level code once (no preparing process imported `__main__` again), and
left no thread or process once `services.close()` returned — written as a script without a
`__main__` guard, as `python -c`, typed into a REPL, exec'd like a notebook cell, and inside
a host that runs a multiprocessing pool of its own; and a host preloaded by gunicorn."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import httpx
import pytest

import shipcrowd_woo
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.e2e.embedding import host_environment, run_python
from tests.resources import descendants, still_running
from tests.servers import free_port

GUNICORN = str(Path(sys.executable).parent / "gunicorn")

# How every host below connects and installs the sandbox as its store (STORE_* variables).
CONNECT_AND_INSTALL = """import shipcrowd_woo as woo
services = woo.connect(woo.Settings.from_env())
company = woo.CompanyId("acme")
store = services.stores.install(
    company,
    os.environ["STORE_URL"],
    woo.Secret(os.environ["STORE_KEY"]),
    woo.Secret(os.environ["STORE_SECRET"]),
).store"""

# Top-level statements only, each block followed by a blank line and no value left for the
# REPL to echo, so that a REPL takes it too.
HOST = """
import json, logging, os, signal, sys, threading
from pathlib import Path
with open(os.environ["MARKS"], "a") as marks:
    _ = marks.write("module-level code ran\\n")

def children():
    tasks = Path("/proc/self/task").iterdir()
    return sorted(int(c) for t in tasks for c in (t / "children").read_text().split())

def handlers():
    found = {int(s): signal.getsignal(s) for s in signal.valid_signals()}
    return {number: repr(handler) for number, handler in found.items() if handler is not None}

def our_loggers():
    names = [n for n in logging.root.manager.loggerDict if n.startswith("shipcrowd_woo")]
    loggers = [logging.getLogger(n) for n in names]
    loggers = [logger for logger in loggers if isinstance(logger, logging.Logger)]
    return [(logger.name, len(logger.handlers), logger.propagate) for logger in loggers]

host_pool = HOST_POOL
before = {"signals": handlers(), "root": repr(logging.root.handlers), "level": logging.root.level}
threads_before = {t.name for t in threading.enumerate()}
children_before = children()
CONNECT_AND_INSTALL
run = services.orders.run(company, store.id, woo.SyncMode.FULL)
preparing = len(children()) - len(children_before)
app = woo.create_app(services=services)
answer = app.test_client().get("/healthz").status_code
background = len({t.name for t in threading.enumerate()} - threads_before)
services.close()
after = {"signals": handlers(), "root": repr(logging.root.handlers), "level": logging.root.level}
host_answer = host_pool.apply(abs, (-7,)) if host_pool else None
report = {
    "imported": run.log.synced,
    "preparing": preparing,
    "answer": answer,
    "background": background,
    "same": before == after,
    "threads left": sorted({t.name for t in threading.enumerate()} - threads_before),
    "children left": sorted(set(children()) - set(children_before)),
    "loggers": our_loggers(),
    "host pool": host_answer,
}
_ = Path(os.environ["REPORT"]).write_text(json.dumps(report))
"""
NO_POOL = "None"
FORK_POOL = '__import__("multiprocessing").get_context("fork").Pool(1)'
NOTEBOOK_CELL = "exec(compile(open({path!r}).read(), '<cell>', 'exec'), {{'__name__': '__main__'}})"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(SandboxStore(seed=30, products=6, orders=60)) as server:
        yield server


@pytest.mark.parametrize("host", ["script", "python -c", "REPL", "notebook cell", "pool"])
def test_an_embedding_host_finds_the_library_a_good_citizen(host, sandbox, tmp_path):
    source = HOST.replace("CONNECT_AND_INSTALL", CONNECT_AND_INSTALL).replace(
        "HOST_POOL", FORK_POOL if host == "pool" else NO_POOL
    )
    script = tmp_path / "host.py"
    script.write_text(source)
    env = host_environment(
        tmp_path / "host.sqlite3",
        sandbox,
        SHIPCROWD_WOO_IMPORT_PROCESSES="2",  # the host asks for preparing processes
        MARKS=str(tmp_path / "marks"),
        REPORT=str(tmp_path / "report.json"),
    )
    args, stdin = {
        "script": ([str(script)], None),
        "pool": ([str(script)], None),
        "python -c": (["-c", source], None),
        "REPL": (["-i", "-q"], source + "\n"),
        "notebook cell": (["-c", NOTEBOOK_CELL.format(path=str(script))], None),
    }[host]
    done = run_python(args, env, tmp_path, stdin)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert (tmp_path / "marks").read_text() == "module-level code ran\n"
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["imported"] == 60
    assert report["preparing"] == 2
    assert report["answer"] == 200
    assert report["background"] > 0  # worker threads and the scheduler, embedded
    assert report["same"], "signal handlers or the root logger changed"
    assert report["threads left"] == []
    assert report["children left"] == []
    assert all(handlers == 0 and propagate for _, handlers, propagate in report["loggers"])
    assert report["host pool"] == (7 if host == "pool" else None)


PRELOADED_HOST = """
import os
CONNECT_AND_INSTALL
# In gunicorn's master, before it forks its worker: preparing processes start here.
first = services.orders.run(company, store.id, woo.SyncMode.FULL).log.synced
flask_app = woo.create_app(services=services, background=False)


def app(environ, start_response):
    if environ["PATH_INFO"] != "/import":
        return flask_app(environ, start_response)
    again = services.orders.run(company, store.id, woo.SyncMode.FULL).log  # in the worker
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{first} {again.processed} {os.getpid()}".encode()]
"""


def test_a_host_preloaded_by_gunicorn_imports_in_its_master_and_in_its_worker(sandbox, tmp_path):
    """Under `gunicorn --preload` the host builds the services in the master, which imports
    with preparing processes and forks its worker: the worker imports with processes of its
    own (a fork's copies of the master's are let go), the app answers, and once gunicorn has
    stopped every process either of them started has ended."""
    (tmp_path / "host_app.py").write_text(
        PRELOADED_HOST.replace("CONNECT_AND_INSTALL", CONNECT_AND_INSTALL)
    )
    env = host_environment(tmp_path / "host.sqlite3", sandbox, SHIPCROWD_WOO_IMPORT_PROCESSES="2")
    port = free_port()
    gunicorn = subprocess.Popen(
        [GUNICORN, "--preload", "-w", "1", "-b", f"127.0.0.1:{port}", "host_app:app"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert gunicorn.stderr is not None
        for line in gunicorn.stderr:  # gunicorn logs each worker it boots
            if "Booting worker with pid" in line:
                worker = int(line.rsplit(" ", 1)[1])
                break
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            first, again, answered_by = client.get("/import").text.split()
            assert client.get("/healthz").status_code == 200
        assert (first, again, int(answered_by)) == ("60", "60", worker)
        started = descendants(gunicorn.pid)
        assert len(started) >= 5  # the worker, and two preparing processes of each
        watches = {pid: os.pidfd_open(pid) for pid in started}
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=60)
        gunicorn.stderr.close()
    try:
        assert still_running(watches, within_seconds=30) == set()
    finally:
        for watch in watches.values():
            os.close(watch)


def test_close_leaves_nothing_the_library_started_in_this_process(
    sandbox, tmp_path, migrated_sqlite_template
):
    """In this process, under the resource watch (tests/resources.py: every thread, child
    process and file descriptor a test opened must be gone when it ends): preparing
    processes, worker threads and the scheduler are all started, and `close()` ends them."""
    shutil.copy(migrated_sqlite_template, tmp_path / "shop.sqlite3")
    env = host_environment(tmp_path / "shop.sqlite3", sandbox)
    settings = attrs.evolve(shipcrowd_woo.Settings.from_env(env), import_processes=2)
    with shipcrowd_woo.connect(settings) as services:
        company = shipcrowd_woo.CompanyId("acme")
        store = services.stores.install(
            company,
            env["STORE_URL"],
            shipcrowd_woo.Secret(env["STORE_KEY"]),
            shipcrowd_woo.Secret(env["STORE_SECRET"]),
        ).store
        run = services.orders.run(company, store.id, shipcrowd_woo.SyncMode.FULL).log
        assert run is not None
        assert run.synced == 60
        assert len(descendants(os.getpid())) == 2
        app = shipcrowd_woo.create_app(services=services)
        assert app.test_client().get("/healthz").status_code == 200
    assert descendants(os.getpid()) == frozenset()
