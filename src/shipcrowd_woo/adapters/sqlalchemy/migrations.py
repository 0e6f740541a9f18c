"""Applying the alembic migrations in `migrations/` programmatically."""

import functools
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

# src/shipcrowd_woo/adapters/sqlalchemy/ -> the checkout's root.
_CHECKOUT_MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def migrations_directory() -> Path:
    """Where the revisions are: SHIPCROWD_WOO_MIGRATIONS_DIR, else the checkout's migrations/."""
    directory = Path(os.environ.get("SHIPCROWD_WOO_MIGRATIONS_DIR", _CHECKOUT_MIGRATIONS))
    if not (directory / "env.py").is_file():
        raise FileNotFoundError(
            f"no alembic migrations at {directory}; set SHIPCROWD_WOO_MIGRATIONS_DIR"
        )
    return directory


def alembic_config(database_url: str) -> Config:
    """An alembic configuration for `database_url` without an alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    # ConfigParser interpolation would read a % in a password as a reference.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Migrate the database down to `revision` (`base` empties it)."""
    command.downgrade(alembic_config(database_url), revision)


def schema_revisions(engine: Engine) -> tuple[str | None, str, bool]:
    """The database's revision (None: never migrated), this release's head, and whether the
    database's revision is one this release knows (False: a newer release migrated it)."""
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head, revisions = _release_revisions(migrations_directory())
    return current, head, current is None or current in revisions


@functools.cache
def _release_revisions(directory: Path) -> tuple[str, frozenset[str]]:
    """This release's head and every revision it knows, read from the scripts once per
    process (every bootstrap asks)."""
    config = Config()
    config.set_main_option("script_location", str(directory))
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    assert head is not None, "the migrations have one head"
    return head, frozenset(r.revision for r in scripts.walk_revisions())
