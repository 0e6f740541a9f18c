"""The public webhook endpoints, POST /webhooks/woocommerce/<resource>/<event>, served by a plain
WSGI application in front of Flask.

A delivery is the integration's most frequent request, and WooCommerce's queue waits for each
answer. Through Flask it cost twice what the intake itself does (in-process, SQLite: 615 µs a
delivery, 308 µs without Flask): a request context, URL routing, the management API's hooks
(rate limiter, authentication, log context) and a JSON response built per request — none of
which a delivery needs. Every other path goes on to Flask; errors read as the Flask app's do
(problem+json with the same kinds)."""

import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from shipcrowd_woo.domain.webhooks import DeliveryRefused, topic_of
from shipcrowd_woo.entrypoints.api.problems import (
    HTTP_KINDS,
    MEDIA_TYPE,
    ApiProblem,
    problem_body,
    refusal_problem,
)
from shipcrowd_woo.entrypoints.api.state import AppState
from shipcrowd_woo.log_context import bound
from shipcrowd_woo.services.intake import HEADERS, Verdict

log = logging.getLogger("shipcrowd_woo.intake")
PREFIX = "/webhooks/woocommerce/"
# The endpoints as the OpenAPI document names them.
ROUTE = PREFIX + "{resource}/{event}"
UNKNOWN_TOPIC = "unknown"
ENVIRON_KEYS = tuple((name, "HTTP_" + name.upper().replace("-", "_")) for name in HEADERS)
ANSWERS = {verdict: json.dumps({"status": verdict.value}).encode() for verdict in Verdict}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class WebhookEndpoints:
    """The webhook endpoints as WSGI middleware: requests under PREFIX are answered here,
    every other request by `next_app` (the Flask app's own wsgi_app)."""

    def __init__(self, next_app: WsgiApp, app_state: AppState) -> None:
        self._next = next_app
        self._state = app_state

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self._next(environ, start_response)
        resource, _, event = path[len(PREFIX) :].partition("/")
        if not resource or not event or "/" in event:
            return _problem(start_response, ApiProblem(404, *HTTP_KINDS[404]))
        if environ.get("REQUEST_METHOD") != "POST":
            problem = ApiProblem(405, *HTTP_KINDS[405])
            return _problem(start_response, problem, [("Allow", "POST")])
        try:
            return self._receive(environ, start_response, resource, event)
        except Exception:
            log.exception("unhandled error")
            problem = ApiProblem(500, "internal-error", "Internal error", "the error was logged")
            return _problem(start_response, problem)

    def _receive(
        self, environ: dict[str, Any], start_response: StartResponse, resource: str, event: str
    ) -> Iterable[bytes]:
        """Verify, keep and queue one delivery; answer 200 at once (WooCommerce counts anything
        else as a failure and disables the webhook after repeated ones)."""
        app = self._state
        # Labels come from a fixed set: a label per path asked for would let anyone grow
        # /metrics (and the process) without limit.
        topic = topic_of(resource, event)
        topic_label = topic.value if topic else UNKNOWN_TOPIC
        with app.metrics.time_intake():
            body = _body(environ, app.services.settings.max_webhook_bytes)
            if body is None:
                app.metrics.deliveries.labels(topic_label, "too_large").inc()
                limit = app.services.settings.max_webhook_bytes
                too_large = ApiProblem(413, *HTTP_KINDS[413], f"at most {limit} bytes")
                return _problem(start_response, too_large)
            headers = {name: environ[key] for name, key in ENVIRON_KEYS if environ.get(key)}
            try:
                received_at = app.services.clock.now()
                result = app.intake.accept(resource, event, headers, body, received_at)
            except DeliveryRefused as refusal:
                problem = refusal_problem(refusal)
                app.metrics.deliveries.labels(topic_label, f"refused_{problem.status}").inc()
                # Only the reason is logged: nothing of an unverified request is kept.
                log.info("webhook refused (%s): %s", problem.status, refusal.reason)
                return _problem(start_response, problem)
            app.metrics.deliveries.labels(topic_label, result.verdict.value).inc()
            # At debug level: a line per delivery cost as much as keeping it; the metrics count
            # them, and the drain logs each batch.
            if log.isEnabledFor(logging.DEBUG):
                with bound(store_id=result.store_id, delivery_id=result.delivery_id):
                    log.debug("webhook %s %s", topic_label, result.verdict.value)
            return _answer(start_response, 200, "application/json", ANSWERS[result.verdict])


def _body(environ: dict[str, Any], max_bytes: int) -> bytes | None:
    """The raw body; None when it is longer than `max_bytes` — whether declared by
    Content-Length or found while reading a chunked stream."""
    try:
        # A stream stopped at the limit reads as complete: allow one byte more to tell.
        raw = get_input_stream(environ, max_content_length=max_bytes + 1).read()
    except RequestEntityTooLarge:
        return None
    return raw if len(raw) <= max_bytes else None


def _problem(
    start_response: StartResponse,
    problem: ApiProblem,
    headers: Iterable[tuple[str, str]] = (),
) -> Iterable[bytes]:
    body = json.dumps(problem_body(problem)).encode()
    return _answer(start_response, problem.status, MEDIA_TYPE, body, headers)


def _answer(
    start_response: StartResponse,
    status: int,
    media_type: str,
    body: bytes,
    headers: Iterable[tuple[str, str]] = (),
) -> Iterable[bytes]:
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", media_type), ("Content-Length", str(len(body))), *headers],
    )
    return [body]
