"""What the Flask app keeps: the services, the token verifier, the intake and the metrics."""

import attrs
from flask import current_app, g

from shipcrowd_woo.entrypoints.api.auth import Principal, TokenVerifier
from shipcrowd_woo.entrypoints.api.problems import ApiProblem
from shipcrowd_woo.entrypoints.bootstrap import Services
from shipcrowd_woo.entrypoints.metrics import Metrics
from shipcrowd_woo.services.intake import WebhookIntake

EXTENSION = "shipcrowd_woo"
# Where the management API is mounted (the blueprint and the OpenAPI document read it here).
MANAGEMENT_PREFIX = "/integrations/woocommerce"


@attrs.frozen
class AppState:
    """Per-app wiring."""

    services: Services
    verifier: TokenVerifier
    intake: WebhookIntake
    metrics: Metrics


def state() -> AppState:
    """This app's wiring."""
    found: AppState = current_app.extensions[EXTENSION]
    return found


def principal() -> Principal:
    """The authenticated caller of this request."""
    caller: Principal | None = g.get("principal")
    if caller is None:
        raise ApiProblem(401, "unauthorized", "Authentication required")
    return caller


def admin() -> Principal:
    """The caller, who must be an admin (403 otherwise)."""
    caller = principal()
    if not caller.is_admin:
        raise ApiProblem(403, "forbidden", "Not allowed", "this action needs the admin role")
    return caller
