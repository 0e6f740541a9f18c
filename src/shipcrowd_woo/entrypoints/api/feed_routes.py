"""The management API's order routes and event feed (registered on its blueprint by
management.py; the same rules: the bearer token's company, 404 across companies)."""

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import TypeVar

from flask import Blueprint, Response, jsonify, request

from shipcrowd_woo.domain.errors import CursorExpired, OrderNotFound, ValidationFailed
from shipcrowd_woo.domain.feed import EventType
from shipcrowd_woo.domain.ids import LARGEST_WOO_ID, StoreId
from shipcrowd_woo.domain.moments import aware_moment
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.entrypoints.api.problems import ApiProblem, invalid, problem_response
from shipcrowd_woo.entrypoints.api.requests import query_int
from shipcrowd_woo.entrypoints.api.state import principal, state
from shipcrowd_woo.entrypoints.api.views import event_page_text, order_list_view, order_view
from shipcrowd_woo.ports.repositories import OrderQuery
from shipcrowd_woo.services.feed import MAX_EVENTS_PER_READ, MAX_ORDERS_PER_PAGE, MAX_WAIT_SECONDS

E = TypeVar("E", bound=Enum)
MAX_FILTER_VALUES = 50


def _values(name: str, errors: list[dict[str, str]]) -> list[str]:
    # Repeated (`?status=a&status=b`) or comma-separated (`?status=a,b`).
    values = [part for raw in request.args.getlist(name) for part in raw.split(",") if part]
    if len(values) > MAX_FILTER_VALUES:
        errors.append({"field": name, "message": f"at most {MAX_FILTER_VALUES} values"})
        return []
    return values


def _enums(kind: type[E], name: str, errors: list[dict[str, str]]) -> list[E]:
    allowed = {member.value: member for member in kind}
    found = []
    for value in _values(name, errors):
        if value in allowed:
            found.append(allowed[value])
        else:
            errors.append({"field": name, "message": f"must be one of {', '.join(allowed)}"})
    return found


def _moment(name: str, errors: list[dict[str, str]]) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return aware_moment(raw, name)
    except ValidationFailed as refused:
        errors += [{"field": f, "message": m} for f, m in refused.problems.items()]
        return None


def _stores(errors: list[dict[str, str]]) -> Sequence[StoreId]:
    return [StoreId(value) for value in _values("store_id", errors)]


def list_orders() -> Response:
    """The company's imported orders by keyset (`cursor`), filtered by store, WooCommerce
    status, shipping decision and changed-after."""
    errors: list[dict[str, str]] = []
    query = OrderQuery(
        company_id=principal().company_id,
        limit=query_int(request.args, "limit", 20, 1, MAX_ORDERS_PER_PAGE, errors),
        after=query_int(request.args, "cursor", 0, 0, 2**62, errors),
        store_ids=_stores(errors),
        woo_statuses=_values("status", errors),
        shippable=_enums(Shipping, "shippable", errors),
        changed_after=_moment("changed_after", errors),
    )
    if errors:
        raise invalid(errors)
    return jsonify(order_list_view(state().services.feed.orders(query)))


def get_order(store_id: str, order_id: int) -> Response:
    """One imported order."""
    if not 1 <= order_id <= LARGEST_WOO_ID:
        raise OrderNotFound(f"order {order_id}")
    reading = state().services.feed.order(principal().company_id, StoreId(store_id), order_id)
    return jsonify(order_view(reading))


def list_events() -> Response:
    """The company's events after `after`, oldest first; `wait` long-polls an empty read.
    A cursor older than the retention is 410, naming where to restart."""
    errors: list[dict[str, str]] = []
    after = query_int(request.args, "after", 0, 0, 2**62, errors)
    limit = query_int(request.args, "limit", 100, 1, MAX_EVENTS_PER_READ, errors)
    wait = query_int(request.args, "wait", 0, 0, int(MAX_WAIT_SECONDS), errors)
    stores = _stores(errors)
    types = _enums(EventType, "type", errors)
    if errors:
        raise invalid(errors)
    feed = state().services.feed
    try:
        page = feed.events(principal().company_id, after, limit, wait, stores, types)
    except CursorExpired as expired:
        gone = ApiProblem(
            410,
            "cursor-expired",
            "The events after this cursor were purged",
            str(expired),
            restart_after=expired.restart_after,
        )
        return problem_response(gone)
    return Response(event_page_text(page), mimetype="application/json")


def register(blueprint: Blueprint) -> None:
    """Add the order and feed routes to the management blueprint."""
    blueprint.get("/orders")(list_orders)
    blueprint.get("/stores/<store_id>/orders/<int:order_id>")(get_order)
    blueprint.get("/events")(list_events)
