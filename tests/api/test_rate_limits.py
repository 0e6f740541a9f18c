"""Per-company rate limits on the management API (flask-limiter), 429 with Retry-After."""

import pytest

from tests.apps import COMPANY, OTHER_COMPANY, make_api


@pytest.fixture
def limited(migrated_sqlite_template, tmp_path):
    api = make_api(migrated_sqlite_template, tmp_path, rate_limit="3 per minute")
    yield api
    api.close()


def test_a_company_over_its_limit_gets_429_with_retry_after(limited):
    answers = [limited.call("GET", "/stores", COMPANY).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = limited.call("GET", "/stores", COMPANY)
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("/rate-limited")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == "3"


def test_each_company_has_its_own_budget(limited):
    for _ in range(4):
        limited.call("GET", "/stores", COMPANY)
    assert limited.call("GET", "/stores", OTHER_COMPANY).status_code == 200


def test_webhooks_and_probes_are_not_limited(limited):
    for _ in range(5):
        assert limited.client.get("/healthz").status_code == 200
        ping = limited.client.post("/webhooks/woocommerce/order/created", data=b"webhook_id=1")
        assert ping.status_code == 200


def test_redis_backs_the_limits_when_configured(migrated_sqlite_template, tmp_path, redis_url):
    """Two app instances (two processes' worth) share one budget through Redis."""
    first = make_api(
        migrated_sqlite_template, tmp_path, rate_limit="3 per minute", redis_url=redis_url
    )
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    second = make_api(
        migrated_sqlite_template, second_dir, rate_limit="3 per minute", redis_url=redis_url
    )
    company = f"company-{tmp_path.name}"
    try:
        answers = [api.call("GET", "/stores", company).status_code for api in (first, second) * 2]
        assert answers == [200, 200, 200, 429]
    finally:
        first.close()
        second.close()
