"""Errors as `application/problem+json` (RFC 9457), one stable `type` per kind of error."""

import logging
from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from shipcrowd_woo.domain import errors as domain
from shipcrowd_woo.domain.fulfilment import OrderNotShippable
from shipcrowd_woo.domain.webhooks import (
    DeliveryMalformed,
    DeliveryNotAuthentic,
    DeliveryRefused,
    NotAWebhookEndpoint,
)

log = logging.getLogger("shipcrowd_woo.api")
TYPE_BASE = "https://docs.shipcrowd.com/woocommerce/problems/"
MEDIA_TYPE = "application/problem+json"


class ApiProblem(Exception):
    """An error the API answers as it is."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str = "",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.headers = headers or {}
        self.extra = extra


def invalid(errors: list[dict[str, str]]) -> ApiProblem:
    """A 422 listing every bad field."""
    return ApiProblem(
        422,
        "validation-error",
        "The request is not valid",
        f"{len(errors)} problem(s) in the request",
        errors=errors,
    )


# Every authentication failure reads the same: no oracle for stores or webhooks.
UNAUTHENTIC = "the delivery could not be authenticated"


def refusal_problem(refusal: DeliveryRefused) -> ApiProblem:
    """The answer to a request the webhook intake refused."""
    if isinstance(refusal, NotAWebhookEndpoint):
        return ApiProblem(404, "not-found", "No such webhook endpoint", refusal.reason)
    if isinstance(refusal, DeliveryMalformed):
        return ApiProblem(400, "bad-delivery", "The delivery is malformed", refusal.reason)
    assert isinstance(refusal, DeliveryNotAuthentic)
    return ApiProblem(401, "unauthorized", "The delivery is not authentic", UNAUTHENTIC)


def problem_body(problem: ApiProblem) -> dict[str, Any]:
    """The problem document (RFC 9457) of a problem."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + problem.kind,
        "title": problem.title,
        "status": problem.status,
    }
    if problem.detail:
        body["detail"] = problem.detail
    body.update(problem.extra)
    return body


def problem_response(problem: ApiProblem, headers: dict[str, str] | None = None) -> Response:
    """Render a problem."""
    response = Response(json.dumps(problem_body(problem)), problem.status, mimetype=MEDIA_TYPE)
    for name, value in {**problem.headers, **(headers or {})}.items():
        response.headers[name] = value
    return response


# Domain errors answered by their class alone: status, type and title, first match wins
# (subclasses before their bases). A store's errors show what the store said, never the URL
# with it; the others their own message.
_PROBLEMS: tuple[tuple[type[domain.DomainError], int, str, str], ...] = (
    (domain.InvalidTransition, 409, "invalid-transition", "Not possible in its state"),
    (domain.AlreadyExists, 409, "conflict", "Already exists"),
    (
        domain.AuthenticationFailed,
        422,
        "store-credentials-rejected",
        "The store rejected the consumer key and secret",
    ),
    (
        domain.PermissionDenied,
        422,
        "store-permission-denied",
        "The API key lacks a permission the integration needs",
    ),
    (
        domain.StoreResourceNotFound,
        422,
        "store-resource-not-found",
        "The store has no such resource (is WooCommerce installed there?)",
    ),
    (
        domain.NotWooCommerce,
        422,
        "not-a-woocommerce-store",
        "The address is not a WooCommerce store",
    ),
    (domain.RateLimited, 503, "store-rate-limited", "The store is throttling requests"),
    (domain.RequestRejected, 422, "store-rejected-request", "The store refused the request"),
    (domain.StoreClientError, 502, "store-unavailable", "The store could not be reached"),
)


def _from_domain(error: domain.DomainError) -> tuple[ApiProblem, dict[str, str]]:
    if isinstance(error, domain.ValidationFailed):
        fields = [{"field": field, "message": message} for field, message in error.problems.items()]
        return invalid(fields), {}
    if isinstance(error, domain.UnsafeStoreUrl):
        return invalid([{"field": "store_url", "message": str(error)}]), {}
    if isinstance(error, OrderNotShippable):
        title = "The order cannot be fulfilled"
        problem = ApiProblem(
            409, "order-not-shippable", title, str(error), order_status=error.status
        )
        return problem, {}
    if isinstance(error, domain.NotFound):
        return ApiProblem(404, "not-found", "Not found", "no such resource"), {}
    if isinstance(error, domain.SecretsUnavailable):
        log.error("secrets unavailable: %s", error)
        title = "Stored credentials cannot be opened with the configured keys"
        return ApiProblem(500, "secrets-unavailable", title), {}
    headers: dict[str, str] = {}
    if isinstance(error, domain.RateLimited) and error.retry_after is not None:
        headers["Retry-After"] = str(max(1, int(error.retry_after.total_seconds())))
    for kind, status, slug, title in _PROBLEMS:
        if isinstance(error, kind):
            detail = error.detail if isinstance(error, domain.StoreClientError) else str(error)
            return ApiProblem(status, slug, title, detail), headers
    return ApiProblem(400, "bad-request", "The request cannot be carried out", str(error)), headers


HTTP_KINDS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "The request body is too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("rate-limited", "Too many requests"),
}


def register_error_handlers(app: Flask) -> None:
    """Answer every error as a problem."""

    @app.errorhandler(ApiProblem)
    def api_problem(error: ApiProblem) -> Response:
        return problem_response(error)

    @app.errorhandler(domain.DomainError)
    def domain_error(error: domain.DomainError) -> Response:
        problem, headers = _from_domain(error)
        return problem_response(problem, headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        kind, title = HTTP_KINDS.get(status, ("http-error", error.name))
        headers = {}
        if status == 429:
            limit = getattr(error, "limit", None)
            seconds = getattr(getattr(limit, "limit", None), "get_expiry", lambda: 60)()
            headers["Retry-After"] = str(seconds)
        if status == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        detail = error.description if status not in (404, 405) else ""
        return problem_response(ApiProblem(status, kind, title, detail or ""), headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem_response(
            ApiProblem(500, "internal-error", "Internal error", "the error was logged")
        )
