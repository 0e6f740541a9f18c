"""Deleting what is older than its retention: a short transaction per batch, so that a large
backlog never holds its locks for long."""

from collections.abc import Callable
from datetime import datetime, timedelta

from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.repositories import UnitOfWork, UnitOfWorkFactory

# Deletes up to `batch_size` rows older than the cutoff in the unit of work; how many.
BatchDelete = Callable[[UnitOfWork, datetime, int], int]


def purge_older_than(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    retention: timedelta,
    batch_size: int,
    delete: BatchDelete,
) -> int:
    """Run `delete` batch after batch until one deletes less than a batch; how many went."""
    if retention <= timedelta(0) or batch_size < 1:
        raise ValueError("retention must be positive and batch_size at least 1")
    cutoff = clock.now() - retention
    deleted = 0
    while True:
        with uow_factory() as uow:
            batch = delete(uow, cutoff, batch_size)
            uow.commit()
        deleted += batch
        if batch < batch_size:
            return deleted
