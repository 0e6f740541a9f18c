"""The real clock."""

from datetime import UTC, datetime


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        return datetime.now(UTC)
