"""The sandbox as slow as a real store (issue 19): time per request and per order rendered,
held on one of a fixed number of PHP workers."""

import threading

import httpx
import pytest

from shipcrowd_woo.adapters.woocommerce.auth import OAuth1QueryAuth
from shipcrowd_woo.adapters.woocommerce.redaction import install_redaction
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.latency import LatencyModel
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore

API = "/wp-json/wc/v3"
# httpx logs each URL, and OAuth 1.0a puts the consumer key in it: redacted as the app does.
install_redaction()


def _client(server: SandboxServer) -> httpx.Client:
    key, secret = server.store.create_api_key()
    return httpx.Client(
        base_url=server.url, auth=OAuth1QueryAuth(Secret(key), Secret(secret)), timeout=30
    )


def test_a_request_costs_its_page_and_each_order_it_renders():
    spent: list[float] = []
    latency = LatencyModel(page_ms=30, order_ms=10, sleep=spent.append)
    store = SandboxStore(seed=3, products=8, orders=12)
    with SandboxServer(store, latency=latency) as server, _client(server) as http:
        assert len(http.get(f"{API}/orders", params={"per_page": 5}).json()) == 5
        assert len(http.get(f"{API}/orders", params={"per_page": 5, "page": 3}).json()) == 2
        order_id = http.get(f"{API}/orders", params={"per_page": 1}).json()[0]["id"]
        spent.clear()
        http.get(f"{API}/orders/{order_id}")
        http.get(f"{API}/products", params={"per_page": 5})
    assert spent == pytest.approx([0.04, 0.03])


def test_requests_beyond_the_php_workers_wait_for_one():
    """Five requests at once to a store with two workers: two are served, the others wait
    until one ends; all five are answered."""
    entered = threading.Semaphore(0)
    release = threading.Semaphore(0)

    def held(_: float) -> None:
        entered.release()
        release.acquire()

    latency = LatencyModel(page_ms=1, workers=2, sleep=held)
    answers: list[int] = []
    store = SandboxStore(seed=3, products=4, orders=3)
    with SandboxServer(store, latency=latency) as server, _client(server) as http:

        def ask() -> None:
            answers.append(http.get(f"{API}/products").status_code)

        askers = [threading.Thread(target=ask) for _ in range(5)]
        for asker in askers:
            asker.start()
        for _ in range(2):
            assert entered.acquire(timeout=10)  # both workers took a request...
        assert latency.in_flight == 2  # ...and the other three wait
        for served in range(5):
            release.release()  # one ends, letting a waiting one in
            if served < 3:
                assert entered.acquire(timeout=10)
                assert latency.in_flight <= 2
        for asker in askers:
            asker.join(timeout=10)
    assert answers == [200] * 5
    assert latency.peak_in_flight == 2


def test_a_store_has_a_worker_and_no_negative_time():
    with pytest.raises(ValueError, match="at least one PHP worker"):
        LatencyModel(workers=0)
    with pytest.raises(ValueError, match="cannot be negative"):
        LatencyModel(page_ms=-1)
