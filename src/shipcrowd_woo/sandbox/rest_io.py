"""Reading requests and writing answers as WooCommerce's REST server does: WP_Error answers,
permission checks, paging with its headers, parameter parsing and `_fields` trimming. The
route classes (order_routes, catalog_routes, webhook_routes) build on it."""

import json
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import attrs
from werkzeug import Request, Response

from shipcrowd_woo.sandbox.auth import AuthFailure, check_permission
from shipcrowd_woo.sandbox.delivery import Deliverer
from shipcrowd_woo.sandbox.faults import FaultPlan
from shipcrowd_woo.sandbox.store import ApiKey, SandboxStore

API = "/wp-json/wc/v3"
BATCH_LIMIT = 100
ORDER_STATUSES = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "checkout-draft",
    "trash",
]
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
CANNOT_CREATE = (
    "woocommerce_rest_cannot_create",
    "Sorry, you are not allowed to create resources.",
)
# What WooCommerce answers a key without read permission (or no key).
CANNOT_VIEW = "woocommerce_rest_cannot_view"
# How many orders a request rendered, for the latency model (latency.py).
ORDERS_RENDERED = "sandbox.orders_rendered"


@attrs.frozen
class Paging:
    """A listing's page, page size and order, as its query asked for them."""

    page: int
    per_page: int
    descending: bool
    orderby: str


class WooError(Exception):
    """An error answered as WooCommerce's JSON."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.data = status, code, message, data

    def response(self) -> Response:
        return json_response(
            {
                "code": self.code,
                "message": self.message,
                "data": {"status": self.status, **self.data},
            },
            self.status,
        )


def invalid_param(name: str, message: str, code: str = "rest_invalid_param") -> WooError:
    return WooError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        params={name: message},
        details={name: {"code": code, "message": message, "data": None}},
    )


class RestHandlers:
    """What every route of the sandbox shares."""

    store: SandboxStore
    deliverer: Deliverer
    faults: FaultPlan

    def _permit_listing(self, key: ApiKey | None, request: Request) -> None:
        self._permit(key, request, CANNOT_VIEW, "Sorry, you cannot list resources.")

    def _permit_viewing(self, key: ApiKey | None, request: Request) -> None:
        self._permit(key, request, CANNOT_VIEW, "Sorry, you cannot view this resource.")

    def _permit(self, key: ApiKey | None, request: Request, code: str, message: str) -> None:
        if key is None:
            raise WooError(401, code, message)
        try:
            check_permission(key, request.method)
        except AuthFailure as failure:
            raise WooError(failure.status, failure.code, failure.message) from None

    def _existing_order(self, order_id: int) -> None:
        if order_id not in self.store.orders:
            raise WooError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")

    def _existing_product(self, product_id: int) -> None:
        if product_id not in self.store.products:
            raise WooError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")

    @staticmethod
    def _one(
        request: Request, item_id: int, render: Callable[[int, list[str] | None], dict[str, Any]]
    ) -> Response:
        """One item as its route answers GET: cut to `_fields`, with the methods it allows."""
        return json_response(
            render(item_id, field_list(request)), allow="GET, POST, PUT, PATCH, DELETE"
        )

    def _paging(self, request: Request) -> Paging:
        page = self._integer(request, "page", 1, minimum=1)
        per_page = self._integer(request, "per_page", 10, minimum=1, maximum=100)
        order = request.args.get("order", "desc")
        if order not in ("asc", "desc"):
            raise invalid_param("order", "order is not one of asc and desc.", "rest_not_in_enum")
        orderby = request.args.get("orderby", "date")
        if orderby not in ORDERBY:
            raise invalid_param(
                "orderby", f"orderby is not one of {', '.join(ORDERBY)}.", "rest_not_in_enum"
            )
        return Paging(page, per_page, order == "desc", orderby)

    @staticmethod
    def _integer(
        request: Request, name: str, default: int, *, minimum: int, maximum: int | None = None
    ) -> int:
        raw = request.args.get(name)
        if raw is None:
            return default
        if not raw.strip().lstrip("-").isdecimal():
            raise invalid_param(name, f"{name} is not of type integer.", "rest_invalid_type")
        value = int(raw)
        if value < minimum or (maximum is not None and value > maximum):
            bounds = (
                f"{name} must be between {minimum} (inclusive) and {maximum} (inclusive)"
                if maximum is not None
                else f"{name} must be greater than or equal to {minimum}"
            )
            raise invalid_param(name, bounds, "rest_out_of_bounds")
        return value

    @staticmethod
    def _statuses(request: Request) -> set[str] | None:
        raw = [
            value
            for name, value in request.args.items(multi=True)
            if name == "status" or name.startswith("status[")
        ]
        values = {part.strip().removeprefix("wc-") for value in raw for part in value.split(",")}
        values.discard("")
        if not values or "any" in values:
            return None
        for value in values:
            if value not in ORDER_STATUSES:
                raise invalid_param(
                    "status",
                    f"status[0] is not one of any, {', '.join(ORDER_STATUSES)}.",
                    "rest_not_in_enum",
                )
        return values

    def _date(self, request: Request, name: str, gmt: bool) -> datetime | None:
        raw = request.args.get(name)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise invalid_param(name, "Invalid date.", "rest_invalid_date") from None
        if moment.tzinfo is None:
            zone = UTC if gmt else zoneinfo.ZoneInfo(self.store.timezone)
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)

    @staticmethod
    def _id_list(request: Request, name: str) -> set[int] | None:
        raw = request.args.get(name)
        if not raw:
            return None
        return {int(part) for part in raw.split(",") if part.strip().isdecimal()}

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        if not request.get_data():
            return dict(request.form.items())
        try:
            body = json.loads(request.get_data())
        except (ValueError, RecursionError):
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.") from None
        if not isinstance(body, dict):
            raise WooError(400, "rest_invalid_json", "Invalid JSON body passed.")
        return body

    def _page_of(
        self,
        request: Request,
        ids: list[int],
        paging: Paging,
        render: Callable[[int, list[str] | None], dict[str, Any]],
        allow: str,
        *,
        rendering_orders: bool = False,
    ) -> Response:
        page, per_page = paging.page, paging.per_page
        total = len(ids)
        pages = (total + per_page - 1) // per_page
        window = ids[(page - 1) * per_page : page * per_page]
        fields = field_list(request)
        response = json_response([render(item, fields) for item in window], allow=allow)
        if rendering_orders:
            request.environ[ORDERS_RENDERED] = len(window)
        response.headers["X-WP-Total"] = str(total)
        response.headers["X-WP-TotalPages"] = str(pages)
        links = []
        query = {
            k: v
            for k, v in request.args.items(multi=True)
            if not k.startswith(("oauth_", "consumer_"))
        }
        base = f"{self.store.base_url}{request.path}"
        if page > 1:
            links.append(f'<{base}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
        if page < pages:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return response


def field_list(request: Request) -> list[str] | None:
    raw = request.args.get("_fields")
    return None if raw is None else [part.strip() for part in raw.split(",")]


def trimmed(request: Request, document: dict[str, Any]) -> dict[str, Any]:
    fields = field_list(request)
    return document if fields is None else {k: v for k, v in document.items() if k in fields}


def json_response(
    payload: Any, status: int = 200, allow: str | None = None, **headers: str
) -> Response:
    response = Response(
        json.dumps(payload, default=str),
        status,
        content_type="application/json; charset=UTF-8",
        headers=headers,
    )
    if allow:
        response.headers["Allow"] = allow
    return response
