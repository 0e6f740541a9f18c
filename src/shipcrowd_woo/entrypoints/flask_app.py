"""The Flask app factory: `create_app(settings)` builds everything inside the call, to mount in
another Shipcrowd service; `served_app()` is the app served on its own under gunicorn with our
buffering worker (`gunicorn -k shipcrowd_woo.entrypoints.http_server.BufferingWorker
'shipcrowd_woo.entrypoints.flask_app:served_app()'`), which logs as the settings say. Without
Redis, jobs and the scheduler run on threads inside this process."""

import atexit
import logging
import sys
from typing import Any

from flask import Flask, Response, g, request
from flask.logging import default_handler
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from shipcrowd_woo.entrypoints.api import catalogue_routes, management, operations
from shipcrowd_woo.entrypoints.api.auth import TokenVerifier
from shipcrowd_woo.entrypoints.api.intake import WebhookEndpoints
from shipcrowd_woo.entrypoints.api.problems import (
    ApiProblem,
    problem_response,
    register_error_handlers,
)
from shipcrowd_woo.entrypoints.api.state import EXTENSION, AppState, state
from shipcrowd_woo.entrypoints.bootstrap import Services, bootstrap
from shipcrowd_woo.entrypoints.http_server import REQUEST_TIMEOUT
from shipcrowd_woo.entrypoints.logs import configure_logging
from shipcrowd_woo.entrypoints.metrics import Metrics
from shipcrowd_woo.entrypoints.settings import Settings, SettingsError
from shipcrowd_woo.log_context import bound
from shipcrowd_woo.services.intake import WebhookIntake
from shipcrowd_woo.services.webhook_checks import WebhookChecks

log = logging.getLogger("shipcrowd_woo.api")
BACKGROUND = "shipcrowd_woo.background"
# gunicorn's exit code for an application that cannot be loaded (arbiter.py APP_LOAD_ERROR).
APP_FAILED_TO_LOAD = 4


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    *,
    background: bool | None = None,
) -> Flask:
    """Build the app, on `services` when given (`services.close()` then stops what the app
    started), else on services built from `settings` (the environment's by default).
    `background` runs worker threads and the scheduler inside this process; it defaults to
    doing so when no Redis is configured (then nothing else would). The host's logging,
    signals and stdout are left alone."""
    if services is None:
        services = bootstrap(settings)
    settings = services.settings
    app = Flask("shipcrowd_woo")
    # Flask gives its app logger a handler of its own when the host configured none: ours
    # propagate to the host's configuration instead, whatever it is.
    app.logger.removeHandler(default_handler)
    app.config["MAX_CONTENT_LENGTH"] = max(
        settings.max_body_bytes, settings.max_webhook_bytes, catalogue_routes.MAX_CSV_BYTES
    )
    app.config[REQUEST_TIMEOUT] = settings.request_timeout
    app.json.sort_keys = False  # type: ignore[attr-defined]
    metrics = Metrics(
        services.queue.depth,
        WebhookChecks(services.context).unhealthy_stores,
        lambda: services.context.inbox.waiting(services.clock.now()),
        services.feed.kept,
        services.subscriptions.every,
    )
    services.runner.observers.append(metrics.observe_job)
    services.drain.observers.append(metrics.observe_drain)
    app_state = AppState(
        services=services,
        verifier=TokenVerifier(settings),
        intake=WebhookIntake(services.context, services.queue),
        metrics=metrics,
    )
    app.extensions[EXTENSION] = app_state
    register_error_handlers(app)
    # Webhook deliveries are answered in front of Flask (api/intake.py).
    app.wsgi_app = WebhookEndpoints(app.wsgi_app, app_state)  # type: ignore[method-assign]

    @app.before_request
    def authenticate() -> Response | None:
        if request.blueprint != management.blueprint.name:
            return None
        try:
            g.principal = state().verifier.principal(request.headers.get("Authorization"))
        except ApiProblem as problem:
            return problem_response(problem)
        return None

    limiter = Limiter(
        key_func=_rate_key,
        app=app,
        default_limits=[settings.rate_limit],
        storage_uri=settings.redis_url or "memory://",
        # The services' own connections, closed with them.
        storage_options=_shared_redis(services),
        headers_enabled=True,
        strategy="fixed-window",
    )

    @limiter.request_filter
    def _only_the_management_api() -> bool:
        # A filter ends the check at once; exempting the blueprints still resolved every
        # limit on each request (a tenth of a millisecond).
        return request.blueprint != management.blueprint.name

    app.register_blueprint(management.blueprint)
    app.register_blueprint(operations.blueprint)

    @app.before_request
    def bind_context() -> None:
        caller = g.get("principal")
        g.log_context = bound(company_id=caller.company_id if caller else None)
        g.log_context.__enter__()

    @app.teardown_request
    def unbind_context(_: BaseException | None) -> None:
        context = g.pop("log_context", None)
        if context is not None:
            context.__exit__(None, None, None)

    if background if background is not None else services.embedded:
        started_at = services.clock.now()
        worker = services.start_worker()
        if services.embedded:
            # An in-process queue starts empty: what a dead process held is resumed now,
            # and what it acknowledged and left in the inbox is drained.
            services.jobs.resume_unfinished(started_at)
            services.drain.resume(started_at)
            services.queue.wake_inbox()
        ticking = services.start_scheduler()
        atexit.register(services.stop_background)
        app.extensions[BACKGROUND] = (worker, ticking)
    return app


def served_app(settings: Settings | None = None) -> Flask:
    """The app served on its own (gunicorn 'served_app()', `shipcrowd-woo serve`): it logs
    as the settings say, and a setting or a database not ready is one line on stderr and
    exit code 4, gunicorn's "app failed to load", which stops its arbiter at once rather
    than booting workers in a loop."""
    try:
        services = bootstrap(settings, entrypoint=True)
    except SettingsError as error:
        print(f"shipcrowd-woo: {error}", file=sys.stderr, flush=True)
        raise SystemExit(APP_FAILED_TO_LOAD) from None
    configure_logging(services.settings.log_format, services.settings.log_level)
    return create_app(services=services)


def _shared_redis(services: Services) -> Any:
    """flask-limiter's Redis storage on the services' own connections, closed with them
    (its annotation lists only scalar options, but the storage takes a pool)."""
    if services.redis_client is None:
        return {}
    return {"connection_pool": services.redis_client.connection_pool}


def _rate_key() -> str:
    caller = g.get("principal")
    return f"company:{caller.company_id}" if caller else f"ip:{get_remote_address()}"
