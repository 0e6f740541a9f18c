"""The OpenAPI 3.1 document of the service (served at /openapi.json; schemathesis checks the
app against it)."""

import copy
import functools
from collections.abc import Mapping, Sequence
from enum import Enum
from importlib import metadata
from typing import Any

from shipcrowd_woo.domain.feed import EventType
from shipcrowd_woo.domain.ids import LARGEST_WOO_ID
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.domain.sync_log import SyncType
from shipcrowd_woo.entrypoints.api import requests
from shipcrowd_woo.entrypoints.api.answers import COMPONENTS
from shipcrowd_woo.entrypoints.api.schemas import REF, request_schema, response_schema
from shipcrowd_woo.entrypoints.api.state import MANAGEMENT_PREFIX
from shipcrowd_woo.services.feed import MAX_EVENTS_PER_READ, MAX_WAIT_SECONDS
from shipcrowd_woo.services.intake import Verdict

PREFIX = MANAGEMENT_PREFIX


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def _nullable(kind: str | list[str], **extra: Any) -> dict[str, Any]:
    kinds = [kind] if isinstance(kind, str) else kind
    return {"type": [*kinds, "null"], **extra}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _page(item: str) -> dict[str, Any]:
    return _object(
        ["items", "total", "offset", "limit"],
        items={"type": "array", "items": _ref(item)},
        total={"type": "integer", "minimum": 0},
        offset={"type": "integer", "minimum": 0},
        limit={"type": "integer", "minimum": 1},
    )


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
WHEN = _nullable("string", format="date-time")

PROBLEM_SCHEMA: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": STRING,
            "title": STRING,
            "status": INTEGER,
            "detail": STRING,
            "errors": {
                "type": "array",
                "items": _object(["field", "message"], field=STRING, message=STRING),
            },
            "checks": {"type": "object"},
        },
    },
}


# Request bodies: generated from the classes the API structures them into.
REQUEST_BODIES: dict[str, type] = {
    "InstallRequest": requests.InstallRequest,
    "CredentialsRequest": requests.CredentialsRequest,
    "SettingsRequest": requests.SettingsRequest,
    "SyncOrdersRequest": requests.SyncOrdersRequest,
    "InventoryRequest": requests.InventoryRequest,
    "MappingRequest": requests.MappingRequest,
    "ToggleRequest": requests.ToggleRequest,
    "MappingStockRequest": requests.MappingStockRequest,
    "StockRequest": requests.StockRequest,
    "FulfilmentRequest": requests.FulfilmentBody,
    "SubscriptionRequest": requests.SubscriptionRequest,
}


def _schemas() -> dict[str, Any]:
    """Every component schema: the answers generated from the classes the API writes them
    from, the request bodies from those it structures them into."""
    return {
        **PROBLEM_SCHEMA,
        **{name: response_schema(cls, COMPONENTS) for cls, name in COMPONENTS.items()},
        **{f"{item}Page": _page(item) for item in ("Store", "SyncLog", "Mapping")},
        **{name: request_schema(cls) for name, cls in REQUEST_BODIES.items()},
    }


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _ref(schema)}}}


PROBLEM = {
    "description": "An error (RFC 9457)",
    "content": {"application/problem+json": {"schema": _ref("Problem")}},
}


# Errors of an operation that calls the store: its answers (problems.py: 422 for a refused
# key or a missing resource, 502 unreachable, 503 throttling).
AT_THE_STORE = (422, 502, 503)


def problems(*statuses: int) -> dict[str, Any]:
    """The error answers, each a problem document."""
    return {str(status): PROBLEM for status in sorted(set(statuses))}


def _errors(
    admin: bool,
    public: bool,
    params: Sequence[str],
    body: str | None,
    query: Sequence[dict[str, Any]],
    extra: Sequence[int],
) -> dict[str, Any]:
    """The errors an operation can answer, from what it takes: every management call can be
    unauthenticated (401) or rate limited (429), one for admins forbidden (403), one naming a
    resource not found (404), one with input invalid (422), one with a body malformed (400),
    too large (413) or of another type (415); `extra` names what its use case adds."""
    if public:
        return problems(*extra)
    statuses = [401, 429, *extra]
    if admin:
        statuses.append(403)
    if params:
        statuses.append(404)
    if body or query:
        statuses.append(422)
    if body:
        statuses += [400, 413, 415]
    return problems(*statuses)


def _operation(
    summary: str,
    status: int,
    schema: str | None,
    *,
    body: str | None = None,
    params: Sequence[str] = (),
    query: Sequence[dict[str, Any]] = (),
    public: bool = False,
    tag: str = "management",
    also: Mapping[int, str] | None = None,
    errors: Sequence[int] = (),
    admin: bool = False,
) -> dict[str, Any]:
    """An operation answering `status` with `schema` (and the statuses in `also`, with the
    same schema), and the errors it can answer as problems (see `_errors`)."""
    ok: dict[str, Any] = {"description": summary}
    if schema:
        ok.update(_json(schema))
    answers = {str(status): ok} | {
        str(other): {**ok, "description": why} for other, why in (also or {}).items()
    }
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": PATH.get(name, STRING)}
            for name in params
        ]
        + list(query),
        "responses": answers | _errors(admin, public, params, body, query, errors),
    }
    if body:
        operation["requestBody"] = {"required": False, **_json(body)}
    if public:
        operation["security"] = []
    return operation


# Path parameters that are not text.
PATH = {"order_id": {"type": "integer", "minimum": 1, "maximum": LARGEST_WOO_ID}}
PAGING: list[dict[str, Any]] = [
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
]
LOG_TYPE: list[dict[str, Any]] = [
    {
        "name": "type",
        "in": "query",
        "schema": {"type": "string", "enum": [kind.value for kind in SyncType]},
    }
]
MAPPING_FILTERS: list[dict[str, Any]] = [
    *(
        {"name": name, "in": "query", "schema": BOOLEAN}
        for name in ("active", "sync_inventory", "erroring")
    ),
    {"name": "type", "in": "query", "schema": {"type": "string", "enum": ["auto", "manual"]}},
    {"name": "search", "in": "query", "schema": STRING},
]
S = ["store_id"]
_MANY = {"type": "array", "items": STRING}


def _many_of(kind: type[Enum]) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "enum": [m.value for m in kind]}}


ORDER_FILTERS: list[dict[str, Any]] = [
    {"name": "cursor", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "store_id", "in": "query", "schema": _MANY, "explode": True},
    {"name": "status", "in": "query", "schema": _MANY, "explode": True},
    {
        "name": "shippable",
        "in": "query",
        "schema": {
            "type": "array",
            "items": {"type": "string", "enum": [s.value for s in Shipping]},
        },
        "explode": True,
    },
    {"name": "changed_after", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]
EVENT_FILTERS: list[dict[str, Any]] = [
    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {
        "name": "limit",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_EVENTS_PER_READ},
    },
    {
        "name": "wait",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "maximum": int(MAX_WAIT_SECONDS)},
    },
    {"name": "store_id", "in": "query", "schema": _MANY, "explode": True},
    {
        "name": "type",
        "in": "query",
        "schema": {
            "type": "array",
            "items": {"type": "string", "enum": [t.value for t in EventType]},
        },
        "explode": True,
    },
]


def openapi_document() -> dict[str, Any]:
    """The document (a copy: callers may change theirs)."""
    return copy.deepcopy(_document())


@functools.cache
def _document() -> dict[str, Any]:
    """Built once a process, when first asked for rather than at start-up."""
    p = PREFIX
    paths: dict[str, Any] = {
        f"{p}/install": {
            "post": _operation(
                "Install a store (admin)",
                201,
                "Installation",
                admin=True,
                body="InstallRequest",
                errors=(409, *AT_THE_STORE),
            )
        },
        f"{p}/stores": {"get": _operation("List stores", 200, "StorePage", query=PAGING)},
        f"{p}/stores/{{store_id}}": {
            "get": _operation("Get a store", 200, "Store", params=S),
            "delete": _operation("Disconnect a store (admin)", 200, "Store", params=S, admin=True),
        },
        f"{p}/stores/{{store_id}}/test": {
            "post": _operation(
                "Test the connection", 200, "SystemStatus", params=S, errors=AT_THE_STORE
            )
        },
        f"{p}/stores/{{store_id}}/pause": {
            "post": _operation("Pause syncing", 200, "Store", params=S, errors=(409,))
        },
        f"{p}/stores/{{store_id}}/resume": {
            "post": _operation("Resume syncing", 200, "Store", params=S, errors=(409,))
        },
        f"{p}/stores/{{store_id}}/credentials": {
            "put": _operation(
                "Replace credentials (admin)",
                200,
                "Store",
                admin=True,
                params=S,
                body="CredentialsRequest",
                errors=AT_THE_STORE,
            )
        },
        f"{p}/stores/{{store_id}}/settings": {
            "patch": _operation(
                "Change sync and fulfilment settings (admin)",
                200,
                "Store",
                admin=True,
                params=S,
                body="SettingsRequest",
            )
        },
        f"{p}/stores/{{store_id}}/webhooks/register": {
            "post": _operation(
                "Register webhooks (admin)",
                200,
                "WebhookReport",
                params=S,
                errors=AT_THE_STORE,
                admin=True,
            )
        },
        f"{p}/stores/{{store_id}}/webhooks/check": {
            "post": _operation("Queue a webhook health check", 202, "Job", params=S)
        },
        f"{p}/stores/{{store_id}}/sync/reconcile": {
            "post": _operation("Queue a deletion reconciliation", 202, "Job", params=S)
        },
        f"{p}/stores/{{store_id}}/sync/orders": {
            "post": _operation(
                "Queue an order import", 202, "Job", params=S, body="SyncOrdersRequest"
            )
        },
        f"{p}/stores/{{store_id}}/sync/inventory": {
            "post": _operation(
                "Queue an inventory push", 202, "Job", params=S, body="InventoryRequest"
            )
        },
        f"{p}/stores/{{store_id}}/orders/{{order_id}}/fulfillments": {
            "post": {
                **_operation(
                    "Send a fulfilment (tracking, customer note, completion) to the store",
                    202,
                    "FulfilmentAccepted",
                    params=[*S, "order_id"],
                    body="FulfilmentRequest",
                    also={200: "The same fulfilment, sent before and done"},
                    errors=(409,),
                ),
                "requestBody": {"required": True, **_json("FulfilmentRequest")},
            },
            "get": _operation(
                "The order's fulfilments", 200, "FulfilmentList", params=[*S, "order_id"]
            ),
        },
        f"{p}/orders": {
            "get": _operation(
                "List imported orders (keyset by cursor)", 200, "OrderList", query=ORDER_FILTERS
            )
        },
        f"{p}/stores/{{store_id}}/orders/{{order_id}}": {
            "get": _operation("An imported order", 200, "Order", params=[*S, "order_id"])
        },
        f"{p}/events": {
            "get": _operation(
                "The order feed: events after a cursor, optionally long-polled",
                200,
                "EventPage",
                query=EVENT_FILTERS,
                errors=(410,),
            )
        },
        f"{p}/subscriptions": {
            "post": {
                **_operation(
                    "Subscribe a URL to the order feed (signed per Standard Webhooks)",
                    201,
                    "SubscriptionSecret",
                    body="SubscriptionRequest",
                    admin=True,
                ),
                "requestBody": {"required": True, **_json("SubscriptionRequest")},
            },
            "get": _operation("The company's subscriptions", 200, "SubscriptionList"),
        },
        f"{p}/subscriptions/{{subscription_id}}": {
            "get": _operation("A subscription", 200, "Subscription", params=["subscription_id"]),
            "delete": {
                **_operation(
                    "Delete a subscription", 204, None, params=["subscription_id"], admin=True
                ),
                "responses": {
                    "204": {"description": "Deleted"},
                    **_errors(True, False, ["subscription_id"], None, (), ()),
                },
            },
        },
        f"{p}/subscriptions/{{subscription_id}}/enable": {
            "post": _operation(
                "Deliver a subscription again, from where it stopped",
                200,
                "Subscription",
                params=["subscription_id"],
                admin=True,
            )
        },
        f"{p}/subscriptions/{{subscription_id}}/rotate-secret": {
            "post": _operation(
                "A new signing secret; the old one signs beside it for a day",
                200,
                "SubscriptionSecret",
                params=["subscription_id"],
                admin=True,
            )
        },
        f"{p}/sync/jobs/{{job_id}}": {
            "get": _operation("A job's state", 200, "Job", params=["job_id"])
        },
        f"{p}/stores/{{store_id}}/sync/logs": {
            "get": _operation("Sync logs", 200, "SyncLogPage", params=S, query=[*PAGING, *LOG_TYPE])
        },
        f"{p}/stores/{{store_id}}/sync/stats": {
            "get": _operation("Sync statistics", 200, "SyncStats", params=S, query=LOG_TYPE)
        },
        f"{p}/stores/{{store_id}}/mappings": {
            "get": _operation(
                "List mappings", 200, "MappingPage", params=S, query=[*PAGING, *MAPPING_FILTERS]
            ),
            "post": _operation(
                "Create a mapping", 201, "Mapping", params=S, body="MappingRequest", errors=(409,)
            ),
        },
        f"{p}/stores/{{store_id}}/mappings/auto": {
            "post": _operation("Queue automatic mapping", 202, "Job", params=S)
        },
        f"{p}/stores/{{store_id}}/mappings/stats": {
            "get": _operation("Mapping statistics", 200, "MappingStats", params=S)
        },
        f"{p}/stores/{{store_id}}/mappings/import": {
            "post": {
                **_operation(
                    "Import mappings from CSV",
                    200,
                    "ImportReport",
                    params=S,
                    errors=(400, 413, 415, 422),
                ),
                "requestBody": {"required": True, "content": {"text/csv": {"schema": STRING}}},
            }
        },
        f"{p}/stores/{{store_id}}/mappings/export": {
            "get": {
                **_operation("Export mappings as CSV", 200, None, params=S),
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {"schema": STRING}}},
                    **_errors(False, False, S, None, (), ()),
                },
            }
        },
        f"{p}/mappings/{{mapping_id}}": {
            "get": _operation(
                "A mapping, its limits and its last push", 200, "Mapping", params=["mapping_id"]
            ),
            "delete": {
                **_operation("Delete a mapping", 204, None, params=["mapping_id"]),
                "responses": {
                    "204": {"description": "Deleted"},
                    **_errors(False, False, ["mapping_id"], None, (), ()),
                },
            },
        },
        f"{p}/mappings/{{mapping_id}}/stock": {
            "patch": _operation(
                "Set a mapping's own stock limits",
                200,
                "Mapping",
                params=["mapping_id"],
                body="MappingStockRequest",
            )
        },
        f"{p}/mappings/{{mapping_id}}/toggle": {
            "post": _operation(
                "Switch a mapping on or off",
                200,
                "Mapping",
                params=["mapping_id"],
                body="ToggleRequest",
            )
        },
        f"{p}/stock": {
            "put": {
                **_operation("Report warehouse stock", 200, None, body="StockRequest"),
                "responses": {
                    "200": {
                        "description": "Recorded",
                        "content": {
                            "application/json": {"schema": _object(["recorded"], recorded=INTEGER)}
                        },
                    },
                    **_errors(False, False, (), "StockRequest", (), ()),
                },
            }
        },
        "/webhooks/woocommerce/{resource}/{event}": {
            "post": {
                "summary": "Receive a WooCommerce webhook delivery (HMAC-verified)",
                "tags": ["webhooks"],
                "security": [],
                "parameters": [
                    {
                        "name": "resource",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["order", "product", "customer"]},
                    },
                    {
                        "name": "event",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ["created", "updated", "deleted"]},
                    },
                    *(
                        {"name": f"X-WC-Webhook-{name}", "in": "header", "schema": STRING}
                        for name in ("Signature", "ID", "Source", "Topic", "Delivery-ID")
                    ),
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {}},
                        "application/x-www-form-urlencoded": {"schema": {}},
                    }
                },
                "responses": {
                    "200": {
                        "description": "Accepted, a duplicate, or the creation ping",
                        "content": {
                            "application/json": {
                                "schema": _object(
                                    ["status"],
                                    status={
                                        "type": "string",
                                        "enum": [verdict.value for verdict in Verdict],
                                    },
                                )
                            }
                        },
                    },
                    # Refused (problems.refusal_problem), too large.
                    **problems(400, 401, 404, 413),
                },
            }
        },
        "/healthz": {"get": _operation("Liveness", 200, None, public=True, tag="operations")},
        "/readyz": {
            "get": _operation("Readiness", 200, None, public=True, tag="operations", errors=(503,))
        },
        "/metrics": {
            "get": {
                **_operation("Prometheus metrics", 200, None, public=True, tag="operations"),
                "responses": {
                    "200": {
                        "description": "Prometheus text",
                        "content": {"text/plain": {"schema": STRING}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": _operation("This document", 200, None, public=True, tag="operations")
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Shipcrowd WooCommerce integration",
            "version": metadata.version("shipcrowd-woo"),
            "description": "Management API for connected WooCommerce stores, and the intake "
            "of their webhooks. Errors are application/problem+json.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
