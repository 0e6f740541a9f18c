"""The composition root: settings in, wired services out. Every entrypoint and the tests call
`bootstrap`; nothing is created at import time."""

from collections.abc import Callable
from typing import Any

import attrs
from sqlalchemy import Engine

from shipcrowd_woo.adapters.clock import SystemClock
from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine, make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.entrypoints.settings import Settings
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.repositories import UnitOfWorkFactory


@attrs.frozen
class Services:
    """Everything an entrypoint needs, built once per process."""

    settings: Settings
    uow_factory: UnitOfWorkFactory
    clock: Clock
    close: Callable[[], None]


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Services:
    """Build the services from settings; keyword overrides replace any part (tests use fakes)."""
    settings = settings or Settings.from_env()
    engine: Engine | None = None
    if "uow_factory" not in overrides:
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        overrides["uow_factory"] = lambda: SqlAlchemyUnitOfWork(sessions)
    parts: dict[str, Any] = {
        "settings": settings,
        "clock": SystemClock(),
        "close": engine.dispose if engine is not None else lambda: None,
    }
    return Services(**(parts | overrides))
