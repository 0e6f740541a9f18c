"""Resource watch: a test that leaves something open fails itself, saying what and where.

After each test's teardown, garbage is collected with ResourceWarning an error, so a socket,
file or subprocess that nothing closed fails *this* test's teardown. Before, such a leak
surfaced whenever the collector happened to run, often after the last test, and failed the whole
session with no culprit. Then what the process holds is compared with what it held before the
test: every file descriptor (sockets, pipes, files such as a SQLite database), thread and child
process that the test or its function-scoped fixtures opened must be gone.

What a broader-scoped fixture (a session's sandbox, the PostgreSQL engine) opens while a test
sets it up is that fixture's to keep until it is finalized; then it must be gone too, or the test
during which the fixture ended fails, naming the fixture.

Where a leaked object was made: tracemalloc would tell, but tracing every allocation makes the
suite 2.4 (one frame) to 12 (twenty frames) times slower, so a leaking test is run again alone in
a child pytest with tracemalloc on, and its report is added to the failure.
"""

import gc
import io
import linecache
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

# How long threads a test told to stop (server threads, worker threads) may take to end.
THREAD_GRACE_SECONDS = float(os.environ.get("SHIPCROWD_WOO_THREAD_GRACE_SECONDS", "10"))
PROC_SELF = Path(f"/proc/{os.getpid()}")
STANDARD_STREAMS = 2
# Frames of an allocation's traceback worth no reader's time.
PYTEST_MACHINERY = ("/_pytest/", "/pluggy/")
TRACED_FRAMES = 30
# Set in the child pytest that runs a leaking test again, tracing from the test's setup on
# (tracing from start-up would trace pytest's plugins importing for minutes).
RERUN_VARIABLE = "SHIPCROWD_WOO_RESOURCE_WATCH_RERUN"
RERUN_TIMEOUT_SECONDS = 600


@attrs.frozen
class Holdings:
    """What the process holds: open file descriptors (number, what it points at), live
    threads, child processes."""

    descriptors: frozenset[tuple[int, str]] = frozenset()
    threads: frozenset[threading.Thread] = frozenset()
    children: frozenset[int] = frozenset()

    def __sub__(self, other: "Holdings") -> "Holdings":
        return Holdings(
            self.descriptors - other.descriptors,
            self.threads - other.threads,
            self.children - other.children,
        )

    def __or__(self, other: "Holdings") -> "Holdings":
        return Holdings(
            self.descriptors | other.descriptors,
            self.threads | other.threads,
            self.children | other.children,
        )

    def __and__(self, other: "Holdings") -> "Holdings":
        return Holdings(
            self.descriptors & other.descriptors,
            self.threads & other.threads,
            self.children & other.children,
        )

    def __bool__(self) -> bool:
        return bool(self.descriptors or self.threads or self.children)


def _descriptors() -> frozenset[tuple[int, str]]:
    found = set()
    for name in os.listdir(PROC_SELF / "fd"):
        if int(name) <= STANDARD_STREAMS:  # pytest's capture points these elsewhere per test
            continue
        try:
            found.add((int(name), os.readlink(PROC_SELF / "fd" / name)))
        except FileNotFoundError:  # the listing's own descriptor, or one closed meanwhile
            continue
    return frozenset(found)


def _children(process: Path = PROC_SELF) -> frozenset[int]:
    pids: set[int] = set()
    for task in (process / "task").iterdir():
        try:
            pids.update(int(pid) for pid in (task / "children").read_text().split())
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
    return frozenset(pids)


def descendants(pid: int) -> frozenset[int]:
    """The processes `pid` started, and those they started, and so on."""
    try:
        children = _children(Path(f"/proc/{pid}"))
    except FileNotFoundError:  # ended meanwhile
        return frozenset()
    return children.union(*(descendants(child) for child in children))


def holdings() -> Holdings:
    return Holdings(
        _descriptors(),
        frozenset(thread for thread in threading.enumerate() if thread.is_alive()),
        _children(),
    )


def _socket_addresses() -> dict[str, str]:
    """socket inode -> 'local -> remote' for this process's TCP and Unix sockets."""
    addresses: dict[str, str] = {}
    for table in ("tcp", "tcp6"):
        for line in (PROC_SELF / "net" / table).read_text().splitlines()[1:]:
            fields = line.split()
            addresses[fields[9]] = f"{_address(fields[1])} -> {_address(fields[2])}"
    for line in (PROC_SELF / "net" / "unix").read_text().splitlines()[1:]:
        fields = line.split()
        addresses[fields[6]] = f"unix {fields[7] if len(fields) > 7 else '(unnamed)'}"
    return addresses


def _address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    if len(host) == 8:
        return f"{'.'.join(str(octet) for octet in bytes.fromhex(host)[::-1])}:{int(port, 16)}"
    return f"[{host}]:{int(port, 16)}"


def _allocated_at(obj: object) -> str:
    trace = tracemalloc.get_object_traceback(obj)
    if trace is None:
        return ""
    lines = ["allocated at:"]
    for frame in trace:
        if not any(part in frame.filename for part in PYTEST_MACHINERY):
            code = linecache.getline(frame.filename, frame.lineno).strip()
            lines.append(f"      {frame.filename}:{frame.lineno}  {code}")
    return "\n".join(lines)


def _python_owner(fd: int) -> object | None:
    """The Python socket or file whose descriptor this is, if one is alive."""
    gc.unfreeze()  # frozen objects are not listed; the next collection freezes them again
    for obj in gc.get_objects():
        if isinstance(obj, socket.socket | io.IOBase):
            try:
                if obj.fileno() == fd:
                    return obj
            except (OSError, ValueError, AttributeError):  # closed or detached meanwhile
                continue
    return None


def describe(leaked: Holdings) -> list[str]:
    lines = []
    sockets = _socket_addresses() if leaked.descriptors else {}
    for fd, target in sorted(leaked.descriptors):
        inode = target.removeprefix("socket:[").removesuffix("]")
        owner = _python_owner(fd)
        where = f"{owner!r} {_allocated_at(owner)}" if owner else "(held outside Python)"
        lines.append(f"  file descriptor {fd}: {target} {sockets.get(inode, '')}\n    {where}")
    for thread in sorted(leaked.threads, key=lambda t: t.name):
        # Python 3.11's tracemalloc cannot place objects with a managed __dict__, Thread among
        # them; the lock its constructor makes for its start event carries the same traceback.
        made = getattr(getattr(getattr(thread, "_started", None), "_cond", None), "_lock", thread)
        lines.append(f"  thread {thread.name!r} (daemon={thread.daemon}) {_allocated_at(made)}")
    for pid in sorted(leaked.children):
        try:
            command = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            command = b"(ended)"
        lines.append(
            f"  child process {pid}: {command.decode(errors='replace').strip()} "
            + _popen_made_at(pid)
        )
    return lines


def _popen_made_at(pid: int) -> str:
    """Where the Popen of the child was made (its constructor's lock carries the traceback,
    as the Popen itself has a managed __dict__ that 3.11's tracemalloc cannot place)."""
    gc.unfreeze()
    for obj in gc.get_objects():
        if isinstance(obj, subprocess.Popen) and obj.pid == pid:
            return _allocated_at(getattr(obj, "_waitpid_lock", obj))
    return ""


def collect_garbage() -> list[str]:
    """Collects garbage, ResourceWarning an error; what the finalizers complained of (an
    unclosed socket or file, a subprocess still running), each with where it was made."""
    complaints = []

    def complain(unraisable: "sys.UnraisableHookArgs") -> None:
        complaints.append(
            f"  {unraisable.err_msg or 'Exception ignored in'}: {unraisable.object!r}\n"
            f"    {unraisable.exc_value!r} {_allocated_at(unraisable.object)}"
        )

    previous, sys.unraisablehook = sys.unraisablehook, complain
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            gc.collect()
    finally:
        sys.unraisablehook = previous
    # What survived is out of reach of later collections, so each test's collection costs only
    # what the test made (a full collection of the suite's heap took about 60 ms a test).
    gc.freeze()
    return complaints


def still_held(new: Holdings, started: float) -> Holdings:
    """What of `new` is still held once its threads had their grace to end."""
    deadline = started + THREAD_GRACE_SECONDS
    for thread in new.threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return new & holdings()


def traced_rerun(item: pytest.Item) -> str:
    """The report of `item` run again alone with tracemalloc on: where its leaks were made."""
    if tracemalloc.is_tracing() or os.environ.get(RERUN_VARIABLE):
        return ""
    environment = {**os.environ, RERUN_VARIABLE: "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", item.nodeid]
    # A file, not a pipe: a child process the test leaks would hold a pipe open past the end.
    with tempfile.TemporaryFile("w+") as output:
        try:
            subprocess.run(
                command,
                cwd=item.config.rootpath,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=RERUN_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return "\n(run again alone with tracemalloc on, it did not end in time)"
        output.seek(0)
        report = output.read().split("left open what it", 1)
    if len(report) == 1:
        return "\n(run again alone with tracemalloc on, it leaked nothing: an earlier test's?)"
    body = report[1].split("\n", 1)[1].split("\n----", 1)[0].split("\n====", 1)[0]
    return "\nRun again alone with tracemalloc on, it said:\n" + body.rstrip()


@attrs.define
class ResourceWatch:
    before: Holdings = Holdings()
    # What broader-scoped fixtures opened while being set up: theirs to keep until finalized.
    kept: Holdings = Holdings()
    kept_by: dict[int, Holdings] = attrs.Factory(dict)
    # Fixtures finalized during the current test's teardown that left something open, and
    # what they left (blamed on them, not on the test).
    fixture_failures: list[str] = attrs.Factory(list)
    fixture_leftovers: Holdings = Holdings()


WATCH_KEY = pytest.StashKey[ResourceWatch]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[WATCH_KEY] = ResourceWatch()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    if os.environ.get(RERUN_VARIABLE) and not tracemalloc.is_tracing():
        tracemalloc.start(TRACED_FRAMES)
    item.config.stash[WATCH_KEY].before = holdings()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> Iterator[object]:
    if fixturedef.scope == "function":
        return (yield)
    watch = request.config.stash[WATCH_KEY]
    before = holdings()
    try:
        return (yield)
    finally:
        made = holdings() - before
        watch.kept = watch.kept | made
        watch.kept_by[id(fixturedef)] = made


def pytest_fixture_post_finalizer(
    fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest
) -> None:
    watch = request.config.stash[WATCH_KEY]
    made = watch.kept_by.pop(id(fixturedef), None)
    if made is None:
        return
    watch.kept = watch.kept - made
    complaints = collect_garbage()
    left = still_held(made, time.monotonic())
    if complaints or left:
        watch.fixture_leftovers = watch.fixture_leftovers | left
        watch.fixture_failures.append(
            f"fixture {fixturedef.argname!r} ({fixturedef.scope}-scoped) left open what it "
            "opened:\n" + "\n".join([*complaints, *describe(left)])
        )


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """After the test's fixtures are torn down: garbage that finalizers complain of, and what
    is still held, fail this test's teardown."""
    watch = item.config.stash[WATCH_KEY]
    started = time.monotonic()
    complaints = collect_garbage()
    leaked = still_held(holdings() - watch.before - watch.kept - watch.fixture_leftovers, started)
    failures, watch.fixture_failures = watch.fixture_failures, []
    watch.fixture_leftovers = Holdings()
    if complaints or leaked:
        failures.insert(
            0,
            f"{item.nodeid} left open what it (or its function-scoped fixtures) opened:\n"
            + "\n".join([*complaints, *describe(leaked)])
            + traced_rerun(item),
        )
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


def still_running(watches: dict[int, int], within_seconds: float) -> set[int]:
    """The processes of `watches` (pidfds) still running after waiting up to that long for
    them to end (a pidfd turns readable when its process ends)."""
    running = dict(watches)
    while running:
        ended, _, _ = select.select(list(running.values()), [], [], within_seconds)
        if not ended:
            break
        running = {pid: fd for pid, fd in running.items() if fd not in ended}
    return set(running)
