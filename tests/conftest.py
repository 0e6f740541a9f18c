"""Fixtures shared by every suite."""

import os
from datetime import UTC, datetime

import pytest
import stamina
from hypothesis import HealthCheck, settings

from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.transform import TransformContext
from tests.servers import skipped_for_missing_servers

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
# Retries keep their number of attempts in tests but not their waiting.
stamina.set_testing(True, attempts=3, cap=True)

pytest_plugins = [
    "tests.resources",
    "tests.leaks",
    "tests.databases",
    "tests.sandboxes",
    "tests.receivers",
    "tests.brokers",
    "tests.apps",
    "tests.clusters",
    "tests.figures",
]

OBSERVED_AT = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when tests skipped for want of a server."""
    if skipped_for_missing_servers:
        servers = ", ".join(sorted(set(skipped_for_missing_servers)))
        terminalreporter.write_sep(
            "!",
            f"tests SKIPPED because no {servers} is configured: these backends are untested",
            red=True,
            bold=True,
        )


@pytest.fixture(scope="session")
def context() -> TransformContext:
    """A USD store with two decimals, as the recorded store was (immutable, so shared)."""
    return TransformContext(
        company_id=CompanyId("company-a"),
        store_id=StoreId("store-1"),
        observed_at=OBSERVED_AT,
        store_currency="USD",
        store_decimals=2,
    )
