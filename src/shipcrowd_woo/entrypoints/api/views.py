"""Domain objects as the API's answers (answers.py), written out as JSON-ready data. Never a
secret: a consumer key is shown as its last four characters at most."""

import functools
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from attrs import AttrsInstance

from shipcrowd_woo.converters.order_feed import event_text
from shipcrowd_woo.domain.availability import StockLimits
from shipcrowd_woo.domain.errors import SecretsUnavailable
from shipcrowd_woo.domain.fulfilment import CLIENT_KEY, Fulfilment
from shipcrowd_woo.domain.jobs import JobRecord
from shipcrowd_woo.domain.mapping_rules import ProductMapping
from shipcrowd_woo.domain.pagination import Page
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncLog, SyncStats
from shipcrowd_woo.domain.webhook_health import trouble_since_check
from shipcrowd_woo.domain.woo_catalog import SystemStatus
from shipcrowd_woo.entrypoints.api.answers import (
    FailedTopicView,
    FulfilmentAcceptedView,
    FulfilmentListView,
    FulfilmentView,
    InstallationView,
    InventorySyncView,
    JobView,
    MappingView,
    OrderLineView,
    OrderSyncView,
    OrderVersionView,
    OrderView,
    RestApiView,
    ShippableView,
    ShippedLineView,
    ShippingView,
    StockLimitsView,
    StoreView,
    SubscriptionView,
    SyncLogView,
    SyncStatsView,
    WebhookReportView,
    WebhooksView,
)
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.services.feed import EventPage, OrderListing, OrderReading
from shipcrowd_woo.services.mappings import CsvImportReport, MappingStats
from shipcrowd_woo.services.stores import Installation, WebhookReport
from shipcrowd_woo.services.subscriptions import Created, SubscriptionReading

T = TypeVar("T")
V = TypeVar("V", bound=AttrsInstance)


@functools.cache
def _converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    return converter


def as_json(view: AttrsInstance) -> dict[str, Any]:
    """A view as JSON-ready data."""
    data: dict[str, Any] = _converter().unstructure(view)
    return data


def masked_key(store: Store, box: SecretBox) -> str:
    """`ck_…1a2b`: enough to tell keys apart, never enough to use one."""
    try:
        key = box.open(store.consumer_key).reveal()
    except SecretsUnavailable:
        return "unavailable"
    return f"{key[:3]}…{key[-4:]}" if len(key) > 12 else "…"


def _copy(view: type[V], source: object, **computed: Any) -> V:
    """`view` with every field not `computed` read from `source`'s attribute of that name."""
    names = [f.name for f in attrs.fields(view) if f.name not in computed]
    return view(**{name: getattr(source, name) for name in names}, **computed)


def _store(store: Store, box: SecretBox) -> StoreView:
    sync = store.order_sync
    health = store.webhook_health
    return _copy(
        StoreView,
        store,
        consumer_key=masked_key(store, box),
        order_sync=OrderSyncView(
            enabled=sync.enabled,
            auto_sync=sync.auto_sync,
            interval_minutes=int(sync.interval.total_seconds() // 60),
            overlap_minutes=int(sync.overlap.total_seconds() // 60),
        ),
        inventory_sync=InventorySyncView(
            store.inventory_sync.enabled,
            store.inventory_sync.auto_sync,
            limits_view(store.inventory_sync.limits),
            None
            if store.inventory_sync.warehouses is None
            else tuple(sorted(store.inventory_sync.warehouses)),
        ),
        rest_api=RestApiView(store.rest_style, tuple(store.namespaces)),
        shipping=ShippingView(
            statuses=store.shipping.effective(),
            chosen=tuple(sorted(store.shipping.statuses)),
            ship_pending_cash_on_delivery=store.shipping.ship_pending_cash_on_delivery,
        ),
        webhooks=_copy(
            WebhooksView,
            health,
            enabled=store.webhooks_enabled,
            health=health.state,
            last_delivery_at=store.last_delivery_at,
            trouble=health.trouble if trouble_since_check(health) else None,
        ),
    )


def store_view(store: Store, box: SecretBox) -> dict[str, Any]:
    """A store as the API shows it."""
    return as_json(_store(store, box))


def _webhook_report(report: WebhookReport) -> WebhookReportView:
    return WebhookReportView(
        kept=tuple(t.value for t in report.kept),
        created=tuple(t.value for t in report.created),
        reactivated=tuple(t.value for t in report.reactivated),
        removed_strays=report.removed_strays,
        failed=tuple(FailedTopicView(t.value, reason) for t, reason in report.failed),
    )


def webhook_report_view(report: WebhookReport) -> dict[str, Any]:
    """What registering webhooks did."""
    return as_json(_webhook_report(report))


def installation_view(installation: Installation, box: SecretBox) -> dict[str, Any]:
    """What installing did: the store, its webhooks, and the address it answers at."""
    view = InstallationView(
        _store(installation.store, box),
        _webhook_report(installation.webhooks),
        installation.reconnected,
        installation.connected_as,
    )
    return as_json(view)


def status_view(status: SystemStatus) -> dict[str, Any]:
    """The connection test's findings."""
    return as_json(status)


def _fulfilment(fulfilment: Fulfilment) -> FulfilmentView:
    key = fulfilment.key
    return _copy(
        FulfilmentView,
        fulfilment,
        fulfillment_id=key.removeprefix(CLIENT_KEY) if key.startswith(CLIENT_KEY) else None,
        lines=tuple(ShippedLineView(s.line_id, s.quantity) for s in fulfilment.lines),
    )


def fulfilment_view(fulfilment: Fulfilment) -> dict[str, Any]:
    """A fulfilment and how far its delivery to the store got."""
    return as_json(_fulfilment(fulfilment))


def fulfilment_list_view(fulfilments: Iterable[Fulfilment]) -> dict[str, Any]:
    """An order's fulfilments."""
    view = FulfilmentListView(tuple(map(_fulfilment, fulfilments)))
    return as_json(view)


def _job(record: JobRecord) -> JobView:
    return _copy(JobView, record, result=dict(record.summary))


def job_view(record: JobRecord) -> dict[str, Any]:
    """A job and where it stands."""
    return as_json(_job(record))


def fulfilment_accepted_view(fulfilment: Fulfilment, job: JobRecord) -> dict[str, Any]:
    """A fulfilment accepted, and the job that delivers it."""
    view = FulfilmentAcceptedView(_fulfilment(fulfilment), _job(job))
    return as_json(view)


def log_view(log: SyncLog) -> dict[str, Any]:
    """A sync log."""
    view = _copy(
        SyncLogView,
        log,
        type=log.sync_type.value,
        status=log.status.value,
        duration_seconds=None if log.duration is None else log.duration.total_seconds(),
        errors=tuple(log.errors),
        details=dict(log.metadata),
    )
    return as_json(view)


def stats_view(stats: SyncStats) -> dict[str, Any]:
    """Statistics over sync logs."""
    average = stats.average_duration
    view = _copy(
        SyncStatsView,
        stats,
        by_status={status.value: count for status, count in stats.by_status.items()},
        average_duration_seconds=None if average is None else average.total_seconds(),
    )
    return as_json(view)


def limits_view(limits: StockLimits) -> StockLimitsView:
    """Stock limits as they are sent."""
    buffer = None if limits.buffer is None else limits.buffer.spelled()
    return StockLimitsView(buffer, limits.floor, limits.maximum)


def mapping_view(mapping: ProductMapping) -> dict[str, Any]:
    """A product mapping, its own limits and what its last push was made of."""
    return as_json(_copy(MappingView, mapping, stock_limits=limits_view(mapping.stock_limits)))


def mapping_stats_view(stats: MappingStats) -> dict[str, Any]:
    """How a store is mapped."""
    return as_json(stats)


def import_view(report: CsvImportReport) -> dict[str, Any]:
    """What a CSV import did, and every refused line."""
    return as_json(report)


def order_view(reading: OrderReading) -> dict[str, Any]:
    """An imported order with its lines' warehouse SKUs, units to ship and decision."""
    order = reading.order
    view = OrderView(
        store_id=reading.key.store_id,
        order_id=reading.key.source_id,
        order={},
        lines=tuple(
            _copy(OrderLineView, line, mapped=line.warehouse_sku is not None)
            for line in reading.lines
        ),
        shippable=ShippableView(reading.shippable.state, reading.shippable.why),
        deleted_at_store=order.deleted_at_store,
        version=OrderVersionView(order.modified_at, order.fingerprint),
        changed_at=reading.changed_at,
        last_event_seq=reading.last_seq,
    )
    return {**as_json(view), "order": json.loads(reading.document)}


def order_list_view(listing: OrderListing) -> dict[str, Any]:
    """A page of orders and the cursor of the next."""
    cursor = None if listing.next_cursor is None else str(listing.next_cursor)
    return {"items": [order_view(reading) for reading in listing.orders], "next_cursor": cursor}


def subscription_view(reading: SubscriptionReading) -> dict[str, Any]:
    """A subscription with its backlog (never its secrets)."""
    subscription = reading.subscription
    view = SubscriptionView(
        id=subscription.id,
        url=subscription.url,
        event_types=tuple(sorted(subscription.types, key=lambda kind: kind.value)),
        store_ids=tuple(sorted(subscription.store_ids)),
        state=subscription.state,
        after=subscription.after,
        backlog=reading.backlog,
        failures=subscription.failures,
        failing_since=subscription.failing_since,
        next_attempt_at=subscription.next_attempt_at,
        last_error=subscription.last_error,
        last_delivered_at=subscription.last_delivered_at,
        disabled_at=subscription.disabled_at,
        previous_secret_until=subscription.previous_until,
        created_at=subscription.created_at,
    )
    return as_json(view)


def subscription_secret_view(created: Created) -> dict[str, Any]:
    """A subscription and its new secret, shown this once."""
    return {
        "subscription": subscription_view(created.reading),
        "secret": created.secret.reveal(),
    }


def event_page_text(page: EventPage) -> str:
    """A page of events as JSON text (EventPageView)."""
    events = ",".join(event_text(event) for event in page.events)
    more = "true" if page.has_more else "false"
    return f'{{"events":[{events}],"next_after":{page.next_after},"has_more":{more}}}'


def page_view(page: Page[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """A page of items with its position in the whole list."""
    return {
        "items": [render(item) for item in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }
