"""Orders in SQL, written by one atomic upsert that applies the domain's version rule.

`INSERT … ON CONFLICT (key) DO UPDATE … WHERE` the incoming snapshot proves itself newer
(`domain.versions.proves_newer`: a later modification second, or the same second fetched by a
request sent after the stored one arrived) and differs: the rule runs inside the statement,
under the row lock both PostgreSQL and SQLite take, so racing writers cannot interleave a read
and a write. A snapshot the statement refuses is judged again against the row it met, in the
same transaction, to tell an unchanged or stale one from one left unsettled. The returned
`revision` (1 on insert) tells a creation from a replacement, and the lines are replaced in
the same transaction while the row is still locked.
"""

import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Table,
    and_,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import JSON

from shipcrowd_woo.adapters.sqlalchemy.rows import APART, DOCUMENT, Nested, RowShape, Stored
from shipcrowd_woo.adapters.sqlalchemy.statements import (
    OnSession,
    as_arrays,
    chunks,
    of_store,
    one_row,
    unnest_select,
)
from shipcrowd_woo.adapters.sqlalchemy.tables import (
    OrderFeedStateRow,
    OrderLineRow,
    OrderRow,
    table_of,
)
from shipcrowd_woo.adapters.sqlalchemy.types import document_text
from shipcrowd_woo.domain.availability import OPEN
from shipcrowd_woo.domain.feed import FeedDraft, FeedState
from shipcrowd_woo.domain.generated import bound, compiled
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import Order, OrderKey, OrderLine, Totals
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.domain.versions import OrderVersion, Verdict, judge, version_of
from shipcrowd_woo.ports.repositories import ListedOrder, OpenLine, OrderQuery, StagedOrder

ORDERS = table_of(OrderRow)
LINES = table_of(OrderLineRow)
FEED_STATES = table_of(OrderFeedStateRow)
KEY_COLUMNS = ("company_id", "store_id", "source", "source_id")


ORDER = RowShape(
    Order,
    {
        "key": Nested(RowShape(OrderKey)),
        "totals": Nested(RowShape(Totals, {"fees": Stored(column="fees_total")})),
        "customer": DOCUMENT,
        "shipping_address": DOCUMENT,
        "billing_address": DOCUMENT,
        "shipping_lines": DOCUMENT,
        "fees": DOCUMENT,
        "coupons": DOCUMENT,
        "lines": APART,
    },
)


LINE = RowShape(OrderLine)


def _key_filter(key: OrderKey) -> Any:
    return of_store(
        ORDERS, key.company_id, key.store_id, source=key.source, source_id=key.source_id
    )


def _written_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if c.name != "id"]


def _upsert(rows: str) -> str:
    """The orders in `rows` (a VALUES list or a SELECT of the written columns) inserted, or
    replacing the stored row under the version rule of `domain.versions.judge`: another
    fingerprint, and a later modification second or, in the same second, a fetch sent after
    the stored snapshot arrived (a NULL `current_from`, a delivery's, proves nothing) and the
    stored one not fetched after the incoming arrived. RETURNING tells the rows written."""
    columns = [c.name for c in _written_columns(ORDERS)]
    update = ", ".join(
        f"{name} = excluded.{name}" for name in columns if name not in (*KEY_COLUMNS, "revision")
    )
    # Every name comes from the table's definition, none from input.
    return (
        f"INSERT INTO orders ({', '.join(columns)}) {rows} "
        f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {update}, "
        "revision = orders.revision + 1 "
        "WHERE orders.fingerprint <> excluded.fingerprint "
        "AND (orders.modified_at < excluded.modified_at "
        "OR (orders.modified_at = excluded.modified_at "
        "AND excluded.current_from >= orders.observed_at "
        "AND (orders.current_from IS NULL OR orders.current_from < excluded.observed_at))) "
        f"RETURNING {', '.join(['id', 'revision', *KEY_COLUMNS])}"
    )


@functools.cache
def _unnest_upsert() -> str:
    """PostgreSQL: a page's orders in one statement of arrays."""
    return _upsert(unnest_select(_written_columns(ORDERS)))


# A line is staged before its order has an id: the id leads its row once the order is written.
_LINE_COLUMNS = [LINES.c.order_id] + [c for c in _written_columns(LINES) if c.name != "order_id"]


@functools.cache
def _unnest_lines() -> str:
    """PostgreSQL: a page's lines in one statement of arrays."""
    names = ", ".join(c.name for c in _LINE_COLUMNS)
    return f"INSERT INTO {LINES.name} ({names}) {unnest_select(_LINE_COLUMNS)}"


# After the id, in the order of OrderVersion's fields.
_VERSION_COLUMNS = (
    ORDERS.c.source_id,
    ORDERS.c.modified_at,
    ORDERS.c.observed_at,
    ORDERS.c.fingerprint,
    ORDERS.c.current_from,
)


@functools.cache
def _probed_versions() -> Any:
    """PostgreSQL: the stored versions of a list of ids, one probe of the order key's unique
    index per id. `source_id IN (…)` scanned every order of the store when the table had no
    statistics yet — a first import, before autovacuum's ANALYZE — 3 ms a page at 10,000
    orders, growing with the store). Here each id is a lateral probe on the whole key; its
    LIMIT (the key is unique: one row at most) keeps the planner from flattening the probe
    into a join, which without statistics read the store's every order again."""
    names = ", ".join(column.name for column in _VERSION_COLUMNS)
    return (
        text(
            f"SELECT {names} FROM unnest(:ids) AS wanted(wanted_id) CROSS JOIN LATERAL ("  # noqa: S608
            f"SELECT {names} FROM {ORDERS.name} WHERE company_id = :company_id "
            "AND store_id = :store_id AND source = :source AND source_id = wanted.wanted_id"
            " LIMIT 1) AS stored"
        )
        .bindparams(bindparam("ids", type_=postgresql.ARRAY(BigInteger())))
        .columns(*_VERSION_COLUMNS)
    )


@functools.lru_cache(maxsize=8)
def _sqlite_versions(count: int) -> Any:
    """SQLite: the stored versions of `count` ids of one store, one statement kept per count
    (a page's 100, mostly). Built as a `select … IN` for each read, SQLAlchemy compiled it
    afresh every time: 1 ms of CPU a page, a twentieth of an import's own."""
    names = ", ".join(column.name for column in _VERSION_COLUMNS)
    wanted = ", ".join(f":id{number}" for number in range(count))
    return text(
        f"SELECT {names} FROM {ORDERS.name} WHERE company_id = :company_id "  # noqa: S608
        f"AND store_id = :store_id AND source = :source AND source_id IN ({wanted})"
    ).columns(*_VERSION_COLUMNS)


# SQLite: of its 32,766 variables a statement may hold (since 3.32), as SQLAlchemy counts.
SQLITE_MAX_VARIABLES = 32_766


@functools.cache
def _sqlite_upsert(rows: int) -> str:
    """SQLite: `rows` orders in one statement of positional parameters."""
    row = "(" + ", ".join("?" * len(_written_columns(ORDERS))) + ")"
    return _upsert("VALUES " + ", ".join([row] * rows))


@functools.cache
def _sqlite_insert_lines() -> str:
    marks = ", ".join("?" * len(_LINE_COLUMNS))
    names = ", ".join(c.name for c in _LINE_COLUMNS)
    return f"INSERT INTO {LINES.name} ({names}) VALUES ({marks})"  # noqa: S608


# An order's feed state: the same key columns.
_ITS_STATE = and_(
    FEED_STATES.c.store_id == ORDERS.c.store_id,
    FEED_STATES.c.source == ORDERS.c.source,
    FEED_STATES.c.source_id == ORDERS.c.source_id,
)
# The states of an order that may still ship, whose lines hold stock for it.
_OPEN = sorted(state.value for state in OPEN)


def _nullable_document(value: Any) -> str | None:
    return None if value is None else document_text(value)


RowMaker = Callable[[dict[str, Any]], tuple[Any, ...]]
# SQLite's dialect as the engine makes it (engine.py), for its bind processors.
_SQLITE = sqlite.dialect(json_serializer=document_text)


def _row_maker(dialect_name: str, columns: Sequence[Column[Any]], label: str) -> RowMaker:
    """A row's values as the driver takes them, in the order of `columns` (a value a row
    lacks is NULL, as in an INSERT that does not name it). SQLite: through each column
    type's own bind processor, the exact text SQLAlchemy would store — done here rather than
    by SQLAlchemy per row, whose per-row parameter handling was a third of writing an
    imported page. PostgreSQL: documents as JSON text (cast to jsonb in SQL), the rest as
    psycopg sends them in binary arrays. Generated as one expression: a loop over the
    columns cost a fifth of staging an order."""
    scope: dict[str, Any] = {}
    items = []
    for column in columns:
        if dialect_name == "sqlite":
            process = column.type.dialect_impl(_SQLITE).bind_processor(_SQLITE)
        else:
            process = _nullable_document if isinstance(column.type, JSON) else None
        value = f"values.get({column.name!r})"
        items.append(value if process is None else f"{bound(scope, process)}({value})")
    source = f"def make(values):\n    return ({', '.join(items)},)\n"
    return compiled(source, f"{dialect_name} {label} row", scope)  # type: ignore[no-any-return]


@functools.cache
def _row_makers(dialect_name: str) -> tuple[RowMaker, RowMaker]:
    """The dialect's makers of an order's row and of a line's (without its order's id)."""
    return (
        _row_maker(dialect_name, _written_columns(ORDERS), "order"),
        _row_maker(dialect_name, _LINE_COLUMNS[1:], "order line"),
    )


@attrs.frozen
class SqlOrderStaging:
    """Orders staged for one dialect's writes: the orders row with its lines as the driver
    takes them, the lines without their order's id (known once it is written). Needs no
    connection and pickles by the dialect's name: an import stages a page in another
    process, the parent then only sends the rows."""

    dialect: str

    def __call__(self, order: Order, feed: FeedDraft | None) -> StagedOrder:
        make_order, make_line = _row_makers(self.dialect)
        values = ORDER.values(order)
        values["revision"] = 1
        lines = tuple(
            make_line({"position": position, **LINE.values(line)})
            for position, line in enumerate(order.lines)
        )
        return StagedOrder.of(order, (make_order(values), lines), feed)


class SqlAlchemyOrderRepository(OnSession):
    """Orders in SQL under the version rule."""

    def upsert_all(self, orders: Sequence[Order]) -> Mapping[OrderKey, Verdict]:
        """Each snapshot stored if it is new or proves itself newer, with its lines."""
        stage = self.staging()
        return self.upsert_staged([stage(order, None) for order in orders])

    def staging(self) -> SqlOrderStaging:
        """Staging for this session's database."""
        return SqlOrderStaging(self._session.get_bind().dialect.name)

    def upsert_staged(self, staged: Sequence[StagedOrder]) -> Mapping[OrderKey, Verdict]:
        """Each staged snapshot stored if it is new or proves itself newer, with its lines:
        one multi-row upsert, one delete of the replaced orders' lines and one insert of the
        new lines, however many orders."""
        if not staged:
            return {}
        connection = self._session.connection()
        postgres = connection.dialect.name == "postgresql"
        rows = [order.row[0] for order in staged]
        if postgres:
            arrays = as_arrays(_written_columns(ORDERS), rows)
            returned = connection.exec_driver_sql(_unnest_upsert(), arrays).all()
        else:
            returned = self._sqlite_upsert(rows)
        written = {
            OrderKey(CompanyId(company_id), StoreId(store_id), source_id, source): (
                order_id,
                revision,
            )
            for order_id, revision, company_id, store_id, source, source_id in returned
        }
        replaced = [order_id for order_id, revision in written.values() if revision > 1]
        for chunk in chunks(replaced):
            self._session.execute(delete(LINES).where(LINES.c.order_id.in_(chunk)))
        lines = [
            (written[order.key][0], *line)
            for order in staged
            if order.key in written
            for line in order.row[1]
        ]
        if lines and postgres:
            connection.exec_driver_sql(_unnest_lines(), as_arrays(_LINE_COLUMNS, lines))
        elif lines:
            connection.exec_driver_sql(_sqlite_insert_lines(), lines)
        refused = self.versions([order.key for order in staged if order.key not in written])
        verdicts = {}
        for order in staged:
            if order.key in written:
                first = written[order.key][1] == 1
                verdicts[order.key] = Verdict.CREATE if first else Verdict.REPLACE
            else:
                verdicts[order.key] = judge(refused.get(order.key), version_of(order))
        return verdicts

    def _sqlite_upsert(self, rows: Sequence[tuple[Any, ...]]) -> list[Any]:
        per_statement = SQLITE_MAX_VARIABLES // len(_written_columns(ORDERS))
        connection = self._session.connection()
        returned: list[Any] = []
        for chunk in chunks(rows, per_statement):
            parameters = tuple(itertools.chain.from_iterable(chunk))
            returned += connection.exec_driver_sql(_sqlite_upsert(len(chunk)), parameters).all()
        return returned

    def get(self, key: OrderKey) -> Order | None:
        """The stored order with its lines."""
        row = one_row(self._session, select(ORDERS).where(_key_filter(key)))
        if row is None:
            return None
        lines = self._session.execute(
            select(LINES).where(LINES.c.order_id == row["id"]).order_by(LINES.c.position)
        ).mappings()
        return ORDER.build(row, lines=tuple(LINE.build(line) for line in lines))

    def versions(
        self, keys: Collection[OrderKey], lock: bool = False
    ) -> Mapping[OrderKey, OrderVersion]:
        """The stored version stamps, one query per store and source (and per 500 ids);
        with `lock`, their rows locked until the transaction ends, in id order (PostgreSQL;
        a SQLite writer holds the whole file already)."""
        ids_by_scope: defaultdict[tuple[str, str, str], list[int]] = defaultdict(list)
        for key in keys:
            ids_by_scope[(key.company_id, key.store_id, key.source)].append(key.source_id)
        dialect = self._session.get_bind().dialect.name
        found: dict[OrderKey, OrderVersion] = {}
        for (company_id, store_id, source), ids in ids_by_scope.items():
            ids.sort()
            for chunk in chunks(ids):
                scope = {"company_id": company_id, "store_id": store_id, "source": source}
                if dialect == "postgresql" and not lock:
                    stamps = self._session.execute(_probed_versions(), {**scope, "ids": chunk})
                elif dialect == "sqlite":
                    wanted = {f"id{number}": id_ for number, id_ in enumerate(chunk)}
                    statement = _sqlite_versions(len(chunk))
                    stamps = self._session.execute(statement, {**scope, **wanted})
                else:
                    query = select(*_VERSION_COLUMNS).where(
                        of_store(ORDERS, company_id, store_id, source=source),
                        ORDERS.c.source_id.in_(chunk),
                    )
                    if lock:
                        query = query.order_by(ORDERS.c.source_id).with_for_update()
                    stamps = self._session.execute(query)
                for source_id, *stamp in stamps:
                    key = OrderKey(CompanyId(company_id), StoreId(store_id), source_id, source)
                    found[key] = OrderVersion(*stamp)
        return found

    def mark_deleted(self, key: OrderKey, at: datetime) -> bool:
        """Record the deletion at the store once; the order and its lines stay."""
        marked = self._session.execute(
            update(ORDERS)
            .where(_key_filter(key), ORDERS.c.deleted_at_store.is_(None))
            .values(deleted_at_store=at)
            .returning(ORDERS.c.id)
        ).first()
        return marked is not None

    def source_ids(self, company_id: CompanyId, store_id: StoreId) -> set[int]:
        """WooCommerce ids of the store's orders not marked deleted."""
        rows = self._session.execute(
            select(ORDERS.c.source_id).where(
                of_store(ORDERS, company_id, store_id),
                ORDERS.c.deleted_at_store.is_(None),
            )
        )
        return {source_id for (source_id,) in rows}

    def unpublished(self, limit: int) -> Sequence[OrderKey]:
        """Orders without a feed state, the oldest stored first."""
        states = FEED_STATES
        rows = self._session.execute(
            select(*(ORDERS.c[name] for name in KEY_COLUMNS))
            .outerjoin(states, _ITS_STATE)
            .where(states.c.source_id.is_(None))
            .order_by(ORDERS.c.id)
            .limit(limit)
        )
        return [
            OrderKey(CompanyId(company_id), StoreId(store_id), source_id, source)
            for company_id, store_id, source, source_id in rows
        ]

    def open_lines(
        self, company_id: CompanyId, products: Collection[tuple[StoreId, int]]
    ) -> Sequence[OpenLine]:
        """The lines of those products in the company's open orders: one query per chunk
        of products, through the feed states' (company, shippable) index."""
        wanted = set(products)
        found: list[OpenLine] = []
        for chunk in chunks(sorted({product for _, product in wanted})):
            rows = self._session.execute(
                select(
                    *(ORDERS.c[name] for name in KEY_COLUMNS),
                    LINES.c.woo_line_id,
                    LINES.c.product_id,
                    LINES.c.variation_id,
                    LINES.c.quantity,
                )
                .select_from(FEED_STATES)
                .join(ORDERS, _ITS_STATE)
                .join(LINES, LINES.c.order_id == ORDERS.c.id)
                .where(
                    FEED_STATES.c.company_id == company_id,
                    FEED_STATES.c.shippable.in_(_OPEN),
                    LINES.c.product_id.in_(chunk),
                )
            )
            for row in rows.mappings():
                if (row["store_id"], row["product_id"]) in wanted:
                    key = OrderKey(
                        CompanyId(row["company_id"]),
                        StoreId(row["store_id"]),
                        row["source_id"],
                        row["source"],
                    )
                    found.append(
                        OpenLine(
                            key,
                            row["woo_line_id"],
                            row["product_id"],
                            row["variation_id"],
                            row["quantity"],
                        )
                    )
        return found

    def listed(self, query: OrderQuery) -> Sequence[ListedOrder]:
        """A keyset page of the company's orders by their row id, with their feed states."""
        states = FEED_STATES
        statement = (
            select(
                ORDERS,
                states.c.facets.label("feed_facets"),
                states.c.shippable.label("feed_shippable"),
                states.c.changed_at.label("feed_changed_at"),
                states.c.last_seq.label("feed_last_seq"),
            )
            .outerjoin(states, _ITS_STATE)
            .where(ORDERS.c.company_id == query.company_id, ORDERS.c.id > query.after)
        )
        if query.store_ids:
            statement = statement.where(ORDERS.c.store_id.in_(list(query.store_ids)))
        if query.woo_statuses:
            statement = statement.where(ORDERS.c.woo_status.in_(list(query.woo_statuses)))
        if query.shippable:
            statement = statement.where(
                states.c.shippable.in_([state.value for state in query.shippable])
            )
        if query.changed_after is not None:
            statement = statement.where(states.c.changed_at > query.changed_after)
        rows = self._session.execute(statement.order_by(ORDERS.c.id).limit(query.limit))
        found = rows.mappings().all()
        lines_of: defaultdict[int, list[OrderLine]] = defaultdict(list)
        for chunk in chunks([row["id"] for row in found]):
            for line in self._session.execute(
                select(LINES)
                .where(LINES.c.order_id.in_(chunk))
                .order_by(LINES.c.order_id, LINES.c.position)
            ).mappings():
                lines_of[line["order_id"]].append(LINE.build(line))
        return [
            ListedOrder(
                order=ORDER.build(row, lines=tuple(lines_of[row["id"]])),
                state=None
                if row["feed_facets"] is None
                else FeedState(
                    facets=orjson.loads(row["feed_facets"]),
                    shippable=Shipping(row["feed_shippable"]),
                    changed_at=row["feed_changed_at"],
                    last_seq=row["feed_last_seq"],
                ),
                cursor=row["id"],
            )
            for row in found
        ]

    def count(self, company_id: CompanyId, store_id: StoreId) -> int:
        """How many orders of the store are stored."""
        return self._session.execute(
            select(func.count()).select_from(ORDERS).where(of_store(ORDERS, company_id, store_id))
        ).scalar_one()
