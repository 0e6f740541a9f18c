"""Reading a WooCommerce listing page by page, within the store's budget of requests."""

import logging
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from shipcrowd_woo.adapters.woocommerce.responses import WooResponse
from shipcrowd_woo.adapters.woocommerce.transport import StoreTransport
from shipcrowd_woo.domain.errors import (
    InvalidResponse,
    RateLimited,
    RequestRejected,
    StoreClientError,
    StoreResourceNotFound,
    StoreUnavailable,
)

log = logging.getLogger("shipcrowd_woo.woocommerce")


def listing_pages(
    io: StoreTransport,
    path: str,
    params: Mapping[str, str | int],
    *,
    per_page: int,
    rounds: int,
    max_retry_after: float,
    expected_pages: int = 1,
    decode: bool = True,
) -> Iterator[tuple[int, int, WooResponse]]:
    """Every page of a listing, in order, ordered by id, fetched concurrently within the
    store's budget and never more than the budget ahead of the consumer, so memory stays
    flat however long the listing is. Until the first page tells the total
    (X-WP-TotalPages), up to `expected_pages` are asked at once: a page the listing turns
    out not to have is dropped (an empty page, or a 400 from a store that refuses pages
    beyond the last), so a store as slow as a real one does not serve its first page
    alone. Without `decode`, each page's body is left as the store's bytes."""
    query = {**params, "orderby": "id", "order": "asc", "per_page": per_page}

    def fetch(page: int) -> WooResponse:
        for round_ in range(rounds + 1):
            try:
                return io.call(
                    "GET", path, params={**query, "page": page}, expect=list, decode=decode
                )
            except (StoreUnavailable, InvalidResponse, RateLimited) as error:
                if round_ == rounds or _asks_too_long(error, max_retry_after):
                    raise
                log.info("page %s of %s failed, asking again: %s", page, path, error.detail)
        raise AssertionError("unreachable")

    def guess(page: int) -> WooResponse | None:
        # A page beyond the last may be refused (400) or not found (404) by some stores;
        # one the listing has is asked again below.
        try:
            return fetch(page)
        except (RequestRejected, StoreResourceNotFound):
            return None

    window = io.budget.maximum
    with ThreadPoolExecutor(max_workers=window, thread_name_prefix="woo-page") as pool:
        pending: deque[tuple[int, Future[WooResponse | None]]] = deque()
        total, known, next_page = max(1, expected_pages), False, 1
        try:
            while next_page <= total or pending:
                while next_page <= total and len(pending) < window:
                    ask = fetch if known or next_page == 1 else guess
                    pending.append((next_page, pool.submit(ask, next_page)))
                    next_page += 1
                page, future = pending.popleft()
                response = future.result()
                if page == 1:
                    assert response is not None
                    total, known = _total_pages(response), True
                if page > total:
                    continue  # asked before the total was known, and beyond it
                if response is None:
                    response = fetch(page)
                if not pending and next_page > total:
                    # Orders placed while we paged make the listing longer.
                    total = max(total, _total_pages(response))
                yield page, total, response
        finally:
            for _, future in pending:
                future.cancel()


def _asks_too_long(error: StoreClientError, max_retry_after: float) -> bool:
    wait = error.retry_after if isinstance(error, RateLimited) else None
    return wait is not None and wait.total_seconds() > max_retry_after


def _total_pages(response: WooResponse) -> int:
    total = response.header_int("X-WP-TotalPages")
    if total is not None:
        return max(total, 1)
    # Without the header, follow rel="next" one page at a time.
    link = response.headers.get("link", "")
    return 2 if 'rel="next"' in link else 1
