"""The Redis server the broker, lock and rate-limit tests use (started by .ci/run)."""

import pytest
import redis

from tests.servers import server_url

REDIS_URL_VARIABLE = "SHIPCROWD_WOO_TEST_REDIS_URL"


@pytest.fixture
def redis_url() -> str:
    """The test Redis, emptied before each test (it is a private, throwaway instance)."""
    url = server_url(REDIS_URL_VARIABLE, "Redis")
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url
