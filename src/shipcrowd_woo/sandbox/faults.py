"""Fault injection: a share of API responses replaced by what flaky hosts send."""

import enum
import random
import threading

import attrs


class Fault(enum.Enum):
    """What an unlucky request gets instead of its answer."""

    SERVER_ERROR = "500"
    THROTTLED = "429"
    SLOW = "timeout"
    TRUNCATED = "truncated"


@attrs.define
class FaultPlan:
    """Each API request is spoiled with probability `rate` (seeded); the kinds take turns, so
    every kind shows up as soon as a few faults have been injected."""

    rate: float = 0.0
    kinds: tuple[Fault, ...] = tuple(Fault)
    seed: int = 7
    retry_after_seconds: int = 1
    slow_seconds: float = 2.0
    injected: dict[Fault, int] = attrs.Factory(lambda: dict.fromkeys(Fault, 0))
    _rng: random.Random = attrs.field(init=False)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self) -> Fault | None:
        """The fault for the next request, if any."""
        with self._lock:
            if not self.kinds or self._rng.random() >= self.rate:
                return None
            fault = self.kinds[self.total_injected % len(self.kinds)]
            self.injected[fault] += 1
            return fault

    @property
    def total_injected(self) -> int:
        """How many responses were spoiled so far."""
        return sum(self.injected.values())
