"""Sync logs in SQL."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select

from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape, Stored
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    OnSession,
    one_row,
    page_with_total,
    replace_row,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import SyncLogRow, table_of
from shipcrowd_woo.domain.ids import StoreId, SyncLogId
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.sync_log import SyncLog, SyncStatus, SyncType

SYNC_LOGS = table_of(SyncLogRow)


SYNC_LOG_ROWS = RowShape(SyncLog, {"metadata": Stored(dict, column="details")})


class SqlAlchemySyncLogRepository(OnSession):
    """Sync logs in SQL."""

    def add(self, log: SyncLog) -> None:
        """Insert a log."""
        self._session.execute(SYNC_LOGS.insert().values(SYNC_LOG_ROWS.values(log)))

    def update(self, log: SyncLog) -> None:
        """Save a changed log."""
        replace_row(self._session, SYNC_LOGS, SYNC_LOG_ROWS.values(log))

    def get(self, log_id: SyncLogId) -> SyncLog | None:
        """A log by id."""
        row = one_row(self._session, select(SYNC_LOGS).where(SYNC_LOGS.c.id == log_id))
        return None if row is None else SYNC_LOG_ROWS.build(row)

    def page(
        self, store_id: StoreId, sync_type: SyncType | None, page: PageRequest
    ) -> Page[SyncLog]:
        """A store's logs, optionally of one type, newest first."""
        query = select(SYNC_LOGS).where(SYNC_LOGS.c.store_id == store_id)
        if sync_type is not None:
            query = query.where(SYNC_LOGS.c.sync_type == sync_type.value)
        return page_with_total(
            self._session,
            query,
            page,
            SYNC_LOG_ROWS.build,
            SYNC_LOGS.c.started_at.desc(),
            SYNC_LOGS.c.id,
        )

    def delete_started_before(self, cutoff: datetime, batch_size: int) -> int:
        """Delete up to `batch_size` of the oldest logs started before `cutoff`."""
        oldest = (
            select(SYNC_LOGS.c.id)
            .where(SYNC_LOGS.c.started_at < cutoff)
            .order_by(SYNC_LOGS.c.started_at)
            .limit(batch_size)
        )
        deleted = self._session.execute(
            delete(SYNC_LOGS).where(SYNC_LOGS.c.id.in_(oldest)).returning(SYNC_LOGS.c.id)
        )
        return len(deleted.all())

    def in_progress_since_before(self, cutoff: datetime, limit: int) -> Sequence[SyncLog]:
        """Runs left IN_PROGRESS since before `cutoff`, oldest first."""
        rows = self._session.execute(
            select(SYNC_LOGS)
            .where(
                SYNC_LOGS.c.status == SyncStatus.IN_PROGRESS.value,
                SYNC_LOGS.c.started_at < cutoff,
            )
            .order_by(SYNC_LOGS.c.started_at, SYNC_LOGS.c.id)
            .limit(limit)
        ).mappings()
        return [SYNC_LOG_ROWS.build(row) for row in rows]
