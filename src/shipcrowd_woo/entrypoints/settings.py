"""Settings from the environment, validated once at start-up."""

import os
from collections.abc import Mapping
from datetime import timedelta

import attrs
from sqlalchemy.exc import ArgumentError

from shipcrowd_woo.adapters.sqlalchemy.engine import database_url

PREFIX = "SHIPCROWD_WOO_"
DEFAULT_DATABASE_URL = "sqlite:///shipcrowd-woo.sqlite3"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@attrs.frozen
class Settings:
    """Everything configurable, with the embedded defaults."""

    database_url: str = DEFAULT_DATABASE_URL
    sync_log_retention: timedelta = timedelta(days=90)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read SHIPCROWD_WOO_* variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        return cls(
            database_url=_database_url(env),
            sync_log_retention=timedelta(
                days=_positive_int(env, "SYNC_LOG_RETENTION_DAYS", default=90)
            ),
        )


def _database_url(env: Mapping[str, str]) -> str:
    raw = env.get(f"{PREFIX}DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        database_url(raw)
    except (ValueError, ArgumentError) as error:
        raise SettingsError(f"{PREFIX}DATABASE_URL: {error}") from None
    return raw


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{PREFIX}{name} must be at least 1")
    return value
