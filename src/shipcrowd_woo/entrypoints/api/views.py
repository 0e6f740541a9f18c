"""What the API answers with: plain JSON views of domain objects, never a secret (a consumer
key is shown as its last four characters at most)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from shipcrowd_woo.domain.errors import SecretsUnavailable
from shipcrowd_woo.domain.fulfilment import CLIENT_KEY, Fulfilment
from shipcrowd_woo.domain.jobs import JobRecord
from shipcrowd_woo.domain.mapping_rules import ProductMapping
from shipcrowd_woo.domain.pagination import Page
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncLog, SyncStats
from shipcrowd_woo.domain.webhook_health import trouble_since_check
from shipcrowd_woo.domain.woo_catalog import SystemStatus
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.services.mappings import CsvImportReport, MappingStats
from shipcrowd_woo.services.stores import WebhookReport

T = TypeVar("T")


def when(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC."""
    return None if moment is None else moment.isoformat()


def masked_key(store: Store, box: SecretBox) -> str:
    """`ck_…1a2b`: enough to tell keys apart, never enough to use one."""
    try:
        key = box.open(store.consumer_key).reveal()
    except SecretsUnavailable:
        return "unavailable"
    return f"{key[:3]}…{key[-4:]}" if len(key) > 12 else "…"


def store_view(store: Store, box: SecretBox) -> dict[str, Any]:
    """A store as the API shows it."""
    return {
        "id": store.id,
        "url": store.url,
        "name": store.name,
        "consumer_key": masked_key(store, box),
        "wc_version": store.wc_version,
        "wp_version": store.wp_version,
        "currency": store.currency,
        "currency_decimals": store.currency_decimals,
        "timezone": store.timezone,
        "is_active": store.is_active,
        "is_paused": store.is_paused,
        "installed_at": when(store.installed_at),
        "uninstalled_at": when(store.uninstalled_at),
        "order_sync": {
            "enabled": store.order_sync.enabled,
            "auto_sync": store.order_sync.auto_sync,
            "interval_minutes": int(store.order_sync.interval.total_seconds() // 60),
            "overlap_minutes": int(store.order_sync.overlap.total_seconds() // 60),
        },
        "inventory_sync": {
            "enabled": store.inventory_sync.enabled,
            "auto_sync": store.inventory_sync.auto_sync,
        },
        "fulfilment": {
            "complete_on_ship": store.fulfilment.complete_on_ship,
            "notify_customer": store.fulfilment.notify_customer,
        },
        "stats": {
            "orders_synced": store.stats.orders_synced,
            "products_mapped": store.stats.products_mapped,
            "catalogue_items": store.stats.catalogue_items,
            "inventory_syncs": store.stats.inventory_syncs,
            "last_order_sync_at": when(store.stats.last_order_sync_at),
            "last_inventory_sync_at": when(store.stats.last_inventory_sync_at),
        },
        "rest_api": {"style": store.rest_style.value, "namespaces": list(store.namespaces)},
        "order_cursor": when(store.order_cursor),
        "last_delivery_at": when(store.last_delivery_at),
        "webhooks": webhooks_view(store),
    }


def webhooks_view(store: Store) -> dict[str, Any]:
    """How the store's webhooks stand: the last check's finding and since when (for
    `disabled`, when the store disabled one; for `repaired`, the repair), the last repair,
    the last check, the last delivery, and evidence of trouble not yet checked."""
    health = store.webhook_health
    return {
        "enabled": store.webhooks_enabled,
        "health": health.state.value,
        "since": when(health.since),
        "repaired_at": when(health.repaired_at),
        "checked_at": when(health.checked_at),
        "last_delivery_at": when(store.last_delivery_at),
        "trouble": health.trouble if trouble_since_check(health) else None,
    }


def webhook_report_view(report: WebhookReport) -> dict[str, Any]:
    """What registering webhooks did."""
    return {
        "kept": [t.value for t in report.kept],
        "created": [t.value for t in report.created],
        "reactivated": [t.value for t in report.reactivated],
        "removed_strays": report.removed_strays,
        "failed": [{"topic": t.value, "reason": reason} for t, reason in report.failed],
    }


def status_view(status: SystemStatus) -> dict[str, Any]:
    """The connection test's findings."""
    return {
        "wc_version": status.wc_version,
        "wp_version": status.wp_version,
        "currency": status.currency,
        "decimals": status.decimals,
        "timezone": status.timezone,
    }


def fulfilment_view(fulfilment: Fulfilment) -> dict[str, Any]:
    """A fulfilment and how far its delivery to the store got."""
    return {
        "id": fulfilment.id,
        "fulfillment_id": fulfilment.key.removeprefix(CLIENT_KEY)
        if fulfilment.key.startswith(CLIENT_KEY)
        else None,
        "store_id": fulfilment.store_id,
        "order_id": fulfilment.order_id,
        "carrier": fulfilment.carrier,
        "tracking_number": fulfilment.tracking_number,
        "tracking_url": fulfilment.tracking_url,
        "shipped_at": when(fulfilment.shipped_at),
        "lines": [{"line_id": s.line_id, "quantity": s.quantity} for s in fulfilment.lines],
        "completes_order": fulfilment.completes_order,
        "state": fulfilment.state.value,
        "job_id": fulfilment.job_id,
        "tracking_written": fulfilment.tracking_written,
        "note_id": fulfilment.note_id,
        "status_completed": fulfilment.status_completed,
        "created_at": when(fulfilment.created_at),
        "finished_at": when(fulfilment.finished_at),
        "error": fulfilment.error,
    }


def job_view(record: JobRecord) -> dict[str, Any]:
    """A job and where it stands."""
    return {
        "id": record.id,
        "kind": record.kind,
        "state": record.state.value,
        "store_id": record.store_id,
        "attempts": record.attempts,
        "created_at": when(record.created_at),
        "started_at": when(record.started_at),
        "finished_at": when(record.finished_at),
        "result": dict(record.summary),
        "error": record.error,
    }


def log_view(log: SyncLog) -> dict[str, Any]:
    """A sync log."""
    return {
        "id": log.id,
        "store_id": log.store_id,
        "type": log.sync_type.value,
        "status": log.status.value,
        "started_at": when(log.started_at),
        "ended_at": when(log.ended_at),
        "duration_seconds": None if log.duration is None else log.duration.total_seconds(),
        "processed": log.processed,
        "synced": log.synced,
        "skipped": log.skipped,
        "failed": log.failed,
        "errors": list(log.errors),
        "errors_dropped": log.errors_dropped,
        "details": dict(log.metadata),
    }


def stats_view(stats: SyncStats) -> dict[str, Any]:
    """Statistics over sync logs."""
    return {
        "runs": stats.runs,
        "by_status": {status.value: count for status, count in stats.by_status.items()},
        "processed": stats.processed,
        "synced": stats.synced,
        "skipped": stats.skipped,
        "failed": stats.failed,
        "success_rate": stats.success_rate,
        "item_success_rate": stats.item_success_rate,
        "average_duration_seconds": None
        if stats.average_duration is None
        else stats.average_duration.total_seconds(),
    }


def mapping_view(mapping: ProductMapping) -> dict[str, Any]:
    """A product mapping."""
    return {
        "id": mapping.id,
        "store_id": mapping.store_id,
        "woo_product_id": mapping.woo_product_id,
        "woo_variation_id": mapping.woo_variation_id,
        "woo_sku": mapping.woo_sku,
        "woo_title": mapping.woo_title,
        "shipcrowd_sku": mapping.shipcrowd_sku,
        "shipcrowd_product_name": mapping.shipcrowd_product_name,
        "mapping_type": mapping.mapping_type.value,
        "sync_inventory": mapping.sync_inventory,
        "is_active": mapping.is_active,
        "sync_errors": mapping.sync_errors,
        "last_sync_error": mapping.last_sync_error,
        "last_sync_at": when(mapping.last_sync_at),
        "created_at": when(mapping.created_at),
    }


def mapping_stats_view(stats: MappingStats) -> dict[str, Any]:
    """How a store is mapped."""
    return {
        "mapped": stats.mapped,
        "active": stats.active,
        "inactive": stats.inactive,
        "erroring": stats.erroring,
        "unmapped": stats.unmapped,
    }


def import_view(report: CsvImportReport) -> dict[str, Any]:
    """What a CSV import did, and every refused line."""
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "problems": [{"line": p.line, "reason": p.reason} for p in report.problems],
    }


def page_view(page: Page[T], render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """A page of items with its position in the whole list."""
    return {
        "items": [render(item) for item in page.items],
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
    }
