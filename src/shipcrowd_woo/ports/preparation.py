"""Preparing a stream's items ahead of their consumer, in this process or in others."""

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class PrepareAhead(Protocol):
    """Runs a stream's preparations while its consumer works."""

    def __call__(self, items: Iterable[T], prepare: Callable[[T], R]) -> Iterator[tuple[T, R]]:
        """Each item with `prepare(item)`, in order, the next items prepared while the caller
        handles this one. Items are taken from the stream in the caller's thread and stay
        there; an implementation may prepare in other processes, so `prepare`, the items and
        what it returns must pickle (module-level functions and partials of them, attrs
        values, bytes). An error of `prepare` or of the stream is raised where its item is
        asked for, after the items before it; a caller that stops early closes the stream."""
        ...
