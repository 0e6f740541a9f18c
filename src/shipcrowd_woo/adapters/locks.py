"""A StoreLock for one process (the embedded default); Redis provides the shared one."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from shipcrowd_woo.domain.ids import StoreId


class InProcessStoreLock:
    """Per-store locks inside this process, expiring after their ttl like Redis ones."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[object, float]] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, store_id: StoreId, ttl: timedelta) -> Iterator[bool]:
        """Take the store's lock if free (or expired); release it on exit if still ours."""
        token = object()
        now = time.monotonic()
        with self._guard:
            current = self._held.get(store_id)
            taken = current is None or current[1] <= now
            if taken:
                self._held[store_id] = (token, now + ttl.total_seconds())
        try:
            yield taken
        finally:
            if taken:
                with self._guard:
                    if self._held.get(store_id, (None, 0))[0] is token:
                        del self._held[store_id]
