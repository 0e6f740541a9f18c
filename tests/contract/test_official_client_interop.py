"""The sandbox verifies OAuth 1.0a signatures from WooCommerce's official Python client and
Basic credentials from it over HTTPS: two independent clients, one verifier."""

import logging

import pytest
from woocommerce import API


@pytest.fixture(autouse=True)
def quiet_urllib3():
    """The official client (requests) signs OAuth 1.0a in the query string, and urllib3 logs
    every URL at DEBUG: its lines would carry the consumer key into the session's leak watch.
    That is the baseline client's logging, not ours (our httpx lines are redacted)."""
    logger = logging.getLogger("urllib3")
    level = logger.level
    logger.setLevel(logging.INFO)
    yield
    logger.setLevel(level)


@pytest.mark.parametrize("sandbox_fixture", ["http_sandbox", "https_sandbox"])
def test_the_official_client_is_accepted_by_the_sandbox(request, sandbox_fixture):
    """GET orders and system_status succeed; a wrong secret is refused."""
    server = request.getfixturevalue(sandbox_fixture)
    key, secret = server.store.create_api_key()
    verify = str(server.certificate) if server.certificate else True
    api = API(server.url, key, secret, version="wc/v3", timeout=10, verify_ssl=verify)
    orders = api.get("orders", params={"per_page": 5, "orderby": "id", "order": "asc"})
    assert orders.status_code == 200, orders.text
    assert len(orders.json()) == 5
    assert api.get("system_status").status_code == 200
    wrong = API(server.url, key, "cs_wrong", version="wc/v3", timeout=10, verify_ssl=verify)
    assert wrong.get("orders").status_code == 401
