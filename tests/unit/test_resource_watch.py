"""The resource watch (tests/resources.py) fails the test that leaked, naming what it left open
and where it was made; a test that closes what it opens passes."""

import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]

LEAKY_TESTS = """
import socket, subprocess, threading

import pytest

class Cycle:
    def __init__(self, address):
        self.itself = self
        self.connection = socket.create_connection(address)

@pytest.fixture(scope="module")
def server():
    listening = socket.create_server(("127.0.0.1", 0))
    yield listening.getsockname()
    listening.close()

def test_a_socket_left_to_the_garbage_collector(server):
    Cycle(server)

def test_a_socket_kept_open(server):
    global KEPT
    KEPT = socket.create_connection(server)

def test_a_thread_left_running():
    global STOP
    STOP = threading.Event()
    threading.Thread(target=STOP.wait, name="forgotten-thread", daemon=True).start()

def test_a_child_process_left_running():
    global CHILD
    CHILD = subprocess.Popen(["sleep", "60"])

def test_a_file_left_open(tmp_path):
    global FILE
    FILE = open(tmp_path / "kept.sqlite3", "w")

def test_what_is_closed_in_time_passes(server):
    with socket.create_connection(server):
        pass
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    stop.set()
    subprocess.run(["true"], check=True)

def test_a_thread_that_ends_after_it_was_told_to_passes():
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()
    stop.set()
"""


FIXTURE_LEAK = """
import threading

import pytest

@pytest.fixture(scope="module")
def worker():
    stop = threading.Event()
    threading.Thread(target=stop.wait, name="worker-never-stopped", daemon=True).start()
    yield stop

def test_uses_a_worker(worker):
    pass
"""


@attrs.frozen
class Run:
    output: str

    def teardown_failure(self, test: str) -> str:
        """The text of the teardown error reported for `test`."""
        start = self.output.index(f"ERROR at teardown of {test}")
        end = self.output.find("ERROR at teardown of", start + 1)
        return self.output[start : end if end != -1 else len(self.output)]


@pytest.fixture(scope="module")
def leaky_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The leaky tests above, run by a pytest of their own with the watch on, as CI runs it
    (without tracemalloc, so each leak's place comes from the watch's traced rerun)."""
    directory = tmp_path_factory.mktemp("leaky")
    (directory / "conftest.py").write_text('pytest_plugins = ["tests.resources"]\n')
    (directory / "test_leaky.py").write_text(LEAKY_TESTS)
    (directory / "test_fixture_leak.py").write_text(FIXTURE_LEAK)
    # The forgotten threads never end: their grace is cut short to keep the run short.
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "SHIPCROWD_WOO_THREAD_GRACE_SECONDS": "1"}
    environment.pop("PYTHONTRACEMALLOC", None)
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "8 passed, 6 errors" in finished.stdout, finished.stdout[-3000:]
    return Run(finished.stdout)


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (
            "test_a_socket_left_to_the_garbage_collector",
            [
                "ResourceWarning",
                "unclosed <socket.socket",
                "self.connection = socket.create_connection(address)",
            ],
        ),
        (
            "test_a_socket_kept_open",
            ["socket:[", "-> 127.0.0.1:", "KEPT = socket.create_connection(server)"],
        ),
        (
            "test_a_thread_left_running",
            [
                "thread 'forgotten-thread'",
                'threading.Thread(target=STOP.wait, name="forgotten-thread"',
            ],
        ),
        (
            "test_a_child_process_left_running",
            ["sleep 60", 'CHILD = subprocess.Popen(["sleep", "60"])'],
        ),
        ("test_a_file_left_open", ["kept.sqlite3", 'FILE = open(tmp_path / "kept.sqlite3", "w")']),
    ],
    ids=["socket-in-garbage", "socket-kept", "thread", "child-process", "open-file"],
)
def test_a_leak_fails_its_own_test_naming_it_and_where_it_was_made(leaky_run, test, expected):
    failure = leaky_run.teardown_failure(test)
    for fragment in expected:
        assert fragment in failure


def test_a_broader_fixture_keeps_what_it_opens_until_it_ends(leaky_run):
    """The module-scoped server outlives the tests that set it up, and none is blamed for it;
    tests that close what they open (or whose threads end when told) pass."""
    for test in ("test_what_is_closed_in_time_passes", "test_a_thread_that_ends_after"):
        assert f"ERROR at teardown of {test}" not in leaky_run.output


def test_a_broader_fixture_that_leaks_is_named_when_it_ends(leaky_run):
    failure = leaky_run.teardown_failure("test_uses_a_worker")
    assert "fixture 'worker' (module-scoped) left open what it opened" in failure
    assert failure.count("thread 'worker-never-stopped'") == 1, "blamed on the fixture alone"
