"""Engines for the embedded default (a SQLite file) and production (PostgreSQL via psycopg 3)."""

import fcntl
import os
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from shipcrowd_woo.adapters.sqlalchemy.types import document_text

# Long enough to ride out another writer's transaction, short enough to surface a stuck one.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution options of connections that only read: on SQLite their transactions begin
# DEFERRED, so readers never queue for the write lock (WAL lets them read beside a writer).
READ_ONLY = {"shipcrowd_woo_read_only": True}
WRITING = "shipcrowd_woo_writing"
# Execution options of a connection that runs one statement, reading, with no transaction
# around it. Not SQLAlchemy's AUTOCOMMIT isolation level: on SQLite, setting and resetting
# it at every checkout cost statements and left the driver's connection in its implicit
# transaction mode afterwards.
ALONE_KEY = "shipcrowd_woo_alone"
ALONE = {ALONE_KEY: True}
# A pooled PostgreSQL connection idle for longer is pinged before use. One used more recently
# is taken as alive: pinging at every checkout cost a round trip per statement run alone —
# half the intake's round trips (cProfile: 0.4 s of 3.0 s over 1,000 deliveries).
PING_AFTER_IDLE_SECONDS = 5.0


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
    engine = create_engine(url, json_serializer=document_text, **options)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection at checkout when it sat in the pool for PING_AFTER_IDLE_SECONDS:
    one a server restart or an idle timeout closed is replaced before it is used. A
    connection that dies between two close uses fails its statement; SQLAlchemy then
    discards it with every connection older than it, and callers that may repeat their
    statement do (the intake: inbox.py)."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used_now(_: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _: Any) -> None:
        idle_since = record.info.get("idle_since", 0.0)  # unknown: ping
        if time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"a pooled connection is closed: {error}") from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit (repositories copy them out anyway)."""
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_engine(url: URL, **options: Any) -> Engine:
    # The driver's own transaction handling is switched off so that every transaction can
    # start with BEGIN IMMEDIATE: a deferred transaction that reads and then writes fails at
    # once (SQLITE_BUSY, no waiting) when another connection wrote in between. Transactions
    # that only read (READ_ONLY) begin deferred: taking the write lock to read made every
    # reader wait for every other reader and writer.
    engine = create_engine(
        url, connect_args={"isolation_level": None}, json_serializer=document_text, **options
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    writers = WriterQueue(url.database) if url.database not in (None, "", ":memory:") else None

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        options = connection.get_execution_options()
        # On the driver's connection itself: through SQLAlchemy, a BEGIN cost as much as
        # the statement after it.
        driver = connection.connection.driver_connection
        if options.get(ALONE_KEY, False):
            return  # one statement that only reads: SQLite makes it a transaction of its own
        if options.get("shipcrowd_woo_read_only", False):
            driver.execute("BEGIN")
            return
        if writers is not None:
            connection.info[WRITING] = writers.enter()
        try:
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            _leave(connection)
            raise

    def _leave(connection: Any) -> None:
        descriptor = connection.info.pop(WRITING, None)
        if descriptor is not None:
            WriterQueue.leave(descriptor)

    event.listen(engine, "commit", _leave)
    event.listen(engine, "rollback", _leave)
    return engine


class WriterQueue:
    """Writers of one SQLite file take turns in a queue the kernel keeps: each write
    transaction holds an flock on a file beside the database, blocking. SQLite's own wait
    for its write lock (busy_timeout) sleeps and retries with growing pauses (up to 100
    ms), so under load a short insert waited behind luckier writers for a quarter of a
    second; a blocked flock wakes the moment it is free. Each transaction opens the file
    anew (flock excludes other open files, in this process too), and closing it releases
    the lock — also when a process dies holding it."""

    def __init__(self, database: str) -> None:
        self._path = f"{database}-writers"

    def enter(self) -> int:
        """Wait for the turn; the descriptor to give to leave()."""
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor

    @staticmethod
    def leave(descriptor: int) -> None:
        """End the turn."""
        os.close(descriptor)
