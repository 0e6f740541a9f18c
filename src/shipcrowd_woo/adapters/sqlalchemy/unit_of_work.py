"""The unit of work: one session, one transaction, every repository."""

import logging
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from shipcrowd_woo.adapters.sqlalchemy.confirmations import SqlAlchemyConfirmationRepository
from shipcrowd_woo.adapters.sqlalchemy.customers import SqlAlchemyCustomerRepository
from shipcrowd_woo.adapters.sqlalchemy.feed import SqlAlchemyOrderFeedRepository
from shipcrowd_woo.adapters.sqlalchemy.fulfilments import SqlAlchemyFulfilmentRepository
from shipcrowd_woo.adapters.sqlalchemy.inbox import SqlAlchemyDeliveryInbox
from shipcrowd_woo.adapters.sqlalchemy.jobs import SqlAlchemyJobRepository
from shipcrowd_woo.adapters.sqlalchemy.mappings import SqlAlchemyMappingRepository
from shipcrowd_woo.adapters.sqlalchemy.orders import SqlAlchemyOrderRepository
from shipcrowd_woo.adapters.sqlalchemy.stock_changes import SqlAlchemyStockChangeRepository
from shipcrowd_woo.adapters.sqlalchemy.stores import SqlAlchemyStoreRepository
from shipcrowd_woo.adapters.sqlalchemy.subscriptions import SqlAlchemySubscriptionRepository
from shipcrowd_woo.adapters.sqlalchemy.sync_logs import SqlAlchemySyncLogRepository
from shipcrowd_woo.adapters.sqlalchemy.warehouse import SqlAlchemyWarehouseRepository
from shipcrowd_woo.adapters.sqlalchemy.webhooks import SqlAlchemyWebhookRepository
from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.ports.repositories import StockNoted

log = logging.getLogger("shipcrowd_woo.feed")


class ReadOnlyUnitOfWork(RuntimeError):
    """A use case tried to write through a unit of work opened for reading: a bug."""


class SqlAlchemyUnitOfWork:
    """Rolls back on exit unless `commit()` was called; the session closes on exit. A
    read-only one (its sessions on a READ_ONLY engine, see engine.py) refuses to commit."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        read_only: bool = False,
        announce: Callable[[Collection[CompanyId]], None] | None = None,
        stock_noted: StockNoted | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._read_only = read_only
        self._announce = announce
        self._stock_noted = stock_noted

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        self.stores = SqlAlchemyStoreRepository(self._session)
        self.webhooks = SqlAlchemyWebhookRepository(self._session)
        self.orders = SqlAlchemyOrderRepository(self._session)
        self.mappings = SqlAlchemyMappingRepository(self._session)
        self.sync_logs = SqlAlchemySyncLogRepository(self._session)
        self.deliveries = SqlAlchemyDeliveryInbox(self._session)
        self.warehouse = SqlAlchemyWarehouseRepository(self._session)
        self.customers = SqlAlchemyCustomerRepository(self._session)
        self.jobs = SqlAlchemyJobRepository(self._session)
        self.fulfilments = SqlAlchemyFulfilmentRepository(self._session)
        self.stock_changes = SqlAlchemyStockChangeRepository(self._session)
        self.confirmations = SqlAlchemyConfirmationRepository(self._session)
        self.feed = SqlAlchemyOrderFeedRepository(self._session)
        self.subscriptions = SqlAlchemySubscriptionRepository(self._session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._session.rollback()
        finally:
            self._session.close()

    def commit(self) -> None:
        """Make the changes so far permanent."""
        if self._read_only:
            raise ReadOnlyUnitOfWork("a unit of work opened for reading cannot commit")
        self.feed.flush()
        self._session.commit()
        noted = self.stock_changes.take_noted()
        if noted and self._stock_noted is not None:
            try:
                self._stock_noted(noted)
            except Exception:
                # Committed all the same: the scheduler's sweep pushes changes left waiting.
                log.warning("the pushes of noted stock changes were not scheduled", exc_info=True)
        appended = self.feed.take_appended()
        if appended and self._announce is not None:
            try:
                self._announce(appended)
            except Exception:
                # Committed all the same: waiting readers find the events at their next
                # read (a long poll's timeout at the latest).
                log.warning("the feed's readers could not be told of a commit", exc_info=True)

    def rollback(self) -> None:
        """Discard the changes since the last commit."""
        self._session.rollback()
        self.feed.forget_appended()
        self.stock_changes.take_noted()
