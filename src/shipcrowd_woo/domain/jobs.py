"""Background jobs: what a worker is asked to do. They carry ids, never objects."""

import enum

import attrs

from shipcrowd_woo.domain.ids import CompanyId, DeliveryId, StoreId


class SyncMode(enum.Enum):
    """How much of a store's order history an import reads."""

    FULL = "full"
    INCREMENTAL = "incremental"
    SINGLE = "single"


@attrs.frozen
class SyncOrders:
    """Import orders of a store (all, changed since the cursor, or one)."""

    company_id: CompanyId
    store_id: StoreId
    mode: SyncMode
    order_id: int | None = None


@attrs.frozen
class ProcessDelivery:
    """Process one verified webhook delivery from the inbox."""

    delivery_id: DeliveryId


@attrs.frozen
class PushInventory:
    """Push stock levels of a store's mapped SKUs (all when `skus` is empty)."""

    company_id: CompanyId
    store_id: StoreId
    skus: tuple[str, ...] = ()


@attrs.frozen
class AutoMapProducts:
    """Match a store's catalogue to Shipcrowd SKUs."""

    company_id: CompanyId
    store_id: StoreId


Job = SyncOrders | ProcessDelivery | PushInventory | AutoMapProducts


class JobState(enum.Enum):
    """Where a job stands, as the job-status endpoint reports it."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
