"""The sandbox's REST API: a WSGI app answering like WooCommerce 10.0.2.

Rules and their sources:
- Errors are WP_Error JSON `{"code", "message", "data": {"status"}}` (WP_REST_Server).
- Authentication errors come first, then parameter validation, then the controller's
  permission check (WP_REST_Server::respond_to_request), which answers 401 without credentials.
- Lists take `page`, `per_page` (1-100, else 400 rest_invalid_param / rest_out_of_bounds),
  `orderby`, `order`, and answer X-WP-Total, X-WP-TotalPages and a Link header with prev/next
  (class-wc-rest-crud-controller.php).
- Orders filter on `status`, `modified_after`/`modified_before`, `after`/`before` (exclusive),
  `dates_are_gmt`, `include`; `_fields` trims the representation (rest_filter_response_fields).
- Batches take at most 100 items across create+update+delete, else 413
  woocommerce_rest_request_entity_too_large (check_batch_limit); per-item errors come back
  inside a 200; `products/batch` refuses variation ids.
- `POST orders` creates an order (201, Location); one paid or reaching processing, completed or
  on-hold takes its stock, and is refused with ReserveStock's 403 when short (store.py,
  place_order; stock.py).
- DELETE without force trashes an order (order.deleted fires); force=true deletes it for good
  (no webhook); webhooks cannot be trashed (501).
"""

import time
import zoneinfo
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from werkzeug import Request, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from shipcrowd_woo.sandbox.auth import AuthFailure, authenticate
from shipcrowd_woo.sandbox.catalog_routes import CatalogRoutes
from shipcrowd_woo.sandbox.delivery import Deliverer
from shipcrowd_woo.sandbox.faults import Fault, FaultPlan
from shipcrowd_woo.sandbox.latency import LatencyModel
from shipcrowd_woo.sandbox.order_routes import OrderRoutes
from shipcrowd_woo.sandbox.rest_io import API, ORDERS_RENDERED, WooError, json_response, trimmed
from shipcrowd_woo.sandbox.store import TRACKING_NAMESPACE, ApiKey, SandboxStore
from shipcrowd_woo.sandbox.webhook_routes import WebhookRoutes


def redirect_home(store: SandboxStore, request: Request) -> Response:
    """What a web server sending other host names or plain HTTP to the home URL answers."""
    target = f"{store.base_url}{request.full_path.rstrip('?')}"
    return Response("", 301, headers={"Location": target})


class SandboxApp(OrderRoutes, CatalogRoutes, WebhookRoutes):
    """WSGI callable over a SandboxStore, with a Deliverer for webhooks and a FaultPlan."""

    def __init__(
        self,
        store: SandboxStore,
        deliverer: Deliverer,
        faults: FaultPlan,
        latency: LatencyModel | None = None,
    ) -> None:
        self.store = store
        self.deliverer = deliverer
        self.faults = faults
        self.latency = latency or LatencyModel()
        self.requests = 0
        self._routes = Map(
            [
                Rule("/wp-json/", endpoint="index", methods=["GET"]),
                Rule(f"{API}/system_status", endpoint="system_status", methods=["GET"]),
                Rule(f"{API}/orders", endpoint="orders", methods=["GET", "POST"]),
                Rule(
                    f"{API}/orders/<int:item_id>",
                    endpoint="order",
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
                Rule(
                    f"{API}/orders/<int:item_id>/notes",
                    endpoint="order_notes",
                    methods=["GET", "POST"],
                ),
                Rule(
                    f"/wp-json/{TRACKING_NAMESPACE}/orders/<int:item_id>/shipment-trackings",
                    endpoint="shipment_trackings",
                    methods=["GET", "POST"],
                ),
                Rule(f"{API}/products", endpoint="products", methods=["GET"]),
                Rule(
                    f"{API}/products/batch",
                    endpoint="products_batch",
                    methods=["POST", "PUT", "PATCH"],
                ),
                Rule(f"{API}/products/<int:item_id>", endpoint="product", methods=["GET"]),
                Rule(
                    f"{API}/products/<int:item_id>/variations",
                    endpoint="variations",
                    methods=["GET"],
                ),
                Rule(
                    f"{API}/products/<int:item_id>/variations/batch",
                    endpoint="variations_batch",
                    methods=["POST", "PUT", "PATCH"],
                ),
                Rule(f"{API}/webhooks", endpoint="webhooks", methods=["GET", "POST"]),
                Rule(
                    f"{API}/webhooks/<int:item_id>",
                    endpoint="webhook",
                    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                ),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        with self.latency.worker():
            response = self._respond(request)
            self.latency.spend(request.environ.get(ORDERS_RENDERED, 0))
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        home = urlsplit(self.store.base_url)
        if self.store.canonical_redirect and request.host != home.netloc:
            return redirect_home(self.store, request)
        route = request.args.get("rest_route") if request.path in ("/", "/index.php") else None
        if route is not None:
            path = "/wp-json/" + route.strip("/")
        elif request.path.startswith("/wp-json") and not self.store.plain_permalinks:
            path = request.path
        else:
            return Response("<p>Page not found</p>", 404, content_type="text/html")
        self.requests += 1
        try:
            endpoint, arguments = self._routes.bind_to_environ(request.environ).match(
                path_info=path
            )
        except (NotFound, MethodNotAllowed):
            return WooError(
                404, "rest_no_route", "No route was found matching the URL and request method."
            ).response()
        except HTTPException as error:
            return Response(str(error), error.code or 500)
        fault = self.faults.draw() if path.startswith(API) else None
        if fault is Fault.SERVER_ERROR:
            return Response(
                "<p>There has been a critical error on this website.</p>",
                500,
                content_type="text/html; charset=UTF-8",
            )
        if fault is Fault.THROTTLED:
            return Response(
                "Too Many Requests",
                429,
                headers={"Retry-After": str(self.faults.retry_after_seconds)},
            )
        if fault is Fault.SLOW:
            time.sleep(self.faults.slow_seconds)
        try:
            key = authenticate(request, self.store) if endpoint != "index" else None
            handler: Callable[..., Response] = getattr(self, f"_{endpoint}")
            response = handler(request, key, **arguments)
        except AuthFailure as failure:
            response = WooError(failure.status, failure.code, failure.message).response()
            if failure.basic_challenge:
                response.headers["WWW-Authenticate"] = (
                    'Basic realm="WooCommerce API. Use a consumer key in the username field '
                    'and a consumer secret in the password field."'
                )
        except WooError as error:
            response = error.response()
        if endpoint != "index" and "Link" not in response.headers:
            response.headers["Link"] = f'<{self.store.base_url}/wp-json/>; rel="https://api.w.org/"'
        if fault is Fault.TRUNCATED and response.status_code == 200:
            body = response.get_data()
            response.set_data(body[: max(1, len(body) // 2)])
        return response

    # Endpoints --------------------------------------------------------------------------

    def _index(self, request: Request, key: ApiKey | None) -> Response:
        offset = datetime.now(zoneinfo.ZoneInfo(self.store.timezone)).utcoffset()
        hours = offset.total_seconds() / 3600 if offset else 0
        document = {
            "name": "Sandbox Store",
            "description": "A WooCommerce sandbox",
            "url": self.store.base_url,
            "home": self.store.base_url,
            "gmt_offset": f"{hours:g}",
            "timezone_string": self.store.timezone,
            "namespaces": list(self.store.rest_namespaces),
            "authentication": [],
            "routes": {},
        }
        return json_response(trimmed(request, document))

    def _system_status(self, request: Request, key: ApiKey | None) -> Response:
        self._permit_listing(key, request)
        store = self.store
        document = {
            "environment": {
                "home_url": store.base_url,
                "site_url": store.base_url,
                "store_id": "00000000-0000-4000-8000-000000000000",
                "version": store.wc_version,
                "log_directory": "/var/www/html/wp-content/uploads/wc-logs/",
                "log_directory_writable": True,
                "wp_version": store.wp_version,
                "wp_multisite": False,
                "wp_memory_limit": 268435456,
                "wp_debug_mode": False,
                "wp_cron": True,
                "language": "en_US",
                "external_object_cache": None,
                "server_info": "shipcrowd-woo sandbox",
                "server_architecture": "sandbox",
                "php_version": "8.2",
                "php_post_max_size": 8388608,
                "php_max_execution_time": 120,
                "php_max_input_vars": 1000,
                "curl_version": "",
                "suhosin_installed": False,
                "max_upload_size": 2097152,
                "mysql_version": "",
                "mysql_version_string": "",
                "default_timezone": "UTC",
                "fsockopen_or_curl_enabled": True,
                "soapclient_enabled": False,
                "domdocument_enabled": True,
                "gzip_enabled": True,
                "mbstring_enabled": True,
                "remote_post_successful": True,
                "remote_post_response": 200,
                "remote_get_successful": True,
                "remote_get_response": 200,
            },
            "database": {},
            "active_plugins": [],
            "inactive_plugins": [],
            "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
            "theme": {},
            "settings": {
                "api_enabled": False,
                "force_ssl": False,
                "currency": store.currency,
                "currency_symbol": "&#36;",
                "currency_position": "left",
                "thousand_separator": ",",
                "decimal_separator": ".",
                "number_of_decimals": store.decimals,
                "geolocation_enabled": False,
                "taxonomies": {},
                "product_visibility_terms": {},
                "woocommerce_com_connected": "no",
                "enforce_approved_download_dirs": True,
                "order_datastore": "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\"
                "OrdersTableDataStore",
                "HPOS_enabled": True,
                "HPOS_sync_enabled": False,
                "enabled_features": [],
            },
            "security": {"secure_connection": request.scheme == "https", "hide_errors": True},
            "pages": [],
            "post_type_counts": [],
            "logging": {},
        }
        return json_response(trimmed(request, document), allow="GET")
