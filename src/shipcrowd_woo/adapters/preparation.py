"""Preparing a stream's items in processes of their own (`PrepareAhead`).

An import's own CPU bounds it against a fast store: reading, transforming and staging a page
of orders took about two thirds of the importing process's time, on one core (issue 19's
profiles). Here that runs in worker processes while the caller's process fetches and writes.

Each worker is a fresh interpreter running this module's `serve` (`python -c`), never a fork
and never started through multiprocessing: multiprocessing's spawn and forkserver children
import the host program's `__main__` again, which runs a script's module-level code a second
time (issue 30: an embedding script without a `__main__` guard died in `create_app`). A
worker imports the modules preparation needs as it starts (about 0.6 s of CPU), so the
workers are started once — on first use, or by `start()` — and kept until `close()`. A
worker exits on its own when its task pipe closes: when `close()` closes it, or when the
process that started it dies, even by kill -9 (the kernel closes a dead process's pipes), so
none is ever orphaned. Like the thread's, a preparation must end by itself: the items handed
to a worker are finished when the stream stops, the others are never prepared.
"""

import functools
import json
import os
import pickle
import queue
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import attrs

from shipcrowd_woo.services.ahead import prepared_ahead

T = TypeVar("T")
R = TypeVar("R")

# A worker's whole program: sys.path as its starter had it, then `serve`.
_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from shipcrowd_woo.adapters.preparation import serve; serve(sys.argv[2:])"
)
# How long `close()` waits for a worker to exit once its pipe is closed, before killing it.
_EXIT_WAIT_SECONDS = 10.0


class PreparationFailed(RuntimeError):
    """A worker process died, or its answer could not be read back."""


@attrs.define(eq=False)
class InProcesses:
    """`PrepareAhead` in `workers` processes of their own, `workers + 1` items ahead of the
    caller. `preload` names the modules each worker imports as it starts (those of what is
    prepared). Thread-safe; after `close()` a new use starts new workers."""

    workers: int
    preload: tuple[str, ...] = ()
    _pool: "_Pool | None" = attrs.field(default=None, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def start(self) -> None:
        """Start the workers now rather than at the first stream: a process that runs jobs
        does this as it starts, so that its first import does not wait for them."""
        self._started()

    def close(self) -> None:
        """Stop the workers (a preparation under way is abandoned) and wait until they
        have exited."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def __call__(self, items: Iterable[T], prepare: Callable[[T], R]) -> Iterator[tuple[T, R]]:
        yield from prepared_ahead(items, prepare, self._started(), depth=self.workers + 1)

    def _started(self) -> "_Pool":
        with self._lock:
            if self._pool is None or self._pool.pid != os.getpid():
                # None yet, or inherited through a fork (gunicorn --preload): a process's
                # workers answer only the process that started them.
                self._pool = _Pool(self.workers, self.preload)
            return self._pool


class _Pool(Executor):
    """Workers taking tasks from one queue, each through a thread of ours that sends the
    task and waits for its answer."""

    def __init__(self, workers: int, preload: tuple[str, ...]) -> None:
        self.pid = os.getpid()
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._workers = [_Worker(preload, self._tasks) for _ in range(workers)]
        # A fork of this process (gunicorn --preload) gets copies of the workers' pipes and
        # none of the threads that use them: it lets go of its copies at once, so that the
        # workers still end with the process that started them.
        os.register_at_fork(after_in_child=functools.partial(_forget, weakref.ref(self)))

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> "Future[R]":
        future: Future[R] = Future()
        with self._lock:
            if self._closed:
                raise PreparationFailed("the preparing processes were closed")
            self._tasks.put((future, functools.partial(fn, *args, **kwargs)))
        return future

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for _ in self._workers:
                self._tasks.put(None)
        for worker in self._workers:
            worker.stop()
        for worker in self._workers:
            worker.join()
        while True:  # tasks no worker took: their streams learn it at once
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                return
            if task is not None and task[0].set_running_or_notify_cancel():
                task[0].set_exception(PreparationFailed("the preparing processes were closed"))


_Task = tuple["Future[Any]", Callable[[], Any]]


def _forget(pool: "weakref.ref[_Pool]") -> None:
    inherited = pool()
    if inherited is not None:
        for worker in inherited._workers:
            worker.forget()


class _Worker:
    """One worker process and the thread of ours that feeds it; the thread owns the
    process's pipes (it alone reads, writes and closes them)."""

    def __init__(self, preload: tuple[str, ...], tasks: "queue.SimpleQueue[_Task | None]") -> None:
        self._preload = preload
        self._tasks = tasks
        self._stopping = threading.Event()
        self._process, self._sending, self._answers = self._spawn()
        self._thread = threading.Thread(target=self._feed, name="prepare-feed", daemon=True)
        self._thread.start()

    def _spawn(self) -> "tuple[subprocess.Popen[bytes], Connection, Connection]":
        process = subprocess.Popen(  # noqa: S603 - our interpreter, our program
            [sys.executable, "-c", _BOOT, json.dumps(sys.path), *self._preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert process.stdin is not None
        assert process.stdout is not None
        # The connections own the pipes from here on (closed with them).
        sending = Connection(os.dup(process.stdin.fileno()), readable=False)
        answers = Connection(os.dup(process.stdout.fileno()), writable=False)
        process.stdin.close()
        process.stdout.close()
        return process, sending, answers

    def _feed(self) -> None:
        try:
            while (task := self._tasks.get()) is not None:
                future, call = task
                if not future.set_running_or_notify_cancel():
                    continue  # cancelled while waiting: the stream stopped before it
                try:
                    future.set_result(self._ask(call))
                except BaseException as error:  # the preparation's own, or a dead worker
                    future.set_exception(error)
        finally:
            self._end()

    def _ask(self, call: Callable[[], Any]) -> Any:
        if self._stopping.is_set():
            raise PreparationFailed("the preparing processes were closed")
        try:
            self._sending.send_bytes(pickle.dumps(call, protocol=pickle.HIGHEST_PROTOCOL))
            # Unpickled: a pipe from a process of ours, which nobody else can write to.
            succeeded, value = pickle.loads(self._answers.recv_bytes())  # noqa: S301
        except (EOFError, OSError) as error:
            code = self._end()
            if not self._stopping.is_set():
                self._process, self._sending, self._answers = self._spawn()
            raise PreparationFailed(f"a preparing process ended (exit code {code})") from error
        if not succeeded:
            raise value
        return value

    def _end(self) -> int:
        """Close the task pipe (the worker exits), wait for it, close its answers."""
        self._sending.close()
        try:
            code = self._process.wait(_EXIT_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        self._answers.close()
        return code

    def stop(self) -> None:
        """End the worker: a preparation under way is abandoned (a signal, not a pipe
        closed under the feeding thread's feet); the thread then ends."""
        self._stopping.set()
        self._process.terminate()

    def join(self) -> None:
        self._thread.join()

    def forget(self) -> None:
        """In a fork: close this process's copies of the worker's pipes, nothing more."""
        self._sending.close()
        self._answers.close()


def serve(preload: list[str]) -> None:
    """A worker's main loop: tasks from stdin, answers on what was stdout (stdout itself is
    pointed at stderr, so that nothing a preparation prints can corrupt an answer). Tasks
    run in a thread; this one exits the process the moment the task pipe closes."""
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    tasks = Connection(0, writable=False)
    for name in preload:
        __import__(name)
    work: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    threading.Thread(target=_run_tasks, args=(work, answers), daemon=True).start()
    while True:
        try:
            work.put(tasks.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)


def _run_tasks(work: "queue.SimpleQueue[bytes]", answers: Connection) -> None:
    while True:
        task = work.get()
        try:
            call = pickle.loads(task)  # noqa: S301 - from the process that started this one
            answer = pickle.dumps((True, call()), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as error:
            answer = _failure(error)
        answers.send_bytes(answer)


def _failure(error: BaseException) -> bytes:
    """The error as itself when it pickles (domain errors do), else as its text."""
    try:
        return pickle.dumps((False, error), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return pickle.dumps((False, PreparationFailed(f"{type(error).__name__}: {error}")))
