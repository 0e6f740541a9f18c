"""With a fifth of the sandbox's responses spoiled — 500s, 429s with Retry-After, responses
too slow for the read timeout, truncated JSON — paging 5,000 orders still returns all 5,000,
none twice."""

from collections import Counter

import pytest

from shipcrowd_woo.adapters.woocommerce.transport import TransportOptions
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.sandbox.faults import Fault, FaultPlan
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.sandboxes import client_for

ORDERS = 5000


@pytest.fixture(scope="module")
def faulty_sandbox():
    faults = FaultPlan(rate=0.0, retry_after_seconds=0, slow_seconds=0.6, seed=5)
    with SandboxServer(SandboxStore(seed=31, products=60, orders=ORDERS), faults=faults) as server:
        yield server


def test_paging_5000_orders_through_20_percent_faults_returns_each_order_once(faulty_sandbox):
    """Every order arrives exactly once, and faults of every kind were really injected."""
    key, secret = faulty_sandbox.store.create_api_key()
    faulty_sandbox.faults.rate = 0.2
    client = client_for(
        faulty_sandbox, key, secret, transport_options=TransportOptions(read_timeout=0.3)
    )
    with client:
        ids = Counter(
            order.id
            for page in client.order_pages()
            for order in page.read()
            if isinstance(order, WooOrder)
        )
    faulty_sandbox.faults.rate = 0.0
    assert len(ids) == ORDERS
    assert set(ids.values()) == {1}
    assert set(ids) == set(faulty_sandbox.store.orders)
    injected = faulty_sandbox.faults.injected
    assert all(injected[kind] > 0 for kind in Fault), injected
