"""Persistence: repositories of the domain's aggregates and the unit of work that binds them."""

from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from shipcrowd_woo.domain.ids import CompanyId, DeliveryId, MappingId, StoreId, SyncLogId
from shipcrowd_woo.domain.mapping_rules import ProductMapping
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.store import Store, Webhook
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType
from shipcrowd_woo.domain.versions import OrderVersion, Verdict
from shipcrowd_woo.domain.webhooks import Delivery


class StoreRepository(Protocol):
    """Stores, always scoped by company except for the scheduler's sweep."""

    def add(self, store: Store) -> None:
        """Insert a store; raises AlreadyExists when the company already has its URL."""
        ...

    def get(self, company_id: CompanyId, store_id: StoreId) -> Store:
        """The company's store; raises StoreNotFound for an unknown or foreign id."""
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

    def update(self, store: Store) -> None:
        """Save a changed store."""
        ...


class WebhookRepository(Protocol):
    """Webhooks we registered at stores."""

    def add(self, webhook: Webhook) -> None:
        """Insert a webhook."""
        ...

    def for_store(self, store_id: StoreId) -> Sequence[Webhook]:
        """A store's webhooks."""
        ...

    def find(self, store_id: StoreId, woo_webhook_id: int) -> Webhook | None:
        """The webhook a delivery names by its X-WC-Webhook-ID."""
        ...

    def update(self, webhook: Webhook) -> None:
        """Save a changed webhook."""
        ...

    def remove(self, webhook_id: str) -> None:
        """Forget a webhook."""
        ...


class OrderRepository(Protocol):
    """Imported orders, written only under the version rule of `domain.versions`."""

    def upsert(self, order: Order) -> Verdict:
        """Store the snapshot if it is new or replaces the stored one; lines go with it.

        The rule is applied atomically: racing writers leave the latest version, once.
        """
        ...

    def get(self, key: OrderKey) -> Order | None:
        """The stored order, if any."""
        ...

    def version(self, key: OrderKey) -> OrderVersion | None:
        """The stored version stamp, if any."""
        ...

    def count(self, company_id: CompanyId, store_id: StoreId) -> int:
        """How many orders of the store are stored."""
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

    def update(self, mapping: ProductMapping) -> None:
        """Save a changed mapping."""
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


class DeliveryInbox(Protocol):
    """Verified webhook deliveries awaiting or done with processing."""

    def add(self, delivery: Delivery) -> bool:
        """Keep a delivery; False when the same store, topic and body hash is already kept."""
        ...

    def get(self, delivery_id: DeliveryId) -> Delivery | None:
        """A delivery by id."""
        ...

    def update(self, delivery: Delivery) -> None:
        """Save a delivery's processing state."""
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository; rolls back unless `commit()` was called."""

    @property
    def stores(self) -> StoreRepository:
        """Stores, in this transaction."""
        ...

    @property
    def webhooks(self) -> WebhookRepository:
        """Webhooks, in this transaction."""
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
