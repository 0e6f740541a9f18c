"""Talking to one WooCommerce store over its REST API v3."""

import functools
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Protocol

import attrs

from shipcrowd_woo.domain.fulfilment import OrderNote, TrackedOrder, TrackingItem
from shipcrowd_woo.domain.rejections import Rejection
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.site_index import RestStyle
from shipcrowd_woo.domain.woo_catalog import (
    BatchItemResult,
    StockUpdate,
    SystemStatus,
    WooProduct,
    WooWebhook,
)
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.ports.site_directory import SiteDirectory


@attrs.frozen
class OrderPage:
    """One page of orders. `read()` gives them: an order the store sent malformed is a
    Rejection, not a failure; a body that is no list of orders raises InvalidResponse.
    Reading is left to the page's consumer, who may read in another process: a page travels
    there as the bytes the store sent, far cheaper to pickle than its orders. `requested_at`
    is when the request that got it was sent, `observed_at` when its answer had arrived: each
    order in it was the store's current one at some moment in between."""

    read: Callable[[], tuple[WooOrder | Rejection, ...]]
    requested_at: datetime
    observed_at: datetime
    page: int
    total_pages: int

    @classmethod
    def of(
        cls,
        orders: Sequence[WooOrder | Rejection],
        requested_at: datetime,
        observed_at: datetime,
        page: int = 1,
        total_pages: int = 1,
    ) -> "OrderPage":
        """A page of orders already read."""
        return cls(functools.partial(tuple, orders), requested_at, observed_at, page, total_pages)


class StoreClient(Protocol):
    """One store's REST API. Every method raises a `StoreClientError` subclass on failure."""

    def system_status(self) -> SystemStatus:
        """Test the connection and read the store's versions, currency and timezone."""
        ...

    def order_pages(
        self,
        *,
        modified_after: datetime | None = None,
        statuses: Sequence[str] = (),
        expected_orders: int | None = None,
    ) -> Iterator[OrderPage]:
        """Stream orders page by page, ordered by id, optionally only those modified after;
        `expected_orders` (a count asked before) lets the first pages be fetched together."""
        ...

    def order_count(self) -> int:
        """How many orders the store lists, cheaply."""
        ...

    def order_ids(self) -> Iterator[int]:
        """Every order id the store still lists (cheap: ids only)."""
        ...

    def get_order(self, order_id: int) -> WooOrder | Rejection:
        """One order, as the store holds it now."""
        ...

    def update_order_status(self, order_id: int, status: str) -> WooOrder | Rejection:
        """Set an order's status at the store and return the order as saved."""
        ...

    def order_tracking(self, order_id: int) -> TrackedOrder:
        """The order's status and shipment tracking (`_wc_shipment_tracking_items`)."""
        ...

    def save_order_tracking(
        self, order_id: int, tracking: Sequence[TrackingItem], status: str | None
    ) -> TrackedOrder:
        """Replace the order's tracking list and, when given, set its status, in one save."""
        ...

    def add_shipment_tracking(self, order_id: int, item: TrackingItem) -> TrackingItem:
        """Add a shipment through the Shipment Tracking extension's route (stores that list
        its namespace); returns the item as the extension saved it."""
        ...

    def order_notes(self, order_id: int) -> Sequence[OrderNote]:
        """The order's notes."""
        ...

    def add_order_note(self, order_id: int, note: str, customer_note: bool) -> OrderNote:
        """Add a note; a customer note is e-mailed to the buyer by WooCommerce."""
        ...

    def products(self) -> Iterator[WooProduct]:
        """Every product of the catalogue."""
        ...

    def variations(self, product_id: int) -> Iterator[WooProduct]:
        """Every variation of a variable product."""
        ...

    def update_stock(self, updates: Sequence[StockUpdate]) -> Sequence[BatchItemResult]:
        """Set stock levels through the batch endpoints, split as WooCommerce requires."""
        ...

    def webhooks(self) -> Sequence[WooWebhook]:
        """The webhooks registered at the store."""
        ...

    def create_webhook(self, topic: str, delivery_url: str, secret: Secret) -> WooWebhook:
        """Register a webhook that signs its deliveries with `secret`."""
        ...

    def activate_webhook(self, webhook_id: int) -> WooWebhook:
        """Set a paused or disabled webhook back to active."""
        ...

    def delete_webhook(self, webhook_id: int) -> None:
        """Remove a webhook from the store; one already gone is not an error."""
        ...

    def close(self) -> None:
        """Release the connections; the client is not used afterwards."""
        ...


class StoreClientFactory(SiteDirectory, Protocol):
    """Builds the client of one store from its URL and opened credentials; asks a site what
    it is before any credential is sent (SiteDirectory)."""

    def __call__(
        self,
        url: str,
        consumer_key: Secret,
        consumer_secret: Secret,
        rest_style: RestStyle = RestStyle.PRETTY,
    ) -> StoreClient:
        """A client for the store at `url` (its home URL), reaching its REST API where
        `rest_style` says."""
        ...
