"""Preparing a stream's items in processes of their own (`PrepareAhead`).

An import's own CPU bounds it against a fast store: reading, transforming and staging a page
of orders took about two thirds of the importing process's time, on one core (issue 19's
profiles). Here that runs in worker processes while the caller's process fetches and writes.
Workers start from a forkserver (never a fork of a threaded process), with the modules
preparation needs imported once by it; they live for one stream, and exit on their own
when the process that started them dies — even by kill -9 — so none is ever orphaned.
Like the thread's, a preparation must end by itself: it is waited for when the stream stops.
"""

import contextlib
import functools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection
from typing import TypeVar

import attrs

from shipcrowd_woo.services.ahead import prepared_ahead

T = TypeVar("T")
R = TypeVar("R")


@attrs.frozen
class InProcesses:
    """`PrepareAhead` in `workers` processes, `workers + 1` items ahead of the caller.
    `preload` names the modules the forkserver imports before it starts any worker (the
    modules of what is prepared: each worker then starts in milliseconds)."""

    workers: int
    preload: tuple[str, ...] = ()

    def start(self) -> None:
        """Start the forkserver and wait until it has imported `preload` (once a process):
        a process that runs jobs does this as it starts, so that its first import does not
        wait for it (about 0.3 s on a 2-core machine)."""
        _started(self.preload)

    def __call__(self, items: Iterable[T], prepare: Callable[[T], R]) -> Iterator[tuple[T, R]]:
        context = _forkserver(self.preload)
        watched, held = context.Pipe(duplex=False)
        pool = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_exit_with_parent, initargs=(watched,)
        )
        try:
            yield from prepared_ahead(items, prepare, pool, depth=self.workers + 1)
        finally:
            # Stopped early too (an error, a time limit): the pages not yet handed to a
            # worker are cancelled, those handed over (a few milliseconds' work each) are
            # waited for. Ending the workers at once instead could cut a result in the middle
            # of its pipe, and the pool's manager would wait for its rest for ever.
            pool.shutdown(wait=True, cancel_futures=True)
            held.close()
            watched.close()


@functools.cache
def _forkserver(preload: tuple[str, ...]) -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


@functools.cache
def _started(preload: tuple[str, ...]) -> None:
    with ProcessPoolExecutor(1, mp_context=_forkserver(preload)) as pool:
        pool.submit(int).result()


def _exit_with_parent(watched: Connection) -> None:
    """A worker's start: a thread that ends the worker once the parent's end of `watched`
    closes — when the parent died however it died (the kernel closes a dead process's
    pipes; the pool's own queues would leave the worker waiting), or after the pool shut
    the worker down."""

    def watch() -> None:
        with contextlib.suppress(EOFError):
            watched.recv()
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
