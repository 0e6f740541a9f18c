"""Feed signals: within one process (embedded), or through Redis for every process on it
(the worker appends, the API's long polls wait)."""

import threading
import time
from collections import defaultdict
from collections.abc import Collection

import redis

from shipcrowd_woo.domain.ids import CompanyId


class InProcessFeedSignal:
    """Counters and a condition in this process."""

    def __init__(self) -> None:
        self._counts: defaultdict[str, int] = defaultdict(int)
        self._moved = threading.Condition()

    def announce(self, company_ids: Collection[CompanyId]) -> None:
        """Move the companies' counters on and wake every waiter."""
        with self._moved:
            for company_id in company_ids:
                self._counts[company_id] += 1
            self._moved.notify_all()

    def mark(self, company_id: CompanyId) -> int:
        """The company's counter now."""
        with self._moved:
            return self._counts[company_id]

    def wait(self, company_id: CompanyId, mark: int, timeout: float) -> bool:
        """Until the counter moves past `mark`, or the timeout."""
        with self._moved:
            return self._moved.wait_for(lambda: self._counts[company_id] > mark, timeout)


class RedisFeedSignal:
    """A counter per company (INCR) and a channel that says it moved (PUBLISH): a waiter
    subscribes before it compares, so no announcement falls between the two."""

    def __init__(self, client: redis.Redis, prefix: str = "shipcrowd-woo:feed") -> None:
        self._client = client
        self._prefix = prefix

    def _key(self, company_id: str) -> str:
        return f"{self._prefix}:{company_id}"

    def announce(self, company_ids: Collection[CompanyId]) -> None:
        """Move the counters on and publish each move."""
        pipe = self._client.pipeline(transaction=False)
        for company_id in company_ids:
            pipe.incr(self._key(company_id))
            pipe.publish(self._key(company_id), b"1")
        pipe.execute()

    def mark(self, company_id: CompanyId) -> int:
        """The company's counter now."""
        return int(self._client.get(self._key(company_id)) or 0)

    def wait(self, company_id: CompanyId, mark: int, timeout: float) -> bool:
        """Until the counter moves past `mark`, or the timeout."""
        deadline = time.monotonic() + timeout
        subscription = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            subscription.subscribe(self._key(company_id))
            while True:
                if self.mark(company_id) > mark:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                subscription.get_message(timeout=left)
        finally:
            subscription.close()
