"""The answers of the management API, a class each: written out as JSON by views.py and
described in the OpenAPI document from the same class (schemas.py), so the two cannot
differ."""

from datetime import datetime
from typing import Any

import attrs

from shipcrowd_woo.domain.availability import Availability
from shipcrowd_woo.domain.feed import Change, EventType
from shipcrowd_woo.domain.fulfilment import FulfilmentState
from shipcrowd_woo.domain.jobs import JobState
from shipcrowd_woo.domain.mapping_rules import MappingType, StockDirection
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.domain.site_index import RestStyle
from shipcrowd_woo.domain.store import FulfilmentConfig, StoreStats
from shipcrowd_woo.domain.subscriptions import SubscriptionState
from shipcrowd_woo.domain.webhook_health import WebhookState
from shipcrowd_woo.domain.woo_catalog import SystemStatus
from shipcrowd_woo.entrypoints.api.schemas import SCHEMA
from shipcrowd_woo.services.mappings import CsvImportReport, MappingStats


def _described(text: str) -> dict[str, Any]:
    return {SCHEMA: {"description": text}}


@attrs.frozen
class OrderSyncView:
    enabled: bool
    auto_sync: bool
    interval_minutes: int
    overlap_minutes: int


@attrs.frozen
class RestApiView:
    style: RestStyle
    namespaces: tuple[str, ...]


@attrs.frozen
class WebhooksView:
    """How the store's webhooks stand: the last check's finding and since when (for
    `disabled`, when the store disabled one; for `repaired`, the repair), the last repair,
    the last check, the last delivery, and evidence of trouble not yet checked."""

    enabled: bool
    health: WebhookState
    since: datetime | None
    repaired_at: datetime | None
    checked_at: datetime | None
    last_delivery_at: datetime | None
    trouble: str | None


@attrs.frozen
class ShippingView:
    """When the store's orders ship: every status with a rule (the defaults and the store's
    choices), which of them the store chose, and whether a pending cash-on-delivery order
    ships."""

    statuses: dict[str, Shipping]
    chosen: tuple[str, ...]
    ship_pending_cash_on_delivery: bool


@attrs.frozen
class StockLimitsView:
    """Limits on what a store is offered of a SKU, as they are sent: units, or a percentage
    for the buffer ("10%"); null when unset."""

    buffer: str | None
    floor: int | None
    maximum: int | None


@attrs.frozen
class InventorySyncView:
    enabled: bool
    auto_sync: bool
    limits: StockLimitsView
    # The warehouses it draws from; null: every one.
    warehouses: tuple[str, ...] | None


@attrs.frozen
class StoreView:
    id: str
    url: str
    name: str
    consumer_key: str = attrs.field(metadata=_described("masked: at most the last 4 characters"))
    wc_version: str
    wp_version: str
    currency: str
    currency_decimals: int
    timezone: str
    is_active: bool
    is_paused: bool
    installed_at: datetime
    uninstalled_at: datetime | None
    order_sync: OrderSyncView
    inventory_sync: InventorySyncView
    fulfilment: FulfilmentConfig
    stats: StoreStats
    rest_api: RestApiView
    shipping: ShippingView
    order_cursor: datetime | None
    last_delivery_at: datetime | None
    webhooks: WebhooksView


@attrs.frozen
class FailedTopicView:
    topic: str
    reason: str


@attrs.frozen
class WebhookReportView:
    kept: tuple[str, ...]
    created: tuple[str, ...]
    reactivated: tuple[str, ...]
    removed_strays: int
    failed: tuple[FailedTopicView, ...]


@attrs.frozen
class InstallationView:
    store: StoreView
    webhooks: WebhookReportView
    reconnected: bool
    connected_as: str | None = attrs.field(
        metadata=_described("the store's home URL, when it differs from the address given")
    )


@attrs.frozen
class JobView:
    id: str
    kind: str
    state: JobState
    store_id: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any]
    error: str | None


@attrs.frozen
class SyncLogView:
    id: str
    store_id: str
    type: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: float | None
    processed: int
    synced: int
    skipped: int
    failed: int
    errors: tuple[str, ...]
    errors_dropped: int
    details: dict[str, Any]


@attrs.frozen
class SyncStatsView:
    runs: int
    by_status: dict[str, int]
    processed: int
    synced: int
    skipped: int
    failed: int
    success_rate: float | None
    item_success_rate: float | None
    average_duration_seconds: float | None


@attrs.frozen
class MappingView:
    id: str
    store_id: str
    woo_product_id: int
    woo_variation_id: int | None
    woo_sku: str
    woo_title: str
    shipcrowd_sku: str
    shipcrowd_product_name: str
    mapping_type: MappingType
    sync_inventory: bool
    is_active: bool
    sync_errors: int
    last_sync_error: str | None
    last_sync_at: datetime | None
    created_at: datetime
    # Its own limits (unset ones follow the store's), and what its last push was made of.
    stock_limits: StockLimitsView
    direction: StockDirection
    last_push: Availability | None


@attrs.frozen
class ShippedLineView:
    line_id: int
    quantity: int


@attrs.frozen
class FulfilmentView:
    """A fulfilment and how far its delivery to the store got."""

    id: str
    fulfillment_id: str | None
    store_id: str
    order_id: int
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime
    lines: tuple[ShippedLineView, ...]
    completes_order: bool
    warehouse: str
    state: FulfilmentState
    job_id: str
    tracking_written: bool
    note_id: int | None
    status_completed: bool
    created_at: datetime
    finished_at: datetime | None
    error: str | None


@attrs.frozen
class FulfilmentAcceptedView:
    fulfillment: FulfilmentView
    job: JobView


@attrs.frozen
class FulfilmentListView:
    items: tuple[FulfilmentView, ...]


@attrs.frozen
class ShippableView:
    """Whether the order ships (ship, hold, cancel or ignore), and why."""

    state: Shipping
    why: str


@attrs.frozen
class OrderVersionView:
    """The store's version of the order: its `date_modified_gmt` and our digest of its
    content (two versions of one second differ in it)."""

    modified_at: datetime
    fingerprint: str


@attrs.frozen
class OrderLineView:
    line_id: int | None
    product_id: int
    variation_id: int | None
    name: str
    sku: str = attrs.field(metadata=_described("the store's SKU"))
    warehouse_sku: str | None = attrs.field(
        metadata=_described("the Shipcrowd SKU the store's mapping names; null: unmapped")
    )
    mapped: bool
    ordered: int
    refunded: int
    fulfilled: int
    to_ship: int = attrs.field(metadata=_described("ordered - refunded - fulfilled"))


@attrs.frozen
class OrderView:
    """An imported order as the shipping side reads it."""

    store_id: str
    order_id: int
    order: dict[str, Any] = attrs.field(metadata=_described("the Shipcrowd order as stored"))
    lines: tuple[OrderLineView, ...]
    shippable: ShippableView
    deleted_at_store: datetime | None
    version: OrderVersionView
    changed_at: datetime | None = attrs.field(
        metadata=_described("when the feed last told of a change (null: not yet)")
    )
    last_event_seq: int


@attrs.frozen
class OrderListView:
    """A page of orders; `next_cursor` (null on the last page) reads the next."""

    items: tuple[OrderView, ...]
    next_cursor: str | None


@attrs.frozen
class EventLineView:
    line_id: int | None
    ordered: int
    refunded: int
    fulfilled: int
    to_ship: int


@attrs.frozen
class EventDataView:
    """The order as the event left it."""

    store_id: str
    order_id: int
    version: OrderVersionView
    shippable: ShippableView
    deleted_at_store: datetime | None
    lines: tuple[EventLineView, ...]
    order: dict[str, Any] = attrs.field(metadata=_described("the Shipcrowd order as stored"))


@attrs.frozen
class FeedEventView:
    """One event of the order feed. `id` is stable (the idempotency key); `seq` orders
    the company's events; `changes` names every facet that moved."""

    id: str
    seq: int
    type: EventType
    occurred_at: datetime
    changes: tuple[Change, ...]
    store_id: str
    order_id: int
    data: EventDataView


@attrs.frozen
class EventPageView:
    """Events in sequence; read on with `after=next_after`."""

    events: tuple[FeedEventView, ...]
    next_after: int
    has_more: bool


@attrs.frozen
class SubscriptionView:
    """A push subscription: where and what it delivers, how far it got (`after`, the last
    event delivered or passed over; `backlog`, events waiting), and how it is failing."""

    id: str
    url: str
    event_types: tuple[EventType, ...]
    store_ids: tuple[str, ...]
    state: SubscriptionState
    after: int
    backlog: int
    failures: int
    failing_since: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    last_delivered_at: datetime | None
    disabled_at: datetime | None
    # Until when the secret before the last rotation still signs beside the current one.
    previous_secret_until: datetime | None
    created_at: datetime


@attrs.frozen
class SubscriptionSecretView:
    """A subscription and its signing secret (`whsec_…`), shown on creation and rotation
    only: verify deliveries with it per Standard Webhooks."""

    subscription: SubscriptionView
    secret: str


@attrs.frozen
class SubscriptionListView:
    """The company's subscriptions, oldest first."""

    items: tuple[SubscriptionView, ...]


# The answers the OpenAPI document names as components (a domain or service class serves
# as it is where it has no field to hide, rename or compute).
COMPONENTS: dict[type, str] = {
    StoreView: "Store",
    WebhookReportView: "WebhookReport",
    InstallationView: "Installation",
    SystemStatus: "SystemStatus",
    JobView: "Job",
    SyncLogView: "SyncLog",
    SyncStatsView: "SyncStats",
    MappingView: "Mapping",
    MappingStats: "MappingStats",
    CsvImportReport: "ImportReport",
    FulfilmentView: "Fulfilment",
    FulfilmentAcceptedView: "FulfilmentAccepted",
    FulfilmentListView: "FulfilmentList",
    OrderView: "Order",
    OrderListView: "OrderList",
    FeedEventView: "FeedEvent",
    EventPageView: "EventPage",
    SubscriptionView: "Subscription",
    SubscriptionSecretView: "SubscriptionSecret",
    SubscriptionListView: "SubscriptionList",
}
