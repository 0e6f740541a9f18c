"""alembic environment: our metadata, our engine settings, batch mode on SQLite."""

import os

from alembic import context
from sqlalchemy import Connection

from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine
from shipcrowd_woo.adapters.sqlalchemy.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # Our column types render by name; script.py.mako imports them.
        user_module_prefix="",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "SHIPCROWD_WOO_DATABASE_URL"
    )
    if not url:
        raise SystemExit("set SHIPCROWD_WOO_DATABASE_URL to the database to migrate")
    return url


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()
