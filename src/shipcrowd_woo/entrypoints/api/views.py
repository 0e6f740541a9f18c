"""Domain objects as the API's answers (answers.py), written out as JSON-ready data. Never a
secret: a consumer key is shown as its last four characters at most."""

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import cattrs

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
    FulfilmentSettingsView,
    FulfilmentView,
    ImportReportView,
    InstallationView,
    InventorySyncView,
    JobView,
    MappingView,
    OrderSyncView,
    RefusedLineView,
    RestApiView,
    ShippedLineView,
    StoreStatsView,
    StoreView,
    SyncLogView,
    SyncStatsView,
    SystemStatusView,
    WebhookReportView,
    WebhooksView,
)
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.services.mappings import CsvImportReport, MappingStats
from shipcrowd_woo.services.stores import Installation, WebhookReport

T = TypeVar("T")


@functools.cache
def _converter() -> cattrs.Converter:
    converter = cattrs.Converter()
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    return converter


def as_json(view: object) -> Any:
    """A view as JSON-ready data."""
    return _converter().unstructure(view)


def masked_key(store: Store, box: SecretBox) -> str:
    """`ck_…1a2b`: enough to tell keys apart, never enough to use one."""
    try:
        key = box.open(store.consumer_key).reveal()
    except SecretsUnavailable:
        return "unavailable"
    return f"{key[:3]}…{key[-4:]}" if len(key) > 12 else "…"


def _store(store: Store, box: SecretBox) -> StoreView:
    health = store.webhook_health
    return StoreView(
        id=store.id,
        url=store.url,
        name=store.name,
        consumer_key=masked_key(store, box),
        wc_version=store.wc_version,
        wp_version=store.wp_version,
        currency=store.currency,
        currency_decimals=store.currency_decimals,
        timezone=store.timezone,
        is_active=store.is_active,
        is_paused=store.is_paused,
        installed_at=store.installed_at,
        uninstalled_at=store.uninstalled_at,
        order_sync=OrderSyncView(
            enabled=store.order_sync.enabled,
            auto_sync=store.order_sync.auto_sync,
            interval_minutes=int(store.order_sync.interval.total_seconds() // 60),
            overlap_minutes=int(store.order_sync.overlap.total_seconds() // 60),
        ),
        inventory_sync=InventorySyncView(
            store.inventory_sync.enabled, store.inventory_sync.auto_sync
        ),
        fulfilment=FulfilmentSettingsView(
            store.fulfilment.complete_on_ship, store.fulfilment.notify_customer
        ),
        stats=StoreStatsView(
            orders_synced=store.stats.orders_synced,
            products_mapped=store.stats.products_mapped,
            catalogue_items=store.stats.catalogue_items,
            inventory_syncs=store.stats.inventory_syncs,
            last_order_sync_at=store.stats.last_order_sync_at,
            last_inventory_sync_at=store.stats.last_inventory_sync_at,
        ),
        rest_api=RestApiView(store.rest_style, tuple(store.namespaces)),
        order_cursor=store.order_cursor,
        last_delivery_at=store.last_delivery_at,
        webhooks=WebhooksView(
            enabled=store.webhooks_enabled,
            health=health.state,
            since=health.since,
            repaired_at=health.repaired_at,
            checked_at=health.checked_at,
            last_delivery_at=store.last_delivery_at,
            trouble=health.trouble if trouble_since_check(health) else None,
        ),
    )


def store_view(store: Store, box: SecretBox) -> dict[str, Any]:
    """A store as the API shows it."""
    return as_json(_store(store, box))  # type: ignore[no-any-return]


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
    return as_json(_webhook_report(report))  # type: ignore[no-any-return]


def installation_view(installation: Installation, box: SecretBox) -> dict[str, Any]:
    """What installing did: the store, its webhooks, and the address it answers at."""
    view = InstallationView(
        _store(installation.store, box),
        _webhook_report(installation.webhooks),
        installation.reconnected,
        installation.connected_as,
    )
    return as_json(view)  # type: ignore[no-any-return]


def status_view(status: SystemStatus) -> dict[str, Any]:
    """The connection test's findings."""
    view = SystemStatusView(
        status.wc_version, status.wp_version, status.currency, status.decimals, status.timezone
    )
    return as_json(view)  # type: ignore[no-any-return]


def _fulfilment(fulfilment: Fulfilment) -> FulfilmentView:
    key = fulfilment.key
    return FulfilmentView(
        id=fulfilment.id,
        fulfillment_id=key.removeprefix(CLIENT_KEY) if key.startswith(CLIENT_KEY) else None,
        store_id=fulfilment.store_id,
        order_id=fulfilment.order_id,
        carrier=fulfilment.carrier,
        tracking_number=fulfilment.tracking_number,
        tracking_url=fulfilment.tracking_url,
        shipped_at=fulfilment.shipped_at,
        lines=tuple(ShippedLineView(s.line_id, s.quantity) for s in fulfilment.lines),
        completes_order=fulfilment.completes_order,
        state=fulfilment.state,
        job_id=fulfilment.job_id,
        tracking_written=fulfilment.tracking_written,
        note_id=fulfilment.note_id,
        status_completed=fulfilment.status_completed,
        created_at=fulfilment.created_at,
        finished_at=fulfilment.finished_at,
        error=fulfilment.error,
    )


def fulfilment_view(fulfilment: Fulfilment) -> dict[str, Any]:
    """A fulfilment and how far its delivery to the store got."""
    return as_json(_fulfilment(fulfilment))  # type: ignore[no-any-return]


def fulfilment_list_view(fulfilments: Iterable[Fulfilment]) -> dict[str, Any]:
    """An order's fulfilments."""
    view = FulfilmentListView(tuple(map(_fulfilment, fulfilments)))
    return as_json(view)  # type: ignore[no-any-return]


def _job(record: JobRecord) -> JobView:
    return JobView(
        id=record.id,
        kind=record.kind,
        state=record.state,
        store_id=record.store_id,
        attempts=record.attempts,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        result=dict(record.summary),
        error=record.error,
    )


def job_view(record: JobRecord) -> dict[str, Any]:
    """A job and where it stands."""
    return as_json(_job(record))  # type: ignore[no-any-return]


def fulfilment_accepted_view(fulfilment: Fulfilment, job: JobRecord) -> dict[str, Any]:
    """A fulfilment accepted, and the job that delivers it."""
    view = FulfilmentAcceptedView(_fulfilment(fulfilment), _job(job))
    return as_json(view)  # type: ignore[no-any-return]


def log_view(log: SyncLog) -> dict[str, Any]:
    """A sync log."""
    view = SyncLogView(
        id=log.id,
        store_id=log.store_id,
        type=log.sync_type.value,
        status=log.status.value,
        started_at=log.started_at,
        ended_at=log.ended_at,
        duration_seconds=None if log.duration is None else log.duration.total_seconds(),
        processed=log.processed,
        synced=log.synced,
        skipped=log.skipped,
        failed=log.failed,
        errors=tuple(log.errors),
        errors_dropped=log.errors_dropped,
        details=dict(log.metadata),
    )
    return as_json(view)  # type: ignore[no-any-return]


def stats_view(stats: SyncStats) -> dict[str, Any]:
    """Statistics over sync logs."""
    average = stats.average_duration
    view = SyncStatsView(
        runs=stats.runs,
        by_status={status.value: count for status, count in stats.by_status.items()},
        processed=stats.processed,
        synced=stats.synced,
        skipped=stats.skipped,
        failed=stats.failed,
        success_rate=stats.success_rate,
        item_success_rate=stats.item_success_rate,
        average_duration_seconds=None if average is None else average.total_seconds(),
    )
    return as_json(view)  # type: ignore[no-any-return]


def mapping_view(mapping: ProductMapping) -> dict[str, Any]:
    """A product mapping."""
    view = MappingView(
        id=mapping.id,
        store_id=mapping.store_id,
        woo_product_id=mapping.woo_product_id,
        woo_variation_id=mapping.woo_variation_id,
        woo_sku=mapping.woo_sku,
        woo_title=mapping.woo_title,
        shipcrowd_sku=mapping.shipcrowd_sku,
        shipcrowd_product_name=mapping.shipcrowd_product_name,
        mapping_type=mapping.mapping_type,
        sync_inventory=mapping.sync_inventory,
        is_active=mapping.is_active,
        sync_errors=mapping.sync_errors,
        last_sync_error=mapping.last_sync_error,
        last_sync_at=mapping.last_sync_at,
        created_at=mapping.created_at,
    )
    return as_json(view)  # type: ignore[no-any-return]


def mapping_stats_view(stats: MappingStats) -> dict[str, Any]:
    """How a store is mapped."""
    return as_json(stats)  # type: ignore[no-any-return]


def import_view(report: CsvImportReport) -> dict[str, Any]:
    """What a CSV import did, and every refused line."""
    view = ImportReportView(
        report.created,
        report.updated,
        report.unchanged,
        tuple(RefusedLineView(p.line, p.reason) for p in report.problems),
    )
    return as_json(view)  # type: ignore[no-any-return]


def page_view(page: Page[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """A page of items with its position in the whole list."""
    return {
        "items": [render(item) for item in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }
