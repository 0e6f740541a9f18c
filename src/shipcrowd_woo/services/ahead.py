"""Preparing the next item of a stream while the caller works on this one."""

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as NotYet
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# How often a caller waiting for a preparation checks in, so that an exception sent to its
# thread (a job's time limit) is raised there rather than after the wait.
_CHECK_IN_SECONDS = 0.05


def prepared_ahead(items: Iterable[T], prepare: Callable[[T], R]) -> Iterator[tuple[T, R]]:
    """Each item with `prepare(item)`, in order. Items are taken from the stream in the
    caller's thread; each is prepared in another thread, the next while the caller handles
    the one before. For an import that pays: the caller's writes wait on the database with
    the interpreter released, and the next page is transformed meanwhile. `prepare` must
    end by itself (it is waited for); the stream may block, as it would without this."""
    iterator = iter(items)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare") as pool:
        previous: tuple[T, Future[R]] | None = None
        try:
            while True:
                try:
                    item = next(iterator)
                except StopIteration:
                    break
                except BaseException:
                    # The items before the failing one are the caller's to handle first.
                    if previous is not None:
                        yield previous[0], _result(previous[1])
                        previous = None
                    raise
                upcoming = (item, pool.submit(prepare, item))
                if previous is not None:
                    yield previous[0], _result(previous[1])
                previous = upcoming
            if previous is not None:
                yield previous[0], _result(previous[1])
        finally:
            if previous is not None:
                previous[1].cancel()
            close = getattr(iterator, "close", None)
            if close is not None:
                close()


def _result(future: "Future[R]") -> R:
    while True:
        try:
            return future.result(timeout=_CHECK_IN_SECONDS)
        except NotYet:
            continue
