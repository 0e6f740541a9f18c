"""Time, as a port, so that services and tests agree on what "now" is."""

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the current time."""

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...
