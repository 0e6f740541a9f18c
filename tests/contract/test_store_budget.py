"""The per-store budget of requests in flight (issue 19): never more than the budget at the
store, halved when the store pushes back (429, `rate_limit_exceeded`, timeouts), grown back
one step per run of successes, and used in full when the store keeps up."""

import threading
import time

import httpx
import pytest

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.transport import InFlightBudget, TransportOptions
from shipcrowd_woo.domain.errors import RateLimited, StoreUnavailable
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.latency import LatencyModel
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.sandboxes import client_for

STORE = "https://shop.example.com"
ORDER = {"id": 1, "status": "processing", "date_modified_gmt": "2026-11-25T16:28:07"}


@pytest.mark.parametrize("budget", [1, 2, 3, 5])
def test_a_listing_keeps_exactly_its_budget_in_flight_at_a_slow_store(budget):
    """1,000 orders (10 pages) from a sandbox taking 80 ms a request with 8 PHP workers: the
    store sees at most the budget at once, and the whole budget is used."""
    latency = LatencyModel(page_ms=80, workers=8)
    store = SandboxStore(seed=4, products=6, orders=1000)
    with SandboxServer(store, latency=latency) as server:
        key, secret = store.create_api_key()
        options = {"transport_options": TransportOptions(read_timeout=10, max_in_flight=budget)}
        with client_for(server, key, secret, **options) as client:
            orders = sum(len(page.read()) for page in client.order_pages())
    assert orders == 1000
    assert latency.peak_in_flight == min(budget, 9)


class _Store:
    """A MockTransport handler that pushes back as told, counting what is in flight."""

    def __init__(self, pushback: list[httpx.Response | Exception]) -> None:
        self.pushback = pushback
        self.in_flight = 0
        self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            answer = self.pushback.pop(0) if self.pushback else None
        try:
            time.sleep(0.005)
            if isinstance(answer, Exception):
                raise answer
            if answer is not None:
                return answer
            if not request.url.path.endswith("/orders"):
                return httpx.Response(200, json=ORDER)
            page = int(request.url.params.get("page", 1))
            return httpx.Response(
                200, json=[{**ORDER, "id": page}], headers={"X-WP-TotalPages": "40"}
            )
        finally:
            with self._lock:
                self.in_flight -= 1


def _client(store: _Store, budget: int) -> HttpxStoreClient:
    options = TransportOptions(max_in_flight=budget, backoff_initial=0.001, backoff_max=0.002)
    return HttpxStoreClient(
        STORE,
        Secret("ck_x"),
        Secret("cs_x"),
        ClientOptions(transport=options),
        transport=httpx.MockTransport(store),
    )


THROTTLED = httpx.Response(429, headers={"Retry-After": "0"})
RATE_LIMIT_EXCEEDED = httpx.Response(
    400, json={"code": "rate_limit_exceeded", "message": "Too many requests", "data": {}}
)


@pytest.mark.parametrize(
    "pushback",
    [THROTTLED, RATE_LIMIT_EXCEEDED, httpx.ReadTimeout("the store took too long")],
    ids=["429", "rate_limit_exceeded", "timeout"],
)
def test_the_budget_halves_when_the_store_pushes_back(pushback):
    store = _Store([pushback])
    with _client(store, 4) as client:
        client.get_order(1)  # retried, and answered
        assert client._io.budget.limit == 2
        client.get_order(1)
        assert client._io.budget.limit == 2


def test_halved_twice_it_keeps_one_and_grows_back_one_step_per_run_of_successes():
    store = _Store([THROTTLED, THROTTLED])
    with _client(store, 4) as client:
        client.get_order(1)
        budget = client._io.budget
        assert budget.limit == 1
        for grown in (2, 3, 4):
            for _ in range(InFlightBudget.SUCCESSES_TO_GROW):
                client.get_order(1)
            assert budget.limit == grown
        for _ in range(InFlightBudget.SUCCESSES_TO_GROW):
            client.get_order(1)
        assert budget.limit == 4  # never beyond the budget


def test_while_halved_the_listing_keeps_to_the_smaller_budget():
    """The first page is throttled: the 39 pages after it go 2 at a time, not 4, until
    twenty successes allow one more."""
    store = _Store([THROTTLED])
    with _client(store, 4) as client:
        pages = client.order_pages()
        next(pages)
        budget = client._io.budget
        assert budget.limit == 2
        store.peak = 0
        for _ in range(10):
            next(pages)
        assert store.peak <= 3
        remaining = list(pages)
    assert len(remaining) == 29
    assert store.peak <= 4


def test_a_store_that_keeps_pushing_back_fails_the_call_typed():
    with _client(_Store([THROTTLED] * 3), 2) as client, pytest.raises(RateLimited):
        client.get_order(1)
    slow = httpx.ReadTimeout("slow")
    with _client(_Store([slow] * 3), 2) as client, pytest.raises(StoreUnavailable):
        client.get_order(1)


def _pages_of(total_orders: int, beyond: httpx.Response | None = None):
    """A listing of `total_orders` orders, 100 a page; pages beyond it answer `beyond` (an
    empty page when None)."""
    pages = max(1, -(-total_orders // 100))
    asked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", 1))
        asked.append(page)
        headers = {"X-WP-TotalPages": str(pages), "X-WP-Total": str(total_orders)}
        if page > pages:
            return beyond or httpx.Response(200, json=[], headers=headers)
        return httpx.Response(200, json=[{**ORDER, "id": page}], headers=headers)

    return handler, asked


@pytest.mark.parametrize(
    "beyond",
    [
        None,
        httpx.Response(400, json={"code": "rest_invalid_page", "message": "Too far", "data": {}}),
        httpx.Response(404, json={"code": "rest_no_route", "message": "Not found", "data": {}}),
    ],
    ids=["empty-page", "400", "404"],
)
def test_expected_pages_are_asked_together_and_the_ones_the_listing_lacks_dropped(beyond):
    """Issue 19: a full import knows how many orders to expect, so the first pages go out
    together instead of the first alone; pages that turn out not to exist are dropped."""
    handler, asked = _pages_of(150, beyond)
    with HttpxStoreClient(
        STORE,
        Secret("ck_x"),
        Secret("cs_x"),
        ClientOptions(transport=TransportOptions(max_in_flight=3)),
        transport=httpx.MockTransport(handler),
    ) as client:
        pages = [page.page for page in client.order_pages(expected_orders=400)]
    assert pages == [1, 2]
    assert sorted(asked) == [1, 2, 3]  # the third asked on the guess, and dropped


def test_the_order_count_is_one_cheap_request():
    handler, asked = _pages_of(4321)
    with HttpxStoreClient(
        STORE, Secret("ck_x"), Secret("cs_x"), transport=httpx.MockTransport(handler)
    ) as client:
        assert client.order_count() == 4321
    assert asked == [1]
