"""Background job records in SQL."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape, Stored
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    Owned,
    OwnedRepository,
    one_row,
    replace_row,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import JobRow, table_of
from shipcrowd_woo.converters.jobs import job_from_data, job_to_data
from shipcrowd_woo.domain.errors import JobNotFound
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import JobRecord, JobState

JOBS = table_of(JobRow)
UNFINISHED = (JobState.QUEUED.value, JobState.RUNNING.value)


JOB_ROWS = RowShape(
    JobRecord,
    {"job": Stored(job_to_data, job_from_data, column="payload")},
    # Kept beside the payload for the status endpoint's and the sweeps' queries.
    derived=lambda record: {"store_id": record.store_id, "kind": record.kind},
)


class SqlAlchemyJobRepository(OwnedRepository[JobRecord]):
    """Jobs in SQL."""

    OWNED = Owned(JOBS, JOB_ROWS, JobNotFound)

    def find(self, job_id: JobId) -> JobRecord | None:
        """A job by id."""
        row = one_row(self._session, select(JOBS).where(JOBS.c.id == job_id))
        return None if row is None else JOB_ROWS.build(row)

    def update(self, record: JobRecord) -> None:
        """Save a job's progress."""
        replace_row(self._session, JOBS, JOB_ROWS.values(record))

    def stalled_before(self, moment: datetime, limit: int) -> Sequence[JobRecord]:
        """Unfinished jobs unchanged since before `moment`, oldest first."""
        rows = self._session.execute(
            select(JOBS)
            .where(JOBS.c.state.in_(UNFINISHED), JOBS.c.touched_at < moment)
            .order_by(JOBS.c.touched_at, JOBS.c.id)
            .limit(limit)
        ).mappings()
        return [JOB_ROWS.build(row) for row in rows]

    def claim_stalled(self, before: datetime, now: datetime, limit: int) -> Sequence[JobRecord]:
        """stalled_before, touched at `now`, in one statement. The conditions are checked again
        on each row as it is written, so of two claims racing for a job only the first gets
        it."""
        stalled = (JOBS.c.state.in_(UNFINISHED), JOBS.c.touched_at < before)
        oldest = select(JOBS.c.id).where(*stalled).order_by(JOBS.c.touched_at, JOBS.c.id)
        rows = self._session.execute(
            update(JOBS)
            .where(JOBS.c.id.in_(oldest.limit(limit)), *stalled)
            .values(touched_at=now)
            .returning(*JOBS.c)
        ).mappings()
        return sorted((JOB_ROWS.build(row) for row in rows), key=lambda job: job.id)
