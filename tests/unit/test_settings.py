"""Settings from the environment."""

from datetime import timedelta

import pytest

from shipcrowd_woo.entrypoints.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_nothing_configured_gives_the_embedded_defaults():
    """A SQLite file and 90 days of sync logs."""
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.sync_log_retention == timedelta(days=90)


def test_variables_override_the_defaults():
    """SHIPCROWD_WOO_* variables are read."""
    settings = Settings.from_env(
        {
            "SHIPCROWD_WOO_DATABASE_URL": "postgresql://u:p@db/shipcrowd",
            "SHIPCROWD_WOO_SYNC_LOG_RETENTION_DAYS": "30",
        }
    )
    assert settings.database_url == "postgresql://u:p@db/shipcrowd"
    assert settings.sync_log_retention == timedelta(days=30)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://u@db/x", "unsupported database 'mysql'"),
        ("DATABASE_URL", "not a url", "Could not parse"),
        ("SYNC_LOG_RETENTION_DAYS", "ninety", "whole number"),
        ("SYNC_LOG_RETENTION_DAYS", "0", "at least 1"),
    ],
)
def test_a_bad_value_fails_at_start_up_naming_the_variable(variable, value, message):
    """Misconfiguration is loud, never silently defaulted."""
    with pytest.raises(SettingsError, match=message) as raised:
        Settings.from_env({f"SHIPCROWD_WOO_{variable}": value})
    assert f"SHIPCROWD_WOO_{variable}" in str(raised.value)
