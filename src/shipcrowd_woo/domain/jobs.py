"""Background jobs: what a worker is asked to do. They carry ids, never objects."""

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from shipcrowd_woo.domain.errors import InvalidTransition, ValidationFailed
from shipcrowd_woo.domain.ids import CompanyId, JobId, StoreId


class SyncMode(enum.Enum):
    """How much of a store's order history an import reads."""

    FULL = "full"
    INCREMENTAL = "incremental"
    SINGLE = "single"


@attrs.frozen
class SyncOrders:
    """Import orders of a store (all, changed since the cursor, or one: `order_id`, required
    then; ValidationFailed otherwise)."""

    company_id: CompanyId
    store_id: StoreId
    mode: SyncMode
    order_id: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.order_id is not None and self.order_id < 1:
            raise ValidationFailed({"order_id": "must be a positive id"})
        if self.mode is SyncMode.SINGLE and self.order_id is None:
            raise ValidationFailed({"order_id": "is required when mode is single"})


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


@attrs.frozen
class ReconcileOrders:
    """Compare the store's order ids with ours (permanent deletions send no webhook)."""

    company_id: CompanyId
    store_id: StoreId


@attrs.frozen
class CheckWebhooks:
    """Make sure the store's webhooks are ours, active and complete."""

    company_id: CompanyId
    store_id: StoreId


@attrs.frozen
class FulfilOrder:
    """Send a fulfilment (tracking, customer note, completion) to the store."""

    company_id: CompanyId
    store_id: StoreId
    fulfilment_id: str


@attrs.frozen
class PushStockChanges:
    """Push the stock of the SKUs whose warehouse level changed since the store's last such
    push (the inventory that follows the warehouse by itself)."""

    company_id: CompanyId
    store_id: StoreId


@attrs.frozen
class ConfirmOrders:
    """Fetch from the store the orders whose stored version could not be proved its newest
    (see versions.Confirmation), and write what it answers."""

    company_id: CompanyId
    store_id: StoreId


Job = (
    SyncOrders
    | PushInventory
    | AutoMapProducts
    | ReconcileOrders
    | CheckWebhooks
    | FulfilOrder
    | PushStockChanges
    | ConfirmOrders
)


SummaryValue = str | int | float | bool | None
# Errors are kept to this length on the job.
MAX_ERROR_LENGTH = 500


class JobState(enum.Enum):
    """Where a job stands, as the job-status endpoint reports it."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


@attrs.frozen
class JobRecord:
    """A job as the job-status endpoint reports it."""

    id: JobId
    company_id: CompanyId
    job: Job
    state: JobState
    created_at: datetime
    attempts: int = 0
    # When the state last changed: a job QUEUED or RUNNING unchanged for long was lost.
    touched_at: datetime = attrs.field(
        default=attrs.Factory(lambda record: record.created_at, takes_self=True)
    )
    started_at: datetime | None = None
    finished_at: datetime | None = None
    summary: Mapping[str, SummaryValue] = attrs.field(factory=dict, hash=False)
    error: str | None = None

    @property
    def is_final(self) -> bool:
        """Completed or failed for good."""
        return self.state in (JobState.COMPLETED, JobState.FAILED)

    @property
    def kind(self) -> str:
        """The job's name."""
        return job_kind(self.job)

    @property
    def store_id(self) -> StoreId:
        """The store the job acts on."""
        return job_store(self.job)


JOB_TYPES: dict[str, type[Job]] = {
    "sync_orders": SyncOrders,
    "push_inventory": PushInventory,
    "auto_map_products": AutoMapProducts,
    "reconcile_orders": ReconcileOrders,
    "check_webhooks": CheckWebhooks,
    "fulfil_order": FulfilOrder,
    "push_stock_changes": PushStockChanges,
    "confirm_orders": ConfirmOrders,
}
_KIND_OF = {job_type: kind for kind, job_type in JOB_TYPES.items()}


def job_kind(job: Job) -> str:
    """The name a job is stored and queued under."""
    return _KIND_OF[type(job)]


def job_store(job: Job) -> StoreId:
    """The store a job acts on."""
    return job.store_id


def started(record: JobRecord, at: datetime) -> JobRecord:
    """An attempt begins: from QUEUED, or from RUNNING when the attempt before it died with
    its worker (the message came again). A final job does not start again."""
    _require_unfinished(record, "started")
    return attrs.evolve(
        record,
        state=JobState.RUNNING,
        attempts=record.attempts + 1,
        started_at=at,
        touched_at=at,
    )


def completed(record: JobRecord, at: datetime, summary: Mapping[str, SummaryValue]) -> JobRecord:
    """The running attempt succeeded."""
    _require_running(record, "completed")
    return attrs.evolve(
        record,
        state=JobState.COMPLETED,
        finished_at=at,
        touched_at=at,
        summary=summary,
        error=None,
    )


def attempt_failed(record: JobRecord, at: datetime, error: str, retry: bool) -> JobRecord:
    """The running attempt failed: QUEUED again for the next attempt, or FAILED for good."""
    _require_running(record, "failed")
    return attrs.evolve(
        record,
        state=JobState.QUEUED if retry else JobState.FAILED,
        finished_at=None if retry else at,
        touched_at=at,
        error=error[:MAX_ERROR_LENGTH],
    )


def touched(record: JobRecord, at: datetime) -> JobRecord:
    """Seen alive at `at` (a job unchanged for long was lost, and is sent again)."""
    return attrs.evolve(record, touched_at=at)


def _require_unfinished(record: JobRecord, becoming: str) -> None:
    if record.is_final:
        raise InvalidTransition(f"job {record.id} is {record.state.value}: it cannot be {becoming}")


def _require_running(record: JobRecord, becoming: str) -> None:
    if record.state is not JobState.RUNNING:
        raise InvalidTransition(
            f"job {record.id} is {record.state.value}, not running: it cannot be {becoming}"
        )
