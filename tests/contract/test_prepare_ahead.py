"""PrepareAhead (ports/preparation.py): in a thread of this process and in processes of
their own, the same contract; the processes end with `close()` and with whoever started
them, and never run the starting program's `__main__` again."""

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shipcrowd_woo.adapters.preparation import InProcesses
from shipcrowd_woo.domain.errors import InvalidResponse
from shipcrowd_woo.services.ahead import in_a_thread
from tests.resources import descendants, still_running

ROOT = Path(__file__).parents[2]


@pytest.fixture
def in_processes():
    """Two preparing processes, stopped (and waited for) at the end of the test."""
    processes = InProcesses(2)
    yield processes
    processes.close()


@pytest.fixture(params=["in a thread", "in processes"])
def prepare_ahead(request):
    if request.param == "in a thread":
        return in_a_thread
    return request.getfixturevalue("in_processes")


# Preparations are module-level functions: a process of their own imports them by name.
def square(n: int) -> int:
    return n * n


def refuse_page_three(n: int) -> int:
    if n == 3:
        raise InvalidResponse("https://shop.example", "page 3 is not JSON")
    return n


def waits_from_the_fifth(n: int) -> int:
    if n >= 4:
        threading.Event().wait()  # never set: a preparation under way when the caller leaves
    return n


def test_items_come_in_order_each_with_what_was_prepared(prepare_ahead):
    assert list(prepare_ahead(range(20), square)) == [(n, n * n) for n in range(20)]


def test_an_error_of_a_preparation_is_raised_as_itself_after_the_items_before_it(
    prepare_ahead,
):
    items = prepare_ahead(range(10), refuse_page_three)
    assert [next(items) for _ in range(3)] == [(0, 0), (1, 1), (2, 2)]
    with pytest.raises(InvalidResponse) as raised:
        next(items)
    assert (raised.value.store_url, raised.value.detail) == (
        "https://shop.example",
        "page 3 is not JSON",
    )


def test_an_error_of_the_stream_is_raised_where_its_item_is_asked_for(prepare_ahead):
    def stream():
        yield from range(5)
        raise RuntimeError("page 6 failed")

    items = prepare_ahead(stream(), square)
    assert [next(items) for _ in range(5)] == [(n, n * n) for n in range(5)]
    with pytest.raises(RuntimeError, match="page 6 failed"):
        next(items)


def test_a_caller_that_stops_early_closes_the_stream(prepare_ahead):
    closed = threading.Event()

    def stream():
        try:
            yield from range(100)
        finally:
            closed.set()

    for n, _ in prepare_ahead(stream(), square):
        if n == 3:
            break
    assert closed.is_set()


def test_the_next_item_is_prepared_while_this_one_is_handled():
    second_prepared = threading.Event()

    def prepare(n: int) -> int:
        if n == 2:
            second_prepared.set()
        return n

    for n, _ in in_a_thread([1, 2], prepare):
        if n == 1:
            assert second_prepared.wait(timeout=10)


def marks_and_answers_a_page_of_rows(item: tuple[str, int]) -> bytes:
    folder, n = item
    (Path(folder) / str(n)).touch()
    return bytes(300_000)  # more than a pipe holds, as a page's staged rows are


def test_a_caller_that_stops_early_ends_the_stream_without_preparing_the_rest(
    tmp_path, in_processes
):
    """A job's time limit or error ends the import: the items not yet handed to a worker are
    never prepared, those handed over are waited for, and nothing is left running (the
    resource watch once they are closed). With multiprocessing's pool, ending the workers
    at once could cut a result as large as a page's rows in the middle of its pipe, and the
    pool's manager, and with it the job, waited for its rest for ever."""

    def consume() -> None:
        items = ((str(tmp_path), n) for n in range(100))
        with contextlib.suppress(TimeoutError):
            for (_, n), _ in in_processes(items, marks_and_answers_a_page_of_rows):
                if n == 3:
                    raise TimeoutError("the job's time limit")

    for _ in range(10):
        consumer = threading.Thread(target=consume)
        consumer.start()
        consumer.join(timeout=60)
        assert not consumer.is_alive()
        assert 4 <= len(list(tmp_path.iterdir())) <= 10
        for mark in tmp_path.iterdir():
            mark.unlink()


KILLED_PARENT = """
from shipcrowd_woo.adapters.preparation import InProcesses
from tests.contract.test_prepare_ahead import waits_from_the_fifth

for n, _ in InProcesses(2)(range(100), waits_from_the_fifth):
    if n == 3:
        print("preparing", flush=True)
"""


def test_the_processes_end_when_the_process_that_started_them_is_killed():
    """kill -9 of a worker process in the middle of an import leaves no process behind: the
    preparing processes (one busy, here for ever) end by themselves."""
    parent = subprocess.Popen(
        [sys.executable, "-c", KILLED_PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "preparing"
        started = descendants(parent.pid)
        assert len(started) == 2  # the preparing processes
        watches = {pid: os.pidfd_open(pid) for pid in started}
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
    try:
        assert still_running(watches, within_seconds=30) == set()
    finally:
        for watch in watches.values():
            os.close(watch)


HOST_WITHOUT_A_GUARD = """
import os
from shipcrowd_woo.adapters.preparation import InProcesses
from tests.contract.test_prepare_ahead import square

with open(os.environ["MARKS"], "a") as marks:
    marks.write("ran\\n")
processes = InProcesses(2)
assert [n for _, n in processes(range(10), square)] == [n * n for n in range(10)]
processes.close()
"""


def test_the_processes_never_run_the_starting_programs_main_again(tmp_path):
    """Issue 30: a script without an `if __name__ == "__main__":` guard prepares in
    processes; its module-level code runs once (multiprocessing's spawn and forkserver
    children ran it again, and the script died)."""
    script = tmp_path / "host.py"
    script.write_text(HOST_WITHOUT_A_GUARD)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "MARKS": str(tmp_path / "marks"), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "marks").read_text() == "ran\n"


def test_closed_processes_fail_what_was_waiting_and_a_new_stream_starts_new_ones(in_processes):
    assert list(in_processes(range(3), square)) == [(0, 0), (1, 1), (2, 4)]
    in_processes.close()
    assert list(in_processes(range(3), square)) == [(0, 0), (1, 1), (2, 4)]
