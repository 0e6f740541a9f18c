"""Engines for the embedded default (a SQLite file) and production (PostgreSQL via psycopg 3)."""

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

# Long enough to ride out another writer's transaction, short enough to surface a stuck one.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(raw: str) -> URL:
    """Parse a database URL, pinning PostgreSQL to the psycopg 3 driver."""
    url = make_url(raw)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(
            f"unsupported database {url.get_backend_name()!r}: use sqlite or postgresql"
        )
    return url


def make_engine(raw_url: str, **options: Any) -> Engine:
    """An engine for `raw_url` with the settings each backend needs for concurrent writers."""
    url = database_url(raw_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **options)
    return create_engine(url, pool_pre_ping=True, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (repositories copy them out anyway)."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(url: URL, **options: Any) -> Engine:
    # The driver's own transaction handling is switched off so that every transaction can
    # start with BEGIN IMMEDIATE: a deferred transaction that reads and then writes fails at
    # once (SQLITE_BUSY, no waiting) when another connection wrote in between.
    engine = create_engine(url, connect_args={"isolation_level": None}, **options)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
