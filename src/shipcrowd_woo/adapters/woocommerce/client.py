"""HttpxStoreClient: the StoreClient port over WooCommerce's REST API v3."""

import functools
import logging
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any, Self, TypeVar, cast

import attrs
import httpx

from shipcrowd_woo.adapters.woocommerce.auth import authentication_for
from shipcrowd_woo.adapters.woocommerce.connections import guarded_transport
from shipcrowd_woo.adapters.woocommerce.listing import listing_pages
from shipcrowd_woo.adapters.woocommerce.redaction import install_redaction
from shipcrowd_woo.adapters.woocommerce.responses import WooResponse, decode_json
from shipcrowd_woo.adapters.woocommerce.transport import Retry, StoreTransport, TransportOptions
from shipcrowd_woo.converters.woocommerce import (
    parse_order,
    parse_order_note,
    parse_product,
    parse_system_status,
    parse_tracked_order,
    parse_tracking_item,
    structure,
)
from shipcrowd_woo.domain.errors import InvalidResponse, StoreClientError, StoreResourceNotFound
from shipcrowd_woo.domain.fulfilment import (
    TRACKING_META_KEY,
    TRACKING_NAMESPACE,
    OrderNote,
    TrackedOrder,
    TrackingItem,
)
from shipcrowd_woo.domain.rejections import Problem, Rejection
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.site_index import RestStyle
from shipcrowd_woo.domain.store_url import normalise_store_url
from shipcrowd_woo.domain.woo_catalog import (
    BatchItemResult,
    StockUpdate,
    SystemStatus,
    WooProduct,
    WooWebhook,
)
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.ports.store_client import OrderPage

log = logging.getLogger("shipcrowd_woo.woocommerce")
T = TypeVar("T")

API = "wc/v3"
# WooCommerce's per_page maximum (class-wc-rest-crud-controller.php: rest_out_of_bounds above).
MAX_PER_PAGE = 100
# WooCommerce's default batch limit (check_batch_limit in class-wc-rest-controller.php):
# more items across create+update+delete in one request is a 413.
MAX_BATCH_ITEMS = 100
ORDER_FIELDS = ",".join(field.name for field in attrs.fields(WooOrder) if field.name != "set_paid")
PRODUCT_FIELDS = ",".join(
    field.name for field in attrs.fields(WooProduct) if field.name != "stock_managed_by_parent"
)


@attrs.frozen
class ClientOptions:
    """How one store client talks to its store."""

    transport: TransportOptions = attrs.field(factory=TransportOptions)
    per_page: int = attrs.field(default=MAX_PER_PAGE, validator=attrs.validators.le(MAX_PER_PAGE))
    # Only the fields we map are asked for, which halves the bytes of an order page.
    fields_filter: bool = True
    query_string_auth: bool = False
    allow_private_hosts: bool = False
    # A CA bundle path, an SSLContext, or True for the system's trust store.
    verify: ssl.SSLContext | str | bool = True
    user_agent: str = "Shipcrowd-WooCommerce/0.1"
    # A listing is many calls: a page whose attempts all failed on a transient error is asked
    # again this many more times (after the rest of the window) before the listing fails.
    page_rounds: int = 2

    def http_transport(self) -> httpx.HTTPTransport:
        """A transport for these options, its connections through the SSRF guard."""
        return guarded_transport(
            self.verify, self.allow_private_hosts, self.transport.max_in_flight
        )


class HttpxStoreClient:
    """One store's REST API through one pooled httpx.Client; close it (or use `with`)."""

    def __init__(
        self,
        store_url: str,
        consumer_key: Secret,
        consumer_secret: Secret,
        options: ClientOptions = ClientOptions(),
        *,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rest_style: RestStyle = RestStyle.PRETTY,
    ) -> None:
        install_redaction()
        self.store_url = normalise_store_url(store_url)
        self._options = options
        timeouts = options.transport
        self._http = httpx.Client(
            # With plain permalinks every route is asked as /?rest_route=/wc/v3/….
            base_url=f"{self.store_url}/" + ("wp-json/" if rest_style is RestStyle.PRETTY else ""),
            transport=transport or options.http_transport(),
            auth=authentication_for(
                self.store_url,
                consumer_key,
                consumer_secret,
                query_string=options.query_string_auth,
            ),
            timeout=httpx.Timeout(timeouts.read_timeout, connect=timeouts.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": options.user_agent, "Accept": "application/json"},
        )
        self._io = StoreTransport(self.store_url, self._http, timeouts, now, rest_style)

    def __repr__(self) -> str:
        return f"HttpxStoreClient({self.store_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def system_status(self) -> SystemStatus:
        """Versions, currency and decimals (system_status), and the site's timezone."""
        response = self._io.call(
            "GET", f"{API}/system_status", params={"_fields": "environment,settings"}, expect=dict
        )
        return self._expect(
            parse_system_status(response.body, self._timezone()), SystemStatus, "system status"
        )

    def _timezone(self) -> str:
        # WordPress keeps PHP's timezone at UTC, so system_status cannot tell; the REST index
        # carries the site's setting. Hosts that hide the index leave us with UTC.
        try:
            index = self._io.call(
                "GET", "", params={"_fields": "timezone_string,gmt_offset"}, expect=dict
            ).body
        except StoreClientError:
            return "UTC"
        name = index.get("timezone_string")
        if isinstance(name, str) and name:
            return name
        return _utc_offset_name(index.get("gmt_offset"))

    def order_pages(
        self,
        *,
        modified_after: datetime | None = None,
        statuses: Sequence[str] = (),
        expected_orders: int | None = None,
    ) -> Iterator[OrderPage]:
        """Orders page by page, by ascending id (other orders skip and repeat items when the
        store changes during paging), only those modified after `modified_after` if given;
        `expected_orders` lets the first pages be asked together."""
        params: dict[str, str | int] = {"status": ",".join(statuses) or "any"}
        if modified_after is not None:
            params["modified_after"] = _gmt_text(modified_after)
            params["dates_are_gmt"] = "true"
        if self._options.fields_filter:
            params["_fields"] = ORDER_FIELDS
        expected_pages = -(-(expected_orders or 0) // self._options.per_page)
        for page, total, response in self._pages(
            f"{API}/orders", params, expected_pages, decode=False
        ):
            yield OrderPage(
                read=functools.partial(read_order_page, self._io.store_url, response.body),
                requested_at=response.sent_at,
                observed_at=response.received_at,
                page=page,
                total_pages=total,
            )

    def order_count(self) -> int:
        """How many orders the store lists (X-WP-Total of a one-order page: cheap)."""
        response = self._io.call(
            "GET",
            f"{API}/orders",
            params={"status": "any", "per_page": 1, "_fields": "id"},
            expect=list,
        )
        return response.header_int("X-WP-Total") or len(response.body)

    def order_ids(self) -> Iterator[int]:
        """Every order id the store lists, ids only."""
        params: dict[str, str | int] = {"status": "any", "_fields": "id"}
        for _, _, response in self._pages(f"{API}/orders", params):
            for item in response.body:
                if isinstance(item, dict) and isinstance(item.get("id"), int):
                    yield item["id"]

    def get_order(self, order_id: int) -> WooOrder | Rejection:
        """One order as the store holds it now."""
        response = self._io.call("GET", f"{API}/orders/{int(order_id)}", expect=dict)
        return parse_order(response.body)

    def update_order_status(self, order_id: int, status: str) -> WooOrder | Rejection:
        """Set an order's status; setting the same status twice is harmless, so retried."""
        response = self._io.call(
            "PUT", f"{API}/orders/{int(order_id)}", json={"status": status}, expect=dict
        )
        return parse_order(response.body)

    def order_tracking(self, order_id: int) -> TrackedOrder:
        """The order's status and its `_wc_shipment_tracking_items`."""
        response = self._io.call(
            "GET",
            f"{API}/orders/{int(order_id)}",
            params={"_fields": "id,status,meta_data"},
            expect=dict,
        )
        return self._tracked(response.body)

    def save_order_tracking(
        self, order_id: int, tracking: Sequence[TrackingItem], status: str | None
    ) -> TrackedOrder:
        """One `PUT orders/{id}`: the whole tracking list as the extension's meta, and the
        status when given. The meta is saved before the status change sends its e-mail
        (WC_Order::save stores meta, then runs the status transition), so a "completed"
        e-mail that shows tracking finds it. Setting both twice is harmless: retried."""
        body: dict[str, Any] = {
            "meta_data": [
                {"key": TRACKING_META_KEY, "value": [attrs.asdict(item) for item in tracking]}
            ]
        }
        if status is not None:
            body["status"] = status
        response = self._io.call("PUT", f"{API}/orders/{int(order_id)}", json=body, expect=dict)
        return self._tracked(response.body)

    def add_shipment_tracking(self, order_id: int, item: TrackingItem) -> TrackingItem:
        """POST to the Shipment Tracking extension's own route, which keeps the same meta and
        picks its own tracking id. Not retried once it may have arrived (a second item)."""
        shipped = datetime.fromtimestamp(int(item.date_shipped or 0), UTC)
        response = self._io.call(
            "POST",
            f"{TRACKING_NAMESPACE}/orders/{int(order_id)}/shipment-trackings",
            json={
                "tracking_number": item.tracking_number,
                "tracking_provider": item.tracking_provider,
                "custom_tracking_provider": item.custom_tracking_provider,
                "custom_tracking_link": item.custom_tracking_link,
                "date_shipped": shipped.date().isoformat(),
            },
            retry=Retry.IF_NOT_SENT,
            expect=dict,
        )
        return self._expect(parse_tracking_item(response.body), TrackingItem, "shipment tracking")

    def order_notes(self, order_id: int) -> Sequence[OrderNote]:
        """Every note of the order (WooCommerce lists them unpaged)."""
        response = self._io.call("GET", f"{API}/orders/{int(order_id)}/notes", expect=list)
        notes = [parse_order_note(item) for item in response.body]
        return [note for note in notes if isinstance(note, OrderNote)]

    def add_order_note(self, order_id: int, note: str, customer_note: bool) -> OrderNote:
        """Add a note (a customer note is e-mailed to the buyer). Not retried once it may
        have arrived: the caller looks for it instead of writing it twice."""
        response = self._io.call(
            "POST",
            f"{API}/orders/{int(order_id)}/notes",
            json={"note": note, "customer_note": customer_note},
            retry=Retry.IF_NOT_SENT,
            expect=dict,
        )
        return self._expect(parse_order_note(response.body), OrderNote, "order note")

    def _expect(self, parsed: T | tuple[Problem, ...], kind: type[T], what: str) -> T:
        """What the store answered, as `kind`; InvalidResponse naming every problem else."""
        if isinstance(parsed, kind):
            return parsed
        problems = cast(tuple[Problem, ...], parsed)
        raise InvalidResponse(self.store_url, f"{what}: {_summary(problems)}")

    def _tracked(self, body: object) -> TrackedOrder:
        return self._expect(parse_tracked_order(body), TrackedOrder, "order tracking")

    def products(self) -> Iterator[WooProduct]:
        """Every product of the catalogue, by id."""
        yield from self._catalogue(f"{API}/products")

    def variations(self, product_id: int) -> Iterator[WooProduct]:
        """Every variation of a variable product, by id."""
        yield from self._catalogue(f"{API}/products/{int(product_id)}/variations")

    def _catalogue(self, path: str) -> Iterator[WooProduct]:
        params: dict[str, str | int] = {}
        if self._options.fields_filter:
            params["_fields"] = PRODUCT_FIELDS
        for _, _, response in self._pages(path, params):
            for item in response.body:
                product = parse_product(item)
                if isinstance(product, WooProduct):
                    yield product
                else:
                    log.warning(
                        "skipped a malformed product from %s: %s", self.store_url, _summary(product)
                    )

    def update_stock(self, updates: Sequence[StockUpdate]) -> Sequence[BatchItemResult]:
        """Set stock levels: simple products through `products/batch`, variations through
        their parent's `variations/batch` (products/batch refuses variation ids), at most 100
        items a request. Results come back in the order of `updates`."""
        results: dict[tuple[int, int | None], BatchItemResult] = {}

        def parent_of(update: StockUpdate) -> int | None:
            return update.product_id if update.variation_id is not None else None

        ordered = sorted(updates, key=lambda u: (parent_of(u) or 0, u.product_id))
        for parent, group in groupby(ordered, key=parent_of):
            items = list(group)
            path = (
                f"{API}/products/batch"
                if parent is None
                else f"{API}/products/{parent}/variations/batch"
            )
            for start in range(0, len(items), MAX_BATCH_ITEMS):
                chunk = items[start : start + MAX_BATCH_ITEMS]
                answered = self._stock_batch(path, chunk)
                for update in chunk:
                    item_id = update.variation_id or update.product_id
                    results[(update.product_id, update.variation_id)] = answered.get(
                        item_id,
                        BatchItemResult(item_id, "missing", "the store did not answer for it"),
                    )
        return [results[(u.product_id, u.variation_id)] for u in updates]

    def _stock_batch(self, path: str, chunk: Sequence[StockUpdate]) -> dict[int, BatchItemResult]:
        payload = {
            "update": [
                {
                    "id": update.variation_id or update.product_id,
                    "manage_stock": True,
                    "stock_quantity": update.quantity,
                }
                for update in chunk
            ]
        }
        response = self._io.call("POST", path, json=payload, expect=dict)
        answered: dict[int, BatchItemResult] = {}
        for item in response.body.get("update") or []:
            result = _batch_item(item)
            if result is not None:
                answered[result.id] = result
        return answered

    def webhooks(self) -> Sequence[WooWebhook]:
        """Every webhook registered at the store."""
        found = []
        for _, _, response in self._pages(f"{API}/webhooks", {}):
            for item in response.body:
                webhook = structure(item, WooWebhook)
                if isinstance(webhook, WooWebhook):
                    found.append(webhook)
        return found

    def create_webhook(self, topic: str, delivery_url: str, secret: Secret) -> WooWebhook:
        """Register an active webhook signing with `secret`. Not retried once the request may
        have arrived: a retry could create a duplicate (see transport.py)."""
        response = self._io.call(
            "POST",
            f"{API}/webhooks",
            json={
                "name": f"Shipcrowd {topic}",
                "topic": topic,
                "delivery_url": delivery_url,
                "secret": secret.reveal(),
                "status": "active",
            },
            retry=Retry.IF_NOT_SENT,
            expect=dict,
        )
        return self._expect(structure(response.body, WooWebhook), WooWebhook, "created webhook")

    def activate_webhook(self, webhook_id: int) -> WooWebhook:
        """PUT webhooks/<id> {"status": "active"}: setting it twice is harmless."""
        response = self._io.call(
            "PUT", f"{API}/webhooks/{int(webhook_id)}", json={"status": "active"}, expect=dict
        )
        return self._expect(structure(response.body, WooWebhook), WooWebhook, "activated webhook")

    def delete_webhook(self, webhook_id: int) -> None:
        """Remove a webhook (webhooks cannot be trashed: force=true); already gone is fine."""
        try:
            self._io.call("DELETE", f"{API}/webhooks/{int(webhook_id)}", params={"force": "true"})
        except StoreResourceNotFound:
            log.info("webhook %s was already gone from %s", webhook_id, self.store_url)

    def _pages(
        self,
        path: str,
        params: Mapping[str, str | int],
        expected_pages: int = 1,
        decode: bool = True,
    ) -> Iterator[tuple[int, int, WooResponse]]:
        return listing_pages(
            self._io,
            path,
            params,
            per_page=self._options.per_page,
            rounds=self._options.page_rounds,
            max_retry_after=self._options.transport.max_retry_after,
            expected_pages=expected_pages,
            decode=decode,
        )


def read_order_page(store_url: str, content: bytes) -> tuple[WooOrder | Rejection, ...]:
    """The orders of a page's body as the store sent it."""
    body = decode_json(store_url, content)
    if not isinstance(body, list):
        kind = type(body).__name__
        raise InvalidResponse(store_url, f"a page of orders: expected a JSON list, got {kind}")
    return tuple(parse_order(item) for item in body)


def _batch_item(item: Any) -> BatchItemResult | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        return None
    error = item.get("error")
    if isinstance(error, dict):
        return BatchItemResult(
            item["id"], str(error.get("code") or "error"), str(error.get("message") or "")
        )
    return BatchItemResult(item["id"])


def _utc_offset_name(offset: object) -> str:
    """WordPress sites set to a fixed offset report `gmt_offset` (e.g. 5.5) and no name."""
    try:
        hours = float(str(offset))
    except ValueError:
        return "UTC"
    return f"UTC{hours:+g}" if hours and abs(hours) <= 14 else "UTC"


def _gmt_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _summary(problems: tuple[Any, ...]) -> str:
    return "; ".join(str(problem) for problem in problems)[:300]
