"""Telling waiting feed readers that a company's feed moved on."""

from collections.abc import Collection
from typing import Protocol

from shipcrowd_woo.domain.ids import CompanyId


class FeedSignal(Protocol):
    """A per-company counter of commits that appended events: a reader takes its `mark`,
    reads, and if it found nothing waits until the mark moves (a commit between its read and
    its wait is not missed) or the time is up."""

    def announce(self, company_ids: Collection[CompanyId]) -> None:
        """Events of these companies were committed."""
        ...

    def mark(self, company_id: CompanyId) -> int:
        """The company's counter now."""
        ...

    def wait(self, company_id: CompanyId, mark: int, timeout: float) -> bool:
        """Until the counter is past `mark` (True) or `timeout` seconds went by (False)."""
        ...
