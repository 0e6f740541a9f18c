"""Sync logs: one per run of an import, push or webhook batch, and statistics over them."""

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Final

import attrs

from shipcrowd_woo.domain.errors import InvalidTransition
from shipcrowd_woo.domain.ids import CompanyId, StoreId, SyncLogId

MAX_ERRORS_KEPT: Final = 100
MAX_ERROR_LENGTH: Final = 500

MetadataValue = str | int | float | bool | None


class SyncType(enum.Enum):
    """What kind of work a sync log records."""

    ORDER = "order"
    INVENTORY = "inventory"
    WEBHOOK = "webhook"
    PRODUCT = "product"
    FULFILMENT = "fulfilment"


class SyncStatus(enum.Enum):
    """Where a run stands; every state but IN_PROGRESS is final."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """True once the run has ended."""
        return self is not SyncStatus.IN_PROGRESS


@attrs.frozen
class SyncLog:
    """The record of one run. `processed` is always synced + skipped + failed.

    Errors are bounded: the first MAX_ERRORS_KEPT messages are kept, each cut to
    MAX_ERROR_LENGTH characters, and `errors_dropped` counts the rest.
    """

    id: SyncLogId
    company_id: CompanyId
    store_id: StoreId
    sync_type: SyncType
    started_at: datetime
    status: SyncStatus = SyncStatus.IN_PROGRESS
    ended_at: datetime | None = None
    synced: int = 0
    skipped: int = 0
    failed: int = 0
    errors: tuple[str, ...] = ()
    errors_dropped: int = 0
    metadata: Mapping[str, MetadataValue] = attrs.field(factory=dict, hash=False)

    @property
    def processed(self) -> int:
        """Items looked at in this run."""
        return self.synced + self.skipped + self.failed

    @property
    def duration(self) -> timedelta | None:
        """How long the run took, once it has ended."""
        return None if self.ended_at is None else self.ended_at - self.started_at


def start_sync(
    log_id: SyncLogId,
    company_id: CompanyId,
    store_id: StoreId,
    sync_type: SyncType,
    now: datetime,
    metadata: Mapping[str, MetadataValue] | None = None,
) -> SyncLog:
    """Open a log for a run that starts now."""
    return SyncLog(log_id, company_id, store_id, sync_type, now, metadata=dict(metadata or {}))


def record_items(
    log: SyncLog,
    *,
    synced: int = 0,
    skipped: int = 0,
    failed: int = 0,
    errors: Iterable[str] = (),
) -> SyncLog:
    """Count items handled (in any batch size) and keep their error messages, bounded."""
    _require_running(log)
    if min(synced, skipped, failed) < 0:
        raise ValueError("item counts cannot be negative")
    kept = list(log.errors)
    dropped = log.errors_dropped
    for message in errors:
        if len(kept) < MAX_ERRORS_KEPT:
            kept.append(message[:MAX_ERROR_LENGTH])
        else:
            dropped += 1
    return attrs.evolve(
        log,
        synced=log.synced + synced,
        skipped=log.skipped + skipped,
        failed=log.failed + failed,
        errors=tuple(kept),
        errors_dropped=dropped,
    )


def finish_sync(log: SyncLog, now: datetime) -> SyncLog:
    """End the run: COMPLETED with no failures, PARTIAL with some, FAILED when all failed."""
    _require_running(log)
    if not log.failed:
        status = SyncStatus.COMPLETED
    elif log.synced or log.skipped:
        status = SyncStatus.PARTIAL
    else:
        status = SyncStatus.FAILED
    return attrs.evolve(log, status=status, ended_at=max(now, log.started_at))


def fail_sync(log: SyncLog, now: datetime, reason: str) -> SyncLog:
    """End the run as FAILED because the run itself broke (store down, lock lost…)."""
    _require_running(log)
    failed = record_items(log, errors=[reason])
    return attrs.evolve(failed, status=SyncStatus.FAILED, ended_at=max(now, log.started_at))


def _require_running(log: SyncLog) -> None:
    if log.status.is_final:
        raise InvalidTransition(f"sync log {log.id} already ended as {log.status.value}")


@attrs.frozen
class SyncStats:
    """Statistics over a set of sync logs."""

    runs: int
    by_status: Mapping[SyncStatus, int] = attrs.field(hash=False)
    processed: int
    synced: int
    skipped: int
    failed: int
    average_duration: timedelta | None

    @property
    def finished_runs(self) -> int:
        """Runs that have ended, whatever their outcome."""
        return self.runs - self.by_status.get(SyncStatus.IN_PROGRESS, 0)

    @property
    def success_rate(self) -> float | None:
        """Share of finished runs that COMPLETED; None before any run finished."""
        finished = self.finished_runs
        return None if not finished else self.by_status.get(SyncStatus.COMPLETED, 0) / finished

    @property
    def item_success_rate(self) -> float | None:
        """Share of processed items that did not fail; None before any item was processed."""
        return None if not self.processed else (self.processed - self.failed) / self.processed


def summarise(logs: Iterable[SyncLog]) -> SyncStats:
    """Compute statistics over `logs`."""
    statuses: Counter[SyncStatus] = Counter()
    synced = skipped = failed = 0
    durations: list[timedelta] = []
    for log in logs:
        statuses[log.status] += 1
        synced += log.synced
        skipped += log.skipped
        failed += log.failed
        if log.duration is not None:
            durations.append(log.duration)
    return SyncStats(
        runs=sum(statuses.values()),
        by_status=dict(statuses),
        processed=synced + skipped + failed,
        synced=synced,
        skipped=skipped,
        failed=failed,
        average_duration=sum(durations, timedelta()) / len(durations) if durations else None,
    )
