"""The contract suites run each behaviour against the fake, SQLite and PostgreSQL."""

from tests.databases import (  # noqa: F401 - fixtures
    backend,
    engine,
    migrated_sqlite_template,
    postgres_engine,
    postgres_url,
    sqlite_engine,
    uow_factory,
)
