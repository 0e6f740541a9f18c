"""alembic: the first revision creates the schema the models describe, and the migrations
round-trip (upgrade -> downgrade -> upgrade) on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine
from shipcrowd_woo.adapters.sqlalchemy.migrations import downgrade, upgrade
from shipcrowd_woo.adapters.sqlalchemy.tables import metadata
from tests.databases import create_postgres_database, drop_postgres_database, sqlite_url
from tests.servers import POSTGRES_URL_VARIABLE, server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A database with nothing in it yet."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "migrations.sqlite3")
        return
    admin_url = server_url(POSTGRES_URL_VARIABLE, "PostgreSQL")
    name = f"shipcrowd_woo_migrations_{tmp_path.name[-12:].lower().replace('-', '_')}"
    yield create_postgres_database(admin_url, name)
    drop_postgres_database(admin_url, name)


def differences(url):
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def table_names(url):
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_ends_with_exactly_the_models_schema(empty_database):
    """After a full round trip the migrated schema equals the models: autogenerate finds
    nothing to do."""
    upgrade(empty_database)
    assert table_names(empty_database) == set(metadata.tables)
    downgrade(empty_database, "base")
    assert table_names(empty_database) == set()
    upgrade(empty_database)
    assert differences(empty_database) == []
