"""Settings from the environment."""

from datetime import timedelta

import pytest

from shipcrowd_woo.entrypoints.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_nothing_configured_gives_the_embedded_defaults():
    """A SQLite file, 90 days of sync logs, no keys, public hosts only, 3 requests a store,
    import processes as the process was started (bootstrap decides)."""
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.sync_log_retention == timedelta(days=90)
    assert settings.encryption_keys == ()
    assert not settings.allow_private_hosts
    assert settings.store_concurrency == 3
    assert settings.import_processes is None


def test_keys_are_read_and_never_shown():
    """The keys parse, the first is current, and the settings' repr does not show them."""
    from shipcrowd_woo.adapters.crypto import generate_key_text

    text = f"{generate_key_text('new')},{generate_key_text('old')}"
    settings = Settings.from_env({"SHIPCROWD_WOO_ENCRYPTION_KEYS": text})
    assert [key_id for key_id, _ in settings.encryption_keys] == ["new", "old"]
    assert text.split(":")[1][:12] not in repr(settings)


def test_variables_override_the_defaults():
    """SHIPCROWD_WOO_* variables are read."""
    settings = Settings.from_env(
        {
            "SHIPCROWD_WOO_DATABASE_URL": "postgresql://u:p@db/shipcrowd",
            "SHIPCROWD_WOO_SYNC_LOG_RETENTION_DAYS": "30",
            "SHIPCROWD_WOO_IMPORT_PROCESSES": "0",
        }
    )
    assert settings.database_url == "postgresql://u:p@db/shipcrowd"
    assert settings.sync_log_retention == timedelta(days=30)
    assert settings.import_processes == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DATABASE_URL", "mysql://u@db/x", "unsupported database 'mysql'"),
        ("DATABASE_URL", "not a url", "Could not parse"),
        ("SYNC_LOG_RETENTION_DAYS", "ninety", "whole number"),
        ("SYNC_LOG_RETENTION_DAYS", "0", "between 1 and 3650"),
        ("ENCRYPTION_KEYS", "k1:c2hvcnQ=", "32 bytes"),
        ("PUBLIC_BASE_URL", "ftp://x", "only http and https"),
        ("ALLOW_PRIVATE_HOSTS", "perhaps", "true or false"),
        ("HTTP_READ_TIMEOUT", "soon", "must be a number"),
        ("STORE_CONCURRENCY", "99", "between 1 and 16"),
        ("IMPORT_PROCESSES", "-1", "between 0 and 16"),
    ],
)
def test_a_bad_value_fails_at_start_up_naming_the_variable(variable, value, message):
    """Misconfiguration is loud, never silently defaulted."""
    with pytest.raises(SettingsError, match=message) as raised:
        Settings.from_env({f"SHIPCROWD_WOO_{variable}": value})
    assert f"SHIPCROWD_WOO_{variable}" in str(raised.value)
