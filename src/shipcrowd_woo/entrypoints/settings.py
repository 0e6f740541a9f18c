"""Settings from the environment, validated once at start-up."""

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import attrs
from limits import parse_many
from sqlalchemy.exc import ArgumentError

from shipcrowd_woo.adapters.crypto import InvalidEncryptionKeys, parse_encryption_keys
from shipcrowd_woo.adapters.sqlalchemy.engine import database_url
from shipcrowd_woo.adapters.woocommerce.transport import DEFAULT_STORE_BUDGET
from shipcrowd_woo.domain.store_url import InvalidStoreUrl, normalise_store_url

PREFIX = "SHIPCROWD_WOO_"
DEFAULT_DATABASE_URL = "sqlite:///shipcrowd-woo.sqlite3"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@attrs.frozen
class Settings:
    """Everything configurable, with the embedded defaults."""

    database_url: str = DEFAULT_DATABASE_URL
    sync_log_retention: timedelta = timedelta(days=90)
    # Events of the order feed are kept this long (Stripe keeps 30 days of events too).
    feed_retention: timedelta = timedelta(days=30)
    # (key id, 32 bytes) pairs; the first seals. Never shown in a repr.
    encryption_keys: tuple[tuple[str, bytes], ...] = attrs.field(default=(), repr=False)
    public_base_url: str = DEFAULT_PUBLIC_BASE_URL
    allow_private_hosts: bool = False
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Requests in flight per store: chosen from issue 19's measurements (README, Benchmarks).
    store_concurrency: int = DEFAULT_STORE_BUDGET
    # Processes that read, transform and stage an import's next pages while the importing
    # process fetches and writes (0: a thread of the importing process). None: as the
    # process was started — `ENTRYPOINT_IMPORT_PROCESSES` in our own entrypoints, none when
    # embedded, where a library starts no process its host did not ask for (issue 30).
    import_processes: int | None = None
    redis_url: str | None = attrs.field(default=None, repr=False)
    worker_threads: int = 4
    job_max_retries: int = 3
    job_time_limit: timedelta = timedelta(minutes=5)
    # The first retry waits this long; each further one waits twice as long as the last.
    job_min_backoff: timedelta = timedelta(seconds=15)
    # A job that cannot start (its store busy, every sync slot taken) is tried again after.
    job_defer_delay: timedelta = timedelta(seconds=5)
    max_concurrent_syncs: int = 3
    # The default for newly connected stores; each store keeps its own.
    sync_interval: timedelta = timedelta(minutes=15)
    # A store lock outlives a killed holder by this long (live holders keep extending it).
    sync_lock_ttl: timedelta = timedelta(seconds=60)
    # A worker silent this long is dead: its unacknowledged messages are delivered again.
    worker_heartbeat_timeout: timedelta = timedelta(seconds=60)
    # A job QUEUED or RUNNING unchanged this long is sent again by the recovery sweep (more
    # than the longest retry backoff and the job time limit). Jobs an embedded process left
    # behind when it died are sent again as soon as one starts, without this wait.
    stalled_after: timedelta = timedelta(minutes=15)
    scheduler_tick: timedelta = timedelta(seconds=15)
    # Stock changes within this long of the first make one push per store.
    stock_push_window: timedelta = timedelta(seconds=5)
    # Management API authentication: an HS256 secret, or a public key for RS256/ES256.
    jwt_secret: str | None = attrs.field(default=None, repr=False)
    jwt_public_key: str | None = attrs.field(default=None, repr=False)
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    rate_limit: str = "600 per minute"
    max_body_bytes: int = 1024 * 1024
    max_webhook_bytes: int = 8 * 1024 * 1024
    request_timeout: float = 30.0
    webhook_check_interval: timedelta = timedelta(hours=1)
    delivery_silence: timedelta = timedelta(hours=1)
    reconcile_interval: timedelta = timedelta(days=1)
    # A push subscription failing this long is disabled (retries follow Standard Webhooks'
    # schedule until then); each delivery waits this long for an answer.
    subscription_disable_after: timedelta = timedelta(days=1)
    subscription_timeout: float = 15.0
    subscription_lanes: int = 8
    log_format: str = "json"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read SHIPCROWD_WOO_* variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        return cls(
            database_url=_database_url(env),
            sync_log_retention=timedelta(
                days=_number(env, "SYNC_LOG_RETENTION_DAYS", 90, int, 1, 3650)
            ),
            feed_retention=timedelta(days=_number(env, "FEED_RETENTION_DAYS", 30, int, 1, 3650)),
            encryption_keys=_encryption_keys(env),
            public_base_url=_public_base_url(env),
            allow_private_hosts=_flag(env, "ALLOW_PRIVATE_HOSTS"),
            connect_timeout=_number(env, "HTTP_CONNECT_TIMEOUT", 5.0, float, 0.1, 120),
            read_timeout=_number(env, "HTTP_READ_TIMEOUT", 30.0, float, 0.1, 600),
            store_concurrency=_number(env, "STORE_CONCURRENCY", DEFAULT_STORE_BUDGET, int, 1, 16),
            import_processes=(
                _number(env, "IMPORT_PROCESSES", 0, int, 0, 16)
                if f"{PREFIX}IMPORT_PROCESSES" in env
                else None
            ),
            redis_url=env.get(f"{PREFIX}REDIS_URL") or None,
            worker_threads=_number(env, "WORKER_THREADS", 4, int, 1, 64),
            job_max_retries=_number(env, "JOB_MAX_RETRIES", 3, int, 0, 10),
            job_time_limit=_seconds(env, "JOB_TIME_LIMIT_SECONDS", 300, 10, 86400),
            job_min_backoff=_seconds(env, "JOB_MIN_BACKOFF_SECONDS", 15.0, 0.01, 3600),
            job_defer_delay=_seconds(env, "JOB_DEFER_SECONDS", 5.0, 0.01, 600),
            max_concurrent_syncs=_number(env, "MAX_CONCURRENT_SYNCS", 3, int, 1, 100),
            sync_interval=timedelta(
                minutes=_number(env, "SYNC_INTERVAL_MINUTES", 15, int, 1, 1440)
            ),
            sync_lock_ttl=_seconds(env, "SYNC_LOCK_TTL_SECONDS", 60.0, 0.5, 3600),
            worker_heartbeat_timeout=_seconds(
                env, "WORKER_HEARTBEAT_TIMEOUT_SECONDS", 60.0, 0.5, 3600
            ),
            stalled_after=_seconds(env, "STALLED_AFTER_SECONDS", 900, 10, 86400),
            stock_push_window=_seconds(env, "STOCK_PUSH_WINDOW_SECONDS", 5.0, 0.05, 3600),
            scheduler_tick=_seconds(env, "SCHEDULER_TICK_SECONDS", 15.0, 0.05, 3600),
            jwt_secret=env.get(f"{PREFIX}JWT_SECRET") or None,
            jwt_public_key=_file_or_text(env, "JWT_PUBLIC_KEY"),
            jwt_audience=env.get(f"{PREFIX}JWT_AUDIENCE") or None,
            jwt_issuer=env.get(f"{PREFIX}JWT_ISSUER") or None,
            rate_limit=_rate_limit(env),
            max_body_bytes=_number(env, "MAX_BODY_BYTES", 1024 * 1024, int, 1024, 10**8),
            max_webhook_bytes=_number(env, "MAX_WEBHOOK_BYTES", 8 * 1024 * 1024, int, 1024, 10**8),
            request_timeout=_number(env, "REQUEST_TIMEOUT_SECONDS", 30.0, float, 1, 600),
            webhook_check_interval=_seconds(env, "WEBHOOK_CHECK_SECONDS", 3600.0, 1, 7 * 86400),
            delivery_silence=_seconds(env, "DELIVERY_SILENCE_SECONDS", 3600.0, 1, 7 * 86400),
            reconcile_interval=_seconds(env, "RECONCILE_SECONDS", 86400.0, 1, 30 * 86400),
            subscription_disable_after=_seconds(
                env, "SUBSCRIPTION_DISABLE_AFTER_SECONDS", 86400.0, 60, 30 * 86400
            ),
            subscription_timeout=_number(env, "SUBSCRIPTION_TIMEOUT_SECONDS", 15.0, float, 1, 30),
            subscription_lanes=_number(env, "SUBSCRIPTION_LANES", 8, int, 1, 64),
            log_format=_choice(env, "LOG_FORMAT", "json", ("json", "text")),
            log_level=_choice(
                env, "LOG_LEVEL", "info", ("debug", "info", "warning", "error")
            ).upper(),
        )


def _database_url(env: Mapping[str, str]) -> str:
    raw = env.get(f"{PREFIX}DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        database_url(raw)
    except (ValueError, ArgumentError) as error:
        raise SettingsError(f"{PREFIX}DATABASE_URL: {error}") from None
    return raw


def _encryption_keys(env: Mapping[str, str]) -> tuple[tuple[str, bytes], ...]:
    raw = env.get(f"{PREFIX}ENCRYPTION_KEYS")
    if raw is None:
        return ()
    try:
        return tuple(parse_encryption_keys(raw))
    except InvalidEncryptionKeys as error:
        raise SettingsError(f"{PREFIX}ENCRYPTION_KEYS: {error}") from None


def _public_base_url(env: Mapping[str, str]) -> str:
    raw = env.get(f"{PREFIX}PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL)
    try:
        return normalise_store_url(raw)
    except InvalidStoreUrl as error:
        raise SettingsError(f"{PREFIX}PUBLIC_BASE_URL: {error}") from None


def _file_or_text(env: Mapping[str, str], name: str) -> str | None:
    """A PEM given inline or as @/path/to/file."""
    raw = env.get(PREFIX + name)
    if not raw:
        return None
    if raw.startswith("@"):
        try:
            return Path(raw[1:]).read_text()
        except OSError as error:
            raise SettingsError(f"{PREFIX}{name}: cannot read {raw[1:]}: {error}") from None
    return raw


def _rate_limit(env: Mapping[str, str]) -> str:
    raw = env.get(f"{PREFIX}RATE_LIMIT", "600 per minute")
    try:
        parse_many(raw)
    except ValueError:
        raise SettingsError(
            f"{PREFIX}RATE_LIMIT must read like '600 per minute', not {raw!r}"
        ) from None
    return raw


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(PREFIX + name, default).strip().lower()
    if raw not in allowed:
        raise SettingsError(f"{PREFIX}{name} must be one of {', '.join(allowed)}")
    return raw


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(PREFIX + name, "false").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, not {raw!r}")


N = TypeVar("N", int, float)


def _seconds(
    env: Mapping[str, str], name: str, default: float, low: float, high: float
) -> timedelta:
    """A span given in seconds (fractions allowed) within [low, high]."""
    return timedelta(seconds=_number(env, name, float(default), float, low, high))


def _number(
    env: Mapping[str, str], name: str, default: N, kind: type[N], low: float, high: float
) -> N:
    raw = env.get(PREFIX + name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{PREFIX}{name} must be {noun}, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{PREFIX}{name} must be between {low:g} and {high:g}")
    return value
