"""Persistence: repositories of the domain's aggregates and the unit of work that binds them."""

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

import attrs

from shipcrowd_woo.domain.customers import CustomerSnapshot
from shipcrowd_woo.domain.feed import (
    EventType,
    FeedBounds,
    FeedDraft,
    FeedEvent,
    FeedState,
    NewEvent,
)
from shipcrowd_woo.domain.fulfilment import Fulfilment, FulfilmentId
from shipcrowd_woo.domain.ids import CompanyId, DeliveryId, JobId, MappingId, StoreId, SyncLogId
from shipcrowd_woo.domain.inventory import DEFAULT_WAREHOUSE, StockChange, WarehouseItem
from shipcrowd_woo.domain.jobs import JobRecord
from shipcrowd_woo.domain.mapping_rules import MappingFilter, ProductMapping
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.shipping import Shipping, ShippingRules
from shipcrowd_woo.domain.store import Store, Webhook
from shipcrowd_woo.domain.subscriptions import Subscription
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType
from shipcrowd_woo.domain.versions import Confirmation, OrderVersion, Verdict
from shipcrowd_woo.domain.webhook_health import WebhookHealth
from shipcrowd_woo.domain.webhooks import Delivery

CompanyWebhook = tuple[CompanyId, Webhook]


class StoreRepository(Protocol):
    """Stores, always scoped by company except for the scheduler's sweep."""

    def add(self, store: Store) -> None:
        """Insert a store; raises AlreadyExists when the company already has its URL."""
        ...

    def get(self, company_id: CompanyId, store_id: StoreId) -> Store:
        """The company's store; raises StoreNotFound for an unknown or foreign id."""
        ...

    def shipping_rules(self, company_id: CompanyId, store_id: StoreId) -> ShippingRules:
        """The store's shipping rules alone (what every feed write reads); StoreNotFound
        as `get`."""
        ...

    def find_by_url(self, company_id: CompanyId, url: str) -> Store | None:
        """The company's store at this normalised URL, active or not."""
        ...

    def list(self, company_id: CompanyId, page: PageRequest) -> Page[Store]:
        """The company's stores, newest first."""
        ...

    def syncable(self) -> Sequence[Store]:
        """Every active, unpaused store of every company (for the scheduler)."""
        ...

    def syncable_of(self, company_id: CompanyId) -> Sequence[Store]:
        """The company's active, unpaused stores."""
        ...

    def count_webhooks_unhealthy(self) -> int:
        """How many active, unpaused stores the last webhook check left unhealthy (one
        count, for the metrics scrape)."""
        ...

    def update(self, store: Store) -> None:
        """Save what a person changes (status, credentials, settings, versions).

        Counters, the order cursor and the last delivery time are left alone: they change
        concurrently and have their own atomic methods below.
        """
        ...

    def record_order_sync(
        self, store_id: StoreId, synced: int, at: datetime, cursor: datetime | None
    ) -> None:
        """Add `synced` orders to the count; move the cursor forward (never back)."""
        ...

    def record_inventory_sync(self, store_id: StoreId, at: datetime) -> None:
        """Count one inventory push."""
        ...

    def record_catalogue(self, store_id: StoreId, items: int, mapped: int) -> None:
        """Remember the catalogue size and mapped count of the last scan."""
        ...

    def record_webhook_check(self, store_id: StoreId, health: WebhookHealth) -> None:
        """Save what a webhook check found (state, since, checked, repaired); evidence of
        trouble is left alone."""
        ...

    def record_webhook_trouble(self, store_id: StoreId, at: datetime, reason: str) -> None:
        """Note evidence that deliveries may be lost (kept when newer than the noted one)."""
        ...

    def every_store(self) -> Sequence[Store]:
        """Every store of every company, connected or not (key rotation, key checks)."""
        ...


class WebhookRepository(Protocol):
    """Webhooks we registered at stores."""

    def add(self, webhook: Webhook) -> None:
        """Insert a webhook."""
        ...

    def for_store(self, store_id: StoreId) -> Sequence[Webhook]:
        """A store's webhooks."""
        ...

    def update(self, webhook: Webhook) -> None:
        """Save a changed webhook."""
        ...

    def remove(self, webhook_id: str) -> None:
        """Forget a webhook."""
        ...


@attrs.frozen
class StagedOrder:
    """An order made ready for one repository's write (`OrderRepository.staging`): its key
    and version stamp, and `row`, the repository's own form of it — opaque here, built
    without a connection and cheap to pickle, so that an import can stage a page's orders in
    another process."""

    key: OrderKey
    modified_at: datetime
    observed_at: datetime
    current_from: datetime | None
    fingerprint: str
    row: Any = attrs.field(repr=False)
    # What the feed publishes of it once written (None: a write that publishes nothing).
    feed: FeedDraft | None = attrs.field(repr=False)

    @classmethod
    def of(cls, order: Order, row: Any, feed: FeedDraft | None) -> "StagedOrder":
        """The order staged as `row`, with its key, version stamp and what the feed needs."""
        return cls(
            order.key,
            order.modified_at,
            order.observed_at,
            order.current_from,
            order.fingerprint,
            row,
            feed,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled flat: a page's staged orders cross from the preparing process, and attrs'
        # own pickling of this and its key cost 14 us an order both ways (12 like this).
        key = self.key
        stamps = (self.modified_at, self.observed_at, self.current_from, self.fingerprint)
        return (
            _staged,
            (key.company_id, key.store_id, key.source_id, key.source, *stamps, self.row, self.feed),
        )


def _staged(
    company_id: CompanyId,
    store_id: StoreId,
    source_id: int,
    source: str,
    modified_at: datetime,
    observed_at: datetime,
    current_from: datetime | None,
    fingerprint: str,
    row: Any,
    feed: FeedDraft | None,
) -> StagedOrder:
    key = OrderKey(company_id, store_id, source_id, source)
    return StagedOrder(key, modified_at, observed_at, current_from, fingerprint, row, feed)


class OrderRepository(Protocol):
    """Imported orders, written only under the version rule of `domain.versions`."""

    def upsert_all(self, orders: Sequence[Order]) -> Mapping[OrderKey, Verdict]:
        """Store each snapshot that is new or replaces the stored one (`versions.judge`),
        lines with it, in few statements; the verdict of each. The rule is applied
        atomically, under the row's lock: racing writers can only leave a version that
        proved itself newer than every one written before it."""
        ...

    def staging(self) -> Callable[[Order, FeedDraft | None], StagedOrder]:
        """How this repository stages an order (with what the feed will publish of it) for
        `upsert_staged`: a function that needs no connection and pickles (it may run in
        another process)."""
        ...

    def upsert_staged(self, staged: Sequence[StagedOrder]) -> Mapping[OrderKey, Verdict]:
        """`upsert_all` of orders this repository's `staging` staged."""
        ...

    def get(self, key: OrderKey) -> Order | None:
        """The stored order, if any."""
        ...

    def versions(
        self, keys: Collection[OrderKey], lock: bool = False
    ) -> Mapping[OrderKey, OrderVersion]:
        """The stored version stamps of those orders that exist; with `lock`, nobody else
        can change those orders until this unit of work ends."""
        ...

    def count(self, company_id: CompanyId, store_id: StoreId) -> int:
        """How many orders of the store are stored."""
        ...

    def mark_deleted(self, key: OrderKey, at: datetime) -> bool:
        """Record that the store deleted (or trashed) the order; False if unknown or already
        marked. The order itself is kept."""
        ...

    def source_ids(self, company_id: CompanyId, store_id: StoreId) -> set[int]:
        """WooCommerce ids of the store's orders not marked deleted."""
        ...

    def unpublished(self, limit: int) -> Sequence[OrderKey]:
        """Up to `limit` orders the feed never told of (stored before it existed)."""
        ...

    def open_lines(
        self, company_id: CompanyId, products: Collection[tuple[StoreId, int]]
    ) -> Sequence["OpenLine"]:
        """The lines, of these (store, product) pairs, of the company's open orders: those
        whose last feed event says ship or hold (an order the feed never told of is not
        open yet). A variation's line is found by its parent product."""
        ...

    def listed(self, query: "OrderQuery") -> Sequence["ListedOrder"]:
        """Up to `query.limit` of the company's orders that match, after `query.after`, in
        the order they were first stored (a keyset: no order is skipped or repeated while
        others are added)."""
        ...


@attrs.frozen
class OrderQuery:
    """Which of a company's orders to list; an empty collection filters nothing. `after` is
    the cursor of the last order of the previous page."""

    company_id: CompanyId
    limit: int
    after: int = 0
    store_ids: Collection[StoreId] = ()
    woo_statuses: Collection[str] = ()
    shippable: Collection[Shipping] = ()
    changed_after: datetime | None = None


@attrs.frozen
class ListedOrder:
    """An order of a listing, the feed's state of it (None before its first event), and its
    cursor."""

    order: Order
    state: FeedState | None
    cursor: int


@attrs.frozen
class OpenLine:
    """A line of an open order: what it holds of which product, as ordered."""

    key: OrderKey
    line_id: int | None
    product_id: int
    variation_id: int | None
    quantity: int


@attrs.frozen
class EventQuery:
    """Which of a company's events to read: those after `after`, at most `limit`, of these
    stores and types (empty: all)."""

    company_id: CompanyId
    after: int
    limit: int
    store_ids: Collection[StoreId] = ()
    types: Collection[EventType] = ()


class OrderFeedRepository(Protocol):
    """The order feed (a transactional outbox): events appended in the transaction of the
    change they tell, numbered per company in commit order, and each order's last state."""

    def states(self, keys: Collection[OrderKey]) -> Mapping[OrderKey, FeedState]:
        """The feed's state of those orders that have had an event."""
        ...

    def append(self, company_id: CompanyId, events: Sequence[NewEvent], at: datetime) -> None:
        """Append the events in this transaction: as it commits they are numbered after
        every event committed before (numbering last, it holds the company's feed only
        until the commit) and stored with their orders' states, which `states` sees at
        once."""
        ...

    def read(self, query: EventQuery) -> Sequence[FeedEvent]:
        """The events the query asks for, in sequence."""
        ...

    def bounds(self, company_id: CompanyId) -> FeedBounds:
        """Where the company's feed starts and ends."""
        ...

    def kept(self) -> int:
        """How many events every company's feed keeps (appended and not yet purged)."""
        ...

    def count(self, query: EventQuery) -> int:
        """How many events `read(query)` would give (at most the query's limit)."""
        ...

    def purge(self, occurred_before: datetime, batch_size: int) -> int:
        """Delete up to `batch_size` events older than that, every company's oldest first,
        moving each feed's start on; how many were deleted."""
        ...


class SubscriptionRepository(Protocol):
    """Push subscriptions of the feed, and who is delivering each (a hold that lapses, so a
    killed deliverer's subscription is taken up again)."""

    def add(self, subscription: Subscription) -> None:
        """Insert a subscription."""
        ...

    def get(self, company_id: CompanyId, subscription_id: str) -> Subscription:
        """The company's subscription (SubscriptionNotFound otherwise)."""
        ...

    def listed(self, company_id: CompanyId) -> Sequence[Subscription]:
        """The company's subscriptions, oldest first."""
        ...

    def every(self) -> Sequence[Subscription]:
        """Every company's subscriptions (for metrics and the scheduler)."""
        ...

    def remove(self, company_id: CompanyId, subscription_id: str) -> None:
        """Delete the company's subscription (SubscriptionNotFound otherwise)."""
        ...

    def save(self, subscription: Subscription) -> None:
        """Save a subscription changed by its owner (settings, state, secrets; never the
        cursor), dropping any hold on it: the deliverer stops at its next step rather than
        write its older state over this one."""
        ...

    def claim(self, now: datetime, holder: str, until: datetime) -> Subscription | None:
        """Take one subscription to deliver: active, due, held by nobody (or by a holder
        whose hold lapsed) and with events after its cursor; held by `holder` until
        `until`. The one held longest ago goes first."""
        ...

    def progress(self, subscription: Subscription, holder: str, until: datetime) -> bool:
        """Save a held subscription's delivery state (cursor, failures, state) and extend
        the hold; False, saving nothing, when `holder` no longer holds it (its hold lapsed
        and another took it, or it was deleted)."""
        ...

    def release(self, subscription_id: str, holder: str) -> None:
        """Give up the hold (nothing when `holder` no longer has it)."""
        ...


class MappingRepository(Protocol):
    """Product mappings, unique per (company, store, product, variation)."""

    def add(self, mapping: ProductMapping) -> None:
        """Insert a mapping; raises AlreadyExists when its target is already mapped."""
        ...

    def get(self, company_id: CompanyId, mapping_id: MappingId) -> ProductMapping:
        """The company's mapping; raises MappingNotFound otherwise."""
        ...

    def for_store(self, company_id: CompanyId, store_id: StoreId) -> Sequence[ProductMapping]:
        """Every mapping of the store."""
        ...

    def for_products(
        self, company_id: CompanyId, store_id: StoreId, woo_ids: Collection[int]
    ) -> Sequence[ProductMapping]:
        """The store's mappings whose product or variation id is among `woo_ids`."""
        ...

    def for_skus(
        self, company_id: CompanyId, store_id: StoreId | None, skus: Collection[str]
    ) -> Sequence[ProductMapping]:
        """The store's mappings to any of these Shipcrowd SKUs (None: every store's of the
        company)."""
        ...

    def page(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        criteria: MappingFilter,
        page: PageRequest,
    ) -> Page[ProductMapping]:
        """A filtered page of the store's mappings, by product and variation."""
        ...

    def add_all(self, mappings: Sequence[ProductMapping]) -> None:
        """Insert many mappings at once (a CSV import, an auto-mapping); raises
        AlreadyExists when any target is already mapped, and the unit of work must then not
        be committed."""
        ...

    def update(self, mapping: ProductMapping) -> None:
        """Save a changed mapping."""
        ...

    def update_all(self, mappings: Sequence[ProductMapping]) -> None:
        """Save many changed mappings at once."""
        ...

    def remove(self, company_id: CompanyId, mapping_id: MappingId) -> None:
        """Delete a mapping; raises MappingNotFound otherwise."""
        ...


class SyncLogRepository(Protocol):
    """Sync logs, newest first."""

    def add(self, log: SyncLog) -> None:
        """Insert a log."""
        ...

    def update(self, log: SyncLog) -> None:
        """Save a changed log."""
        ...

    def get(self, log_id: SyncLogId) -> SyncLog | None:
        """A log by id."""
        ...

    def page(
        self, store_id: StoreId, sync_type: SyncType | None, page: PageRequest
    ) -> Page[SyncLog]:
        """A store's logs, optionally of one type, newest first."""
        ...

    def delete_started_before(self, cutoff: datetime, batch_size: int) -> int:
        """Delete up to `batch_size` logs started before `cutoff`; return how many went."""
        ...

    def in_progress_since_before(self, cutoff: datetime, limit: int) -> Sequence[SyncLog]:
        """Runs still IN_PROGRESS that started before `cutoff`, oldest first (their worker
        died: a live run never outlasts the job time limit)."""
        ...


class DeliveryInbox(Protocol):
    """Verified webhook deliveries awaiting or done with processing."""

    def add(self, delivery: Delivery) -> bool:
        """Keep a delivery; False when the same store, topic and body hash is already kept."""
        ...

    def get(self, delivery_id: DeliveryId) -> Delivery | None:
        """A delivery by id."""
        ...

    def settle(
        self, ids: Collection[DeliveryId], at: datetime, failures: Mapping[DeliveryId, str]
    ) -> set[DeliveryId]:
        """Mark the deliveries among `ids` that are still received as processed at `at` —
        those in `failures` as failed, with the reason — and return their ids. The others
        were settled already: whoever settles a delivery applies its effects, in the same
        transaction, so they are applied once."""
        ...


class WarehouseRepository(Protocol):
    """Shipcrowd's SKUs and stock per company (fed by the warehouse)."""

    def upsert(self, items: Sequence[WarehouseItem]) -> None:
        """Insert or replace the items (company, warehouse and SKU identify one)."""
        ...

    def items(self, company_id: CompanyId) -> Sequence[WarehouseItem]:
        """Every SKU of the company, in each warehouse that reported it."""
        ...

    def quantities(
        self,
        company_id: CompanyId,
        skus: Sequence[str],
        warehouses: Collection[str] | None = None,
    ) -> dict[str, int]:
        """Stock on hand of the given SKUs that the warehouses know, summed over those
        warehouses (None: all of them)."""
        ...

    def decrement(
        self,
        company_id: CompanyId,
        shipped: Mapping[str, int],
        at: datetime,
        warehouse: str = DEFAULT_WAREHOUSE,
    ) -> dict[str, int]:
        """Take shipped units off the warehouse's known SKUs among `shipped`, never below
        zero, each in one statement (a level recorded meanwhile is not overwritten with a
        stale one); returns their new levels there."""
        ...


class StockChangeRepository(Protocol):
    """Stock changes waiting to be pushed to a store by themselves."""

    def note(self, changes: Sequence[StockChange]) -> None:
        """Record changes; a (store, SKU) already waiting takes the newer token and time."""
        ...

    def for_store(self, store_id: StoreId, limit: int) -> Sequence[StockChange]:
        """The store's waiting changes, oldest first."""
        ...

    def remove(self, taken: Sequence[StockChange]) -> int:
        """Remove the changes a push read, unless a newer change replaced one since (its
        token differs); returns how many went."""
        ...

    def waiting_since(self, changed_before: datetime, limit: int) -> Sequence[StockChange]:
        """One waiting change (the oldest) of each store that has waited since before
        `changed_before`: pushes that never came."""
        ...


class FulfilmentRepository(Protocol):
    """Fulfilments of orders, scoped by company."""

    def add(self, fulfilment: Fulfilment) -> None:
        """Insert one; raises AlreadyExists when the order already has one with its key."""
        ...

    def get(self, company_id: CompanyId, fulfilment_id: FulfilmentId) -> Fulfilment:
        """The company's fulfilment; FulfilmentNotFound for an unknown or foreign id."""
        ...

    def find_by_key(
        self, company_id: CompanyId, store_id: StoreId, order_id: int, key: str
    ) -> Fulfilment | None:
        """The order's fulfilment with this key, if any."""
        ...

    def for_order(
        self, company_id: CompanyId, store_id: StoreId, order_id: int
    ) -> Sequence[Fulfilment]:
        """The order's fulfilments, oldest first."""
        ...

    def for_orders(
        self, company_id: CompanyId, store_id: StoreId, order_ids: Collection[int]
    ) -> Sequence[Fulfilment]:
        """The fulfilments of those orders of the store, oldest first."""
        ...

    def update(self, fulfilment: Fulfilment) -> None:
        """Save a fulfilment's progress."""
        ...


class CustomerRepository(Protocol):
    """Customer snapshots from webhooks."""

    def upsert(self, snapshot: CustomerSnapshot) -> bool:
        """Keep the snapshot unless a newer one is stored; True when it was kept."""
        ...

    def get(
        self, company_id: CompanyId, store_id: StoreId, woo_customer_id: int
    ) -> CustomerSnapshot | None:
        """A stored snapshot."""
        ...


class JobRepository(Protocol):
    """Background jobs and their states."""

    def add(self, record: JobRecord) -> None:
        """Insert a job record."""
        ...

    def get(self, company_id: CompanyId, job_id: JobId) -> JobRecord:
        """The company's job; raises JobNotFound for another's."""
        ...

    def find(self, job_id: JobId) -> JobRecord | None:
        """A job by id, whoever it belongs to (for the workers)."""
        ...

    def update(self, record: JobRecord) -> None:
        """Save a job's progress."""
        ...

    def stalled_before(self, moment: datetime, limit: int) -> Sequence[JobRecord]:
        """Jobs QUEUED or RUNNING whose state has not changed since before `moment`, oldest
        first: their message was lost, or the process running them died with it."""
        ...

    def claim_stalled(self, before: datetime, now: datetime, limit: int) -> Sequence[JobRecord]:
        """stalled_before(before, limit), each marked touched at `now` in this transaction
        (nothing else of it changed): a claim made elsewhere meanwhile gets none of them."""
        ...


class ConfirmationRepository(Protocol):
    """Orders waiting to be confirmed from their store (see `versions.Confirmation`)."""

    def note(self, confirmations: Sequence[Confirmation]) -> None:
        """Record them, in any order (the repository locks its rows in one order); an order
        already waiting takes the later `noted_at`."""
        ...

    def due(self, store_id: StoreId, noted_before: datetime, limit: int) -> Sequence[Confirmation]:
        """The store's confirmations noted before that moment, oldest first."""
        ...

    def settle(self, key: OrderKey, current_from: datetime) -> bool:
        """Remove the order's confirmation if a fetch current from that moment settles it
        (`versions.settles`); one noted again meanwhile stays. True when removed."""
        ...

    def waiting(self, noted_before: datetime, limit: int) -> Sequence[tuple[CompanyId, StoreId]]:
        """The active, unpaused stores with confirmations noted before that moment: ones
        whose confirming job was lost or gave up."""
        ...


# Told, once a unit of work committed, of the stores it noted stock changes for (by company):
# their pushes are scheduled then.
StockNoted = Callable[[Mapping[CompanyId, set[StoreId]]], None]


class UnitOfWork(Protocol):
    """One transaction over every repository; rolls back unless `commit()` was called."""

    @property
    def stores(self) -> StoreRepository:
        """Stores, in this transaction."""
        ...

    @property
    def feed(self) -> OrderFeedRepository:
        """The order feed, in this transaction."""
        ...

    @property
    def webhooks(self) -> WebhookRepository:
        """Webhooks, in this transaction."""
        ...

    @property
    def subscriptions(self) -> SubscriptionRepository:
        """Push subscriptions of the feed, in this transaction."""
        ...

    @property
    def orders(self) -> OrderRepository:
        """Orders, in this transaction."""
        ...

    @property
    def mappings(self) -> MappingRepository:
        """Product mappings, in this transaction."""
        ...

    @property
    def sync_logs(self) -> SyncLogRepository:
        """Sync logs, in this transaction."""
        ...

    @property
    def deliveries(self) -> DeliveryInbox:
        """The webhook inbox, in this transaction."""
        ...

    @property
    def warehouse(self) -> WarehouseRepository:
        """Warehouse SKUs and stock, in this transaction."""
        ...

    @property
    def customers(self) -> CustomerRepository:
        """Customer snapshots, in this transaction."""
        ...

    @property
    def jobs(self) -> JobRepository:
        """Background jobs, in this transaction."""
        ...

    @property
    def fulfilments(self) -> FulfilmentRepository:
        """Fulfilments, in this transaction."""
        ...

    @property
    def stock_changes(self) -> StockChangeRepository:
        """Stock changes waiting to be pushed, in this transaction."""
        ...

    @property
    def confirmations(self) -> ConfirmationRepository:
        """Orders waiting to be confirmed from their store, in this transaction."""
        ...

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and release the connection."""
        ...

    def commit(self) -> None:
        """Make the changes so far permanent."""
        ...

    def rollback(self) -> None:
        """Discard the changes since the last commit."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
"""Opens a new unit of work; services open one per transaction they need."""
