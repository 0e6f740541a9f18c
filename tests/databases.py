"""Databases for the contract suites: a fake, a SQLite file, and a PostgreSQL database, all
migrated by alembic the way production is."""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine, make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.inbox import SqlAlchemyInbox
from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
from shipcrowd_woo.adapters.sqlalchemy.tables import metadata
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.ports.inbox import Inbox
from shipcrowd_woo.ports.repositories import UnitOfWork
from tests.fakes import FakeDatabase, FakeInbox, FakeUnitOfWork
from tests.servers import POSTGRES_URL_VARIABLE, server_url

UnitOfWorkFactory = Callable[[], UnitOfWork]
BACKENDS = ["fake", "sqlite", "postgresql"]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test works on a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    upgrade(sqlite_url(path))
    return path


def create_postgres_database(admin_url: str, name: str) -> str:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, name: str) -> None:
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database migrated to head, dropped at the end of the session."""
    admin_url = server_url(POSTGRES_URL_VARIABLE, "PostgreSQL")
    name = f"shipcrowd_woo_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = create_postgres_database(admin_url, name)
    upgrade(url)
    yield url
    drop_postgres_database(admin_url, name)


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url, pool_size=20, max_overflow=10)
    yield engine
    engine.dispose()


def truncate_everything(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_engine(migrated_sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "test.sqlite3"
    shutil.copy(migrated_sqlite_template, path)
    engine = make_engine(sqlite_url(path))
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which implementation of the repositories a contract test runs against."""
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest) -> Iterator[Engine | None]:
    """The SQL engine of the backend (None for the fake), emptied for this test. The
    session's PostgreSQL pool is emptied afterwards: connections a test opened (racing
    writers open many) close with the test."""
    if backend == "sqlite":
        yield request.getfixturevalue("sqlite_engine")
    elif backend == "postgresql":
        pg: Engine = request.getfixturevalue("postgres_engine")
        truncate_everything(pg)
        yield pg
        pg.dispose()
    else:
        yield None


@pytest.fixture
def fake_database() -> FakeDatabase:
    """The fake backend's tables, shared by its unit of work and its inbox."""
    return FakeDatabase()


@pytest.fixture
def uow_factory(
    backend: str, engine: Engine | None, request: pytest.FixtureRequest
) -> UnitOfWorkFactory:
    """Builds a fresh unit of work over this test's database."""
    if engine is None:
        database = request.getfixturevalue("fake_database")
        return lambda: FakeUnitOfWork(database)
    sessions = make_session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(sessions)


@pytest.fixture
def inbox(backend: str, engine: Engine | None, request: pytest.FixtureRequest) -> Inbox:
    """The webhook inbox over this test's database."""
    if engine is None:
        return FakeInbox(request.getfixturevalue("fake_database"))
    return SqlAlchemyInbox(engine)
