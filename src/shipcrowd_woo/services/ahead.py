"""Preparing the next items of a stream while the caller works on this one."""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as NotYet
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# How often a caller waiting for a preparation checks in, so that an exception sent to its
# thread (a job's time limit) is raised there rather than after the wait.
_CHECK_IN_SECONDS = 0.05


def in_a_thread(items: Iterable[T], prepare: Callable[[T], R]) -> Iterator[tuple[T, R]]:
    """`PrepareAhead` in one thread of this process, one item ahead. It pays where the
    caller waits with the interpreter released (an import's writes wait on the database)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare") as pool:
        yield from prepared_ahead(items, prepare, pool, depth=1)


def prepared_ahead(
    items: Iterable[T], prepare: Callable[[T], R], pool: Executor, depth: int
) -> Iterator[tuple[T, R]]:
    """Each item with `prepare(item)` run in `pool`, in order, up to `depth` items prepared
    ahead of the one the caller has. `prepare` must end by itself (it is waited for); the
    stream may block, as it would without this."""
    iterator = iter(items)
    pending: deque[tuple[T, Future[R]]] = deque()
    try:
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except BaseException:
                # The items before the failing one are the caller's to handle first.
                while pending:
                    yield _ready(pending)
                raise
            pending.append((item, pool.submit(prepare, item)))
            if len(pending) > depth:
                yield _ready(pending)
        while pending:
            yield _ready(pending)
    finally:
        for _, future in pending:
            future.cancel()
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def _ready(pending: "deque[tuple[T, Future[R]]]") -> tuple[T, R]:
    item, future = pending[0]
    while True:
        try:
            result = future.result(timeout=_CHECK_IN_SECONDS)
        except NotYet:
            continue
        pending.popleft()
        return item, result
