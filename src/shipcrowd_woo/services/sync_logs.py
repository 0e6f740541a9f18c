"""Sync log housekeeping."""

from datetime import timedelta

from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.repositories import UnitOfWorkFactory

DEFAULT_RETENTION = timedelta(days=90)
DEFAULT_BATCH_SIZE = 1000


def purge_old_sync_logs(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    retention: timedelta = DEFAULT_RETENTION,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Delete logs started more than `retention` ago, one short transaction per batch, so a
    large backlog never holds locks for long. Returns how many were deleted."""
    if retention <= timedelta(0) or batch_size < 1:
        raise ValueError("retention must be positive and batch_size at least 1")
    cutoff = clock.now() - retention
    deleted = 0
    while True:
        with uow_factory() as uow:
            batch = uow.sync_logs.delete_started_before(cutoff, batch_size)
            uow.commit()
        deleted += batch
        if batch < batch_size:
            return deleted
