"""The public webhook endpoints: /webhooks/woocommerce/<resource>/<event>."""

import logging

from flask import Blueprint, Response, jsonify, request

from shipcrowd_woo.domain.webhooks import topic_of
from shipcrowd_woo.entrypoints.api.problems import ApiProblem, problem_response
from shipcrowd_woo.entrypoints.api.requests import read_body
from shipcrowd_woo.entrypoints.api.state import state
from shipcrowd_woo.log_context import bound
from shipcrowd_woo.services.intake import HEADERS, IntakeRefused

log = logging.getLogger("shipcrowd_woo.intake")
blueprint = Blueprint("intake", __name__, url_prefix="/webhooks/woocommerce")
UNAUTHENTIC = "the delivery could not be authenticated"
UNKNOWN_TOPIC = "unknown"
ENVIRON_KEYS = tuple((name, "HTTP_" + name.upper().replace("-", "_")) for name in HEADERS)
REFUSALS = {
    400: ("bad-delivery", "The delivery is malformed"),
    401: ("unauthorized", "The delivery is not authentic"),
    404: ("not-found", "No such webhook endpoint"),
}


@blueprint.post("/<resource>/<event>")
def receive(resource: str, event: str) -> Response:
    """Verify, keep and queue one delivery; answer 200 at once (WooCommerce counts anything
    else as a failure and disables the webhook after repeated ones)."""
    app = state()
    limit = app.services.settings.max_webhook_bytes
    # Labels come from a fixed set: a label per path asked for would let anyone grow /metrics
    # (and the process) without limit.
    topic = topic_of(resource, event)
    topic_label = topic.value if topic else UNKNOWN_TOPIC
    with app.metrics.time_intake():
        try:
            body = read_body(request, limit)
        except ApiProblem as problem:
            app.metrics.deliveries.labels(topic_label, "too_large").inc()
            return problem_response(problem)
        try:
            received_at = app.services.clock.now()
            result = app.intake.accept(resource, event, _webhook_headers(), body, received_at)
        except IntakeRefused as refusal:
            app.metrics.deliveries.labels(topic_label, f"refused_{refusal.status}").inc()
            # Only the reason is logged: nothing of an unverified request is kept.
            log.info("webhook refused (%s): %s", refusal.status, refusal.reason)
            kind, title = REFUSALS[refusal.status]
            # Every authentication failure reads the same: no oracle for stores or webhooks.
            detail = UNAUTHENTIC if refusal.status == 401 else refusal.reason
            return problem_response(ApiProblem(refusal.status, kind, title, detail))
        app.metrics.deliveries.labels(topic_label, result.verdict.value).inc()
        # At debug level: a line per delivery cost as much as keeping it; the metrics count
        # them, and the drain logs each batch.
        if log.isEnabledFor(logging.DEBUG):
            with bound(store_id=result.store_id, delivery_id=result.delivery_id):
                log.debug("webhook %s %s", topic_label, result.verdict.value)
        return jsonify(status=result.verdict.value)


def _webhook_headers() -> dict[str, str]:
    """The X-WC headers from the WSGI environ, where the server already joined a header
    sent twice (so it cannot verify): werkzeug's header lookups cost more than the rest of
    reading a delivery."""
    environ = request.environ
    found = {}
    for name, key in ENVIRON_KEYS:
        value = environ.get(key)
        if value:
            found[name] = value
    return found
