"""A newcomer's first start (issue 20, point 7): the README's production line on a database
that was never migrated says in one line what to run, and the embedded SQLite default
migrates itself."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import attrs
import pytest
from sqlalchemy import inspect

from shipcrowd_woo.adapters.crypto import generate_key_text
from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine
from shipcrowd_woo.adapters.sqlalchemy.migrations import schema_revisions
from shipcrowd_woo.entrypoints.bootstrap import PREPARATION_MODULES, DatabaseNotMigrated, bootstrap
from shipcrowd_woo.entrypoints.settings import Settings
from shipcrowd_woo.services.ahead import in_a_thread
from tests.databases import create_postgres_database, drop_postgres_database, sqlite_url
from tests.resources import descendants
from tests.servers import POSTGRES_URL_VARIABLE, free_port, server_url

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


@pytest.fixture
def empty_postgres():
    admin = server_url(POSTGRES_URL_VARIABLE, "PostgreSQL")
    name = f"shipcrowd_woo_empty_{uuid.uuid4().hex[:8]}"
    yield create_postgres_database(admin, name)
    drop_postgres_database(admin, name)


def _settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        encryption_keys=Settings.from_env(
            {"SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("k1")}
        ).encryption_keys,
    )


def test_the_production_line_on_an_unmigrated_database_is_one_line_saying_what_to_run(
    empty_postgres, tmp_path
):
    """`gunicorn 'shipcrowd_woo.entrypoints.flask_app:served_app()'` stops at once, exit code
    4 ("App failed to load"), our one line on stderr instead of SQLAlchemy's 60."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SHIPCROWD_WOO_")},
        "SHIPCROWD_WOO_DATABASE_URL": empty_postgres,
        "SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("k1"),
    }
    done = subprocess.run(
        [
            GUNICORN,
            "-b",
            f"127.0.0.1:{free_port()}",
            "shipcrowd_woo.entrypoints.flask_app:served_app()",
        ],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4, done.stderr
    ours = [line for line in done.stderr.splitlines() if line.startswith("shipcrowd-woo:")]
    assert len(ours) == 1, done.stderr
    assert "has no schema" in ours[0]
    assert "run `shipcrowd-woo db upgrade`" in ours[0]
    assert "Traceback" not in done.stderr
    assert "no such table" not in done.stderr


def test_a_server_database_is_never_migrated_unasked(empty_postgres):
    with pytest.raises(DatabaseNotMigrated, match="shipcrowd-woo db upgrade"):
        bootstrap(_settings(empty_postgres))
    engine = make_engine(empty_postgres)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_the_embedded_sqlite_database_migrates_itself(tmp_path):
    url = sqlite_url(tmp_path / "new.sqlite3")
    services = bootstrap(_settings(url))
    try:
        with services.uow_factory() as uow:
            assert uow.stores.syncable() == []
        current, head, _ = schema_revisions(services.engine)
        assert current == head
    finally:
        services.close()
    again = bootstrap(_settings(url))  # already at head: nothing to do
    again.close()


def test_our_entrypoints_prepare_imports_in_processes_and_a_host_only_when_it_asks(tmp_path):
    """Issue 30: in our own entrypoints an import's pages are prepared in 2 processes of
    their own by default (a worker starts them as it starts), and
    SHIPCROWD_WOO_IMPORT_PROCESSES=0 keeps them in a thread; embedded, in a thread unless the
    settings ask for processes. Building the services starts none."""
    url = sqlite_url(tmp_path / "new.sqlite3")
    cases = [
        ({"entrypoint": True}, None, 2),
        ({"entrypoint": True}, 0, 0),
        ({}, None, 0),
        ({}, 3, 3),
    ]
    for options, asked, expected in cases:
        services = bootstrap(attrs.evolve(_settings(url), import_processes=asked), **options)
        try:
            processes = services.import_processes
            assert (processes.workers if processes else 0) == expected
            if processes is None:
                assert services.context.prepare_ahead is in_a_thread
            else:
                assert services.context.prepare_ahead is processes
                assert processes.preload == PREPARATION_MODULES
            assert descendants(os.getpid()) == frozenset()
        finally:
            services.close()
