"""How slow a real store is, for the sandbox to be as slow (issue 19).

A real WooCommerce spends most of a request in PHP: a fixed cost per request (WordPress and
WooCommerce loading, authentication) and a cost per order it renders (about 8 ms an order on
the store measured in issue 19), and it serves only as many requests at once as it has PHP
workers — the rest wait for one. `LatencyModel` gives the sandbox the same shape: each API
request holds one of `workers` slots for `page_ms` plus `order_ms` per order in its answer.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs


@attrs.define
class LatencyModel:
    """A store's speed: per-request and per-order time, and PHP workers (None: as many as
    requests come)."""

    page_ms: float = 0.0
    order_ms: float = 0.0
    workers: int | None = None
    # How the time is spent (tests hold requests with it).
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, repr=False)
    in_flight: int = attrs.field(default=0, init=False)
    peak_in_flight: int = attrs.field(default=0, init=False)
    _slots: threading.BoundedSemaphore | None = attrs.field(default=None, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def __attrs_post_init__(self) -> None:
        if self.page_ms < 0 or self.order_ms < 0:
            raise ValueError("latencies cannot be negative")
        if self.workers is not None:
            if self.workers < 1:
                raise ValueError("a store has at least one PHP worker")
            self._slots = threading.BoundedSemaphore(self.workers)

    @contextmanager
    def worker(self) -> Iterator[None]:
        """Hold a PHP worker for one request (waiting for one when all are busy)."""
        if self._slots is not None:
            self._slots.acquire()
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
            if self._slots is not None:
                self._slots.release()

    def spend(self, orders: int) -> None:
        """The time PHP takes for a request that rendered `orders` orders, spent holding the
        worker (a modelled delay, not a wait for anything)."""
        seconds = (self.page_ms + self.order_ms * orders) / 1000
        if seconds > 0:
            self.sleep(seconds)
