"""Health, readiness, metrics and the OpenAPI document."""

import logging

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from shipcrowd_woo.entrypoints.api.openapi import openapi_document
from shipcrowd_woo.entrypoints.api.problems import ApiProblem, problem_response
from shipcrowd_woo.entrypoints.api.state import state

log = logging.getLogger("shipcrowd_woo.api")
blueprint = Blueprint("operations", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return jsonify(status="ok")


@blueprint.get("/readyz")
def readyz() -> Response:
    """The database and the broker answer."""
    services = state().services
    checks: dict[str, str] = {}
    try:
        if services.engine is not None:
            with services.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready
        log.warning("database not ready: %s", type(error).__name__)
        checks["database"] = "unavailable"
    try:
        if services.redis_client is not None:
            services.redis_client.ping()
        checks["broker"] = "ok"
    except Exception as error:  # any failure means not ready
        log.warning("broker not ready: %s", type(error).__name__)
        checks["broker"] = "unavailable"
    if any(value != "ok" for value in checks.values()):
        return problem_response(
            ApiProblem(503, "not-ready", "Not ready", "a dependency is unavailable", checks=checks)
        )
    return jsonify(status="ready", checks=checks)


@blueprint.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition."""
    return Response(generate_latest(state().metrics.registry), mimetype=CONTENT_TYPE_LATEST)


@blueprint.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of every endpoint."""
    return jsonify(openapi_document())
