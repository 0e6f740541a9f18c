"""The public webhook endpoints: /webhooks/woocommerce/<resource>/<event>."""

import logging
from datetime import UTC, datetime

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
            result = app.intake.accept(resource, event, _webhook_headers(), body, datetime.now(UTC))
        except IntakeRefused as refusal:
            app.metrics.deliveries.labels(topic_label, f"refused_{refusal.status}").inc()
            # Only the reason is logged: nothing of an unverified request is kept.
            log.info("webhook refused (%s): %s", refusal.status, refusal.reason)
            kind, title = REFUSALS[refusal.status]
            # Every authentication failure reads the same: no oracle for stores or webhooks.
            detail = UNAUTHENTIC if refusal.status == 401 else refusal.reason
            return problem_response(ApiProblem(refusal.status, kind, title, detail))
        app.metrics.deliveries.labels(topic_label, result.verdict.value).inc()
        with bound(store_id=result.store_id, delivery_id=result.delivery_id, job_id=result.job_id):
            log.info("webhook %s %s", topic_label, result.verdict.value)
        return jsonify(status=result.verdict.value)


def _webhook_headers() -> dict[str, str]:
    """The X-WC headers, each once: a header sent twice is joined, so it cannot verify."""
    found = {}
    for name in HEADERS:
        values = request.headers.getlist(name)
        if values:
            found[name] = ", ".join(values)
    return found
