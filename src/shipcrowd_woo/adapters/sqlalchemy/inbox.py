"""The webhook inbox in SQL: the intake's and the drain's short paths on the engine itself
(SqlAlchemyInbox), and the deliveries of a unit of work (SqlAlchemyDeliveryInbox).

The intake runs once per delivery, so its statements are built once and run on a plain
connection, not an ORM session: building a statement, and the session around it, cost more
than running it. Its read runs alone, in autocommit, and takes no write lock."""

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    LargeBinary,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError

from shipcrowd_woo.adapters.sqlalchemy.engine import ALONE, SQLITE_BUSY_TIMEOUT_MS
from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    OnSession,
    chunks,
    insert_for_dialect,
    one_row,
)
from shipcrowd_woo.adapters.sqlalchemy.stores import STORES
from shipcrowd_woo.adapters.sqlalchemy.tables import DeliveryRow, table_of
from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime
from shipcrowd_woo.adapters.sqlalchemy.webhooks import WEBHOOKS, webhook_from_row
from shipcrowd_woo.domain.ids import CompanyId, DeliveryId
from shipcrowd_woo.domain.store import Webhook
from shipcrowd_woo.domain.webhooks import Delivery, DeliveryState, Kept
from shipcrowd_woo.ports.repositories import CompanyWebhook

DELIVERIES = table_of(DeliveryRow)
RECEIVED = DeliveryState.RECEIVED.value
T = TypeVar("T")


def _again_if_disconnected(run: Callable[[], T]) -> T:
    """Run the intake's statement; once more on a fresh connection when the server had
    closed the pooled one (engine.py pings only connections idle for a while). Both are
    safe to repeat: a read, and an insert that does nothing for a delivery already kept."""
    try:
        return run()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        return run()


DELIVERY = RowShape(Delivery)


@functools.cache
def _keep(dialect_name: str) -> Any:
    """INSERT a delivery unless the store, topic and body are already kept."""
    return (
        insert_for_dialect(dialect_name, DELIVERIES)
        .on_conflict_do_nothing()
        .returning(DELIVERIES.c.id)
    )


@functools.cache
def _sender_holds() -> Any:
    """The webhook a delivery was verified against is still active with the same sealed
    secret, on its active store at the URL the delivery came from."""
    return exists().where(
        WEBHOOKS.c.id == bindparam("sender_id"),
        WEBHOOKS.c.secret_key_id == bindparam("sender_key_id"),
        WEBHOOKS.c.secret_sealed == bindparam("sender_sealed", type_=LargeBinary()),
        WEBHOOKS.c.is_active.is_(True),
        WEBHOOKS.c.store_id == STORES.c.id,
        STORES.c.id == bindparam("store_id"),
        STORES.c.is_active.is_(True),
        STORES.c.url == bindparam("source_url"),
    )


@functools.cache
def _keep_if_sender_holds(dialect_name: str) -> Any:
    """INSERT a delivery unless the store, topic and body are already kept — and only while
    its sender holds. One statement: the intake's check and its write cannot be told apart
    by a store disconnected or a secret replaced in between."""
    names = [column.name for column in DELIVERIES.c if column.name != "leased_until"]
    values = select(
        *[type_coerce(bindparam(name), DELIVERIES.c[name].type) for name in names]
    ).where(_sender_holds())
    return (
        insert_for_dialect(dialect_name, DELIVERIES)
        .from_select(names, values)
        .on_conflict_do_nothing()
        .returning(DELIVERIES.c.id)
    )


@functools.cache
def _kept_before() -> Any:
    """The delivery's store, topic and body kept already, while its sender holds."""
    return select(DELIVERIES.c.id).where(
        DELIVERIES.c.store_id == bindparam("store_id"),
        DELIVERIES.c.topic == bindparam("topic"),
        DELIVERIES.c.body_sha256 == bindparam("body_sha256"),
        _sender_holds(),
    )


@functools.cache
def _keep_and_tell() -> Any:
    """PostgreSQL: the insert and, when it kept nothing, whether the delivery was kept
    before — one statement, one round trip. The insert is a data-modifying CTE whose row
    the rest of the statement does not see in the table, only in its RETURNING."""
    kept = _keep_if_sender_holds("postgresql").cte("kept")
    return select(kept.c.id, literal(True).label("new")).union_all(
        _kept_before().add_columns(literal(False).label("new")).where(~exists(select(kept.c.id)))
    )


@functools.cache
def _senders() -> Any:
    return (
        select(STORES.c.company_id.label("store_company_id"), WEBHOOKS)
        .join(STORES, STORES.c.id == WEBHOOKS.c.store_id)
        .where(
            STORES.c.url == bindparam("url"),
            STORES.c.is_active.is_(True),
            WEBHOOKS.c.woo_webhook_id == bindparam("woo_webhook_id"),
            WEBHOOKS.c.is_active.is_(True),
        )
        .order_by(STORES.c.id)
    )


@functools.cache
def _seen(table: Any) -> Any:
    """UPDATE table SET last_delivery_at = :at where it is empty or earlier, for the row
    :row_id: racing deliveries leave the latest time, whichever commits last."""
    column, moment = table.c.last_delivery_at, bindparam("at", type_=UtcDateTime())
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            last_delivery_at=case((or_(column.is_(None), column < moment), moment), else_=column)
        )
    )


@functools.cache
def _claim() -> Any:
    """Lease the oldest free received deliveries. On PostgreSQL concurrent drains skip each
    other's rows (SKIP LOCKED); SQLite has one writer at a time and ignores the clause."""
    now = bindparam("now", type_=UtcDateTime())
    free = (
        select(DELIVERIES.c.id)
        .where(
            DELIVERIES.c.state == RECEIVED,
            or_(DELIVERIES.c.leased_until.is_(None), DELIVERIES.c.leased_until <= now),
        )
        .order_by(DELIVERIES.c.received_at, DELIVERIES.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return (
        update(DELIVERIES)
        .where(DELIVERIES.c.id.in_(free.scalar_subquery()))
        .values(leased_until=bindparam("until", type_=UtcDateTime()))
        .returning(*[c for c in DELIVERIES.c if c.name != "leased_until"])
    )


def _keep_on(connection: Connection, values: dict[str, Any]) -> Kept:
    """Keep the delivery on `connection` and say what that came to."""
    if connection.dialect.name == "postgresql":
        row = connection.execute(_keep_and_tell(), values).first()
        if row is None:
            return Kept.SENDER_CHANGED
        return Kept.NEW if row.new else Kept.DUPLICATE
    statement = _keep_if_sender_holds(connection.dialect.name)
    if connection.execute(statement, values).first() is not None:
        return Kept.NEW
    # Nothing kept: told apart by a read (SQLite has no insert inside a WITH).
    if connection.execute(_kept_before(), values).first() is not None:
        return Kept.DUPLICATE
    return Kept.SENDER_CHANGED


class SqlAlchemyInbox:
    """The Inbox port on an engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # A lone statement runs in autocommit: a transaction around it cost PostgreSQL two
        # more round trips (BEGIN is implicit, then COMMIT or ROLLBACK) for nothing. A SQLite
        # writer keeps its transaction, where it queues for the file (engine.py,
        # WriterQueue): left to SQLite's own sleeping wait, the intake's inserts behind a
        # drain's batch took the embedded p99 from 32 ms to 246 ms.
        self._writes_alone = engine.dialect.name == "postgresql"
        self._alone = engine.execution_options(
            **({"isolation_level": "AUTOCOMMIT"} if self._writes_alone else ALONE)
        )

    def _reading(self) -> Connection:
        return self._alone.connect()

    def _writing_alone(self) -> AbstractContextManager[Connection]:
        return self._alone.connect() if self._writes_alone else self._engine.begin()

    def senders(self, source_url: str, woo_webhook_id: int) -> Sequence[CompanyWebhook]:
        """The webhooks a delivery may come from, with their stores' companies."""

        def read() -> list[CompanyWebhook]:
            with self._reading() as connection:
                rows = connection.execute(
                    _senders(), {"url": source_url, "woo_webhook_id": woo_webhook_id}
                ).mappings()
                return [(CompanyId(row["store_company_id"]), webhook_from_row(row)) for row in rows]

        return _again_if_disconnected(read)

    def keep(self, delivery: Delivery, sender: Webhook, source_url: str, seen: bool) -> Kept:
        """Insert the delivery while its sender holds (and move the last-delivery times) in
        one transaction."""
        values = {
            **DELIVERY.values(delivery),
            "sender_id": sender.id,
            "sender_key_id": sender.secret.key_id,
            "sender_sealed": sender.secret.ciphertext,
            "source_url": source_url,
        }
        return _again_if_disconnected(lambda: self._keep(values, sender.id if seen else None))

    def _keep(self, values: dict[str, Any], seen_by: str | None) -> Kept:
        if seen_by is None and not self._writes_alone:
            kept = self._keep_unless_busy(values)
            if kept is not None:
                return kept
        with self._writing_alone() if seen_by is None else self._engine.begin() as connection:
            kept = _keep_on(connection, values)
            if kept is Kept.NEW and seen_by is not None:
                moment = values["received_at"]
                connection.execute(_seen(WEBHOOKS), {"row_id": seen_by, "at": moment})
                connection.execute(_seen(STORES), {"row_id": values["store_id"], "at": moment})
        return kept

    def _keep_unless_busy(self, values: dict[str, Any]) -> Kept | None:
        """SQLite: the insert on its own, SQLite holding its write lock for the statement
        alone, as the anchor does — or None at once when another writer holds the file, for
        the caller to queue for its turn (engine.py, WriterQueue). Queueing every insert held
        the turn through SQLAlchemy's work around the statement while the process's other
        threads held the GIL (py-spy: a sixth of a worker's time spent waiting for it);
        leaving every insert to SQLite's own sleeping wait made the embedded p99 246 ms."""
        with self._alone.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA busy_timeout = 0")
            try:
                return _keep_on(connection, values)
            except OperationalError as error:
                if "locked" not in str(error.orig):
                    raise
                return None
            finally:
                driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")

    def claim(self, now: datetime, lease: timedelta, limit: int) -> Sequence[Delivery]:
        """Lease up to `limit` free received deliveries, oldest first (one statement)."""
        with self._writing_alone() as connection:
            rows = connection.execute(
                _claim(), {"now": now, "until": now + lease, "limit": limit}
            ).mappings()
            claimed = [DELIVERY.build(row) for row in rows]
        return sorted(claimed, key=lambda d: (d.received_at, d.id))

    def give_back(self, ids: Collection[DeliveryId]) -> int:
        """Clear the leases of those still received (a statement per chunk of ids)."""
        freed = 0
        with self._writing_alone() as connection:
            for chunk in chunks(list(ids)):
                freed += connection.execute(
                    update(DELIVERIES)
                    .where(DELIVERIES.c.state == RECEIVED, DELIVERIES.c.id.in_(chunk))
                    .values(leased_until=None)
                ).rowcount
        return freed

    def release(self, leased_until_before: datetime) -> int:
        """Clear those leases (one statement)."""
        with self._writing_alone() as connection:
            return connection.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.state == RECEIVED,
                    DELIVERIES.c.leased_until < leased_until_before,
                )
                .values(leased_until=None)
            ).rowcount

    def waiting(self, received_before: datetime) -> int:
        """Received deliveries older than the moment."""
        with self._reading() as connection:
            return connection.execute(
                select(func.count())
                .select_from(DELIVERIES)
                .where(DELIVERIES.c.state == RECEIVED, DELIVERIES.c.received_at < received_before)
            ).scalar_one()


class SqlAlchemyDeliveryInbox(OnSession):
    """The deliveries of a unit of work."""

    def add(self, delivery: Delivery) -> bool:
        """Keep a delivery; False when the same store, topic and body is already kept."""
        statement = _keep(self._session.get_bind().dialect.name)
        inserted = self._session.execute(statement, DELIVERY.values(delivery)).first()
        return inserted is not None

    def get(self, delivery_id: DeliveryId) -> Delivery | None:
        """A delivery by id."""
        row = one_row(self._session, select(DELIVERIES).where(DELIVERIES.c.id == delivery_id))
        return None if row is None else DELIVERY.build(row)

    def settle(
        self, ids: Collection[DeliveryId], at: datetime, failures: Mapping[DeliveryId, str]
    ) -> set[DeliveryId]:
        """Mark those still received processed (failed, with the reason, where listed)."""
        settled: set[DeliveryId] = set()
        chosen = list(ids)
        for chunk in chunks(chosen):
            rows = self._session.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.id.in_(chunk),
                    DELIVERIES.c.state == RECEIVED,
                )
                .values(state=DeliveryState.PROCESSED.value, processed_at=at, leased_until=None)
                .returning(DELIVERIES.c.id)
            )
            settled.update(DeliveryId(delivery_id) for (delivery_id,) in rows)
        failed = [
            {"row_id": delivery_id, "reason": reason}
            for delivery_id, reason in failures.items()
            if delivery_id in settled
        ]
        if failed:
            self._session.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id == bindparam("row_id"))
                .values(state=DeliveryState.FAILED.value, error=bindparam("reason")),
                failed,
            )
        return settled
