"""The long-running processes: the web app, workers and the scheduler.

With SHIPCROWD_WOO_REDIS_URL set, run any number of each on any number of machines:
`shipcrowd-woo serve` (or gunicorn), `shipcrowd-woo worker` (or
`dramatiq shipcrowd_woo.entrypoints.processes:setup_dramatiq`), `shipcrowd-woo scheduler`.
Without it, `shipcrowd-woo serve` alone runs everything: worker threads and the scheduler
live inside the web process.
"""

import signal
import threading
from typing import Any

import dramatiq
from gunicorn.app.base import BaseApplication

from shipcrowd_woo.entrypoints.bootstrap import bootstrap
from shipcrowd_woo.entrypoints.flask_app import served_app
from shipcrowd_woo.entrypoints.logs import configure_logging
from shipcrowd_woo.entrypoints.settings import PREFIX, Settings, SettingsError


def _require_redis(settings: Settings, what: str) -> None:
    if not settings.redis_url:
        raise SettingsError(
            f"{what} needs {PREFIX}REDIS_URL: without Redis, jobs and the scheduler run inside "
            "`shipcrowd-woo serve`"
        )


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the process finishes what it holds and exits."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop


def run_worker(settings: Settings, threads: int, stop: threading.Event) -> None:
    """Consume jobs from Redis until `stop` is set; messages in hand are finished first."""
    _require_redis(settings, "the worker")
    services = bootstrap(settings, entrypoint=True)
    worker = services.start_worker(threads)
    try:
        stop.wait()
    finally:
        worker.stop()
        services.close()


def run_scheduler(settings: Settings, stop: threading.Event) -> None:
    """Tick the scheduler until `stop` is set."""
    _require_redis(settings, "the scheduler")
    services = bootstrap(settings)
    ticking = services.start_scheduler()
    try:
        stop.wait()
    finally:
        ticking.stop()
        services.close()


def setup_dramatiq() -> None:
    """For Dramatiq's own command line (`dramatiq shipcrowd_woo.entrypoints.processes:
    setup_dramatiq`): wire the services in each of its processes and hand it our broker."""
    settings = Settings.from_env()
    _require_redis(settings, "the worker")
    configure_logging(settings.log_format, settings.log_level)
    dramatiq.set_broker(bootstrap(settings, entrypoint=True).broker)


class WebServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving served_app(settings) with our buffering worker (http_server.py),
    the app built in the serving process itself (so the embedded worker threads and scheduler
    live where requests are taken)."""

    def __init__(self, settings: Settings, bind: str, threads: int) -> None:
        self._settings = settings
        self._options = {
            "bind": bind,
            "workers": 1,
            "threads": threads,
            "worker_class": "shipcrowd_woo.entrypoints.http_server.BufferingWorker",
            "accesslog": None,
            "graceful_timeout": 30,
        }
        super().__init__()

    def load_config(self) -> None:
        """gunicorn's settings from ours."""
        for name, value in self._options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        """The WSGI app."""
        return served_app(self._settings)
