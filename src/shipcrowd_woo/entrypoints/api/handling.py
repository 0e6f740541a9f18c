"""What the management API's handlers share: reading a body and a page request."""

from typing import Any

from flask import request

from shipcrowd_woo.domain.pagination import MAX_PAGE_SIZE, PageRequest
from shipcrowd_woo.entrypoints.api.problems import invalid
from shipcrowd_woo.entrypoints.api.requests import parse_body, query_int
from shipcrowd_woo.entrypoints.api.state import state


def body_of(kind: type) -> Any:
    """The request's JSON body structured as `kind` (every problem at once, as a 422)."""
    return parse_body(request, kind, state().services.settings.max_body_bytes)


def page_request() -> PageRequest:
    """The `offset` and `limit` asked for (a 422 naming each bad one)."""
    errors: list[dict[str, str]] = []
    offset = query_int(request.args, "offset", 0, 0, 10**9, errors)
    limit = query_int(request.args, "limit", 20, 1, MAX_PAGE_SIZE, errors)
    if errors:
        raise invalid(errors)
    return PageRequest(offset=offset, limit=limit)
