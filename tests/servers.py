"""Access to the PostgreSQL and Redis servers the tests may use.

Locally, tests needing a server skip with a loud reason when none is configured; with
SHIPCROWD_WOO_TEST_REQUIRE_SERVERS=1 (set by .ci/run) they fail instead, so CI can never pass
by skipping them.
"""

import os
import socket

import pytest

POSTGRES_URL_VARIABLE = "SHIPCROWD_WOO_TEST_POSTGRES_URL"
REQUIRE_VARIABLE = "SHIPCROWD_WOO_TEST_REQUIRE_SERVERS"

skipped_for_missing_servers: list[str] = []


def server_url(variable: str, what: str) -> str:
    """The configured URL, or skip (fail under CI) saying how to configure it."""
    url = os.environ.get(variable)
    if url:
        return url
    reason = f"{what} is not configured: set {variable} (bash .ci/run starts one)"
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason}; {REQUIRE_VARIABLE}=1 forbids skipping")
    skipped_for_missing_servers.append(what)
    pytest.skip(reason)


def free_port() -> int:
    """A port of 127.0.0.1 free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
