"""Dramatiq's TimeLimit with its enforcing thread tied to the broker's workers.

Dramatiq starts that thread when the process boots and never ends it (its loop has no way out),
so every broker made in one process (the tests make one per app) left a thread behind. Here it
starts with the broker's first worker and ends, joined, with its last.
"""

import logging
import threading
from typing import Any

import dramatiq
from dramatiq.middleware import TimeLimit

# The thread class of TimeLimit itself (not public); only its loop is replaced.
from dramatiq.middleware.time_limit import _CtypesTimeoutManager

log = logging.getLogger(__name__)


class _StoppableEnforcer(_CtypesTimeoutManager):
    """Raises TimeLimitExceeded in worker threads past their deadline until stopped."""

    def __init__(self, interval_ms: int, logger: Any) -> None:
        super().__init__(interval_ms, logger=logger)  # type: ignore[no-untyped-call]
        self.name = "dramatiq-time-limit"
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self._handle_deadlines()  # type: ignore[no-untyped-call]
            except Exception:
                log.exception("the time-limit check failed")

    def stop(self) -> None:
        self._stopped.set()
        self.join()


class WorkerTimeLimit(TimeLimit):
    """TimeLimit whose thread runs while at least one worker of the broker runs."""

    def __init__(self, *, time_limit: float = 600_000, interval: int = 1_000) -> None:
        super().__init__(time_limit=time_limit, interval=interval)
        self._interval_ms = interval
        self._workers = 0
        self._lock = threading.Lock()
        self.manager: _StoppableEnforcer = _StoppableEnforcer(interval, self.logger)

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        """Nothing: the thread starts with the first worker instead."""

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        with self._lock:
            if self._workers == 0:
                self.manager = _StoppableEnforcer(self._interval_ms, self.logger)
                self.manager.start()
            self._workers += 1

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        with self._lock:
            self._workers -= 1
            if self._workers == 0:
                self.manager.stop()
