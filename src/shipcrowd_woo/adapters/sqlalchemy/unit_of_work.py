"""The unit of work: one session, one transaction, every repository."""

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from shipcrowd_woo.adapters.sqlalchemy.orders import SqlAlchemyOrderRepository
from shipcrowd_woo.adapters.sqlalchemy.repositories import (
    SqlAlchemyCustomerRepository,
    SqlAlchemyDeliveryInbox,
    SqlAlchemyJobRepository,
    SqlAlchemyMappingRepository,
    SqlAlchemyStoreRepository,
    SqlAlchemySyncLogRepository,
    SqlAlchemyWarehouseRepository,
    SqlAlchemyWebhookRepository,
)


class SqlAlchemyUnitOfWork:
    """Rolls back on exit unless `commit()` was called; the session closes on exit."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

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
        self._session.commit()

    def rollback(self) -> None:
        """Discard the changes since the last commit."""
        self._session.rollback()
