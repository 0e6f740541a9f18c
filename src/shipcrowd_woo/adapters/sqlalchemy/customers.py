"""Customer snapshots in SQL, the newest kept."""

from datetime import UTC, datetime

from sqlalchemy import func, literal, select, tuple_

from shipcrowd_woo.adapters.sqlalchemy.rows import RowShape
from shipcrowd_woo.adapters.sqlalchemy.statements import OnSession, of_store, one_row, upsert_into
from shipcrowd_woo.adapters.sqlalchemy.tables import CustomerRow, table_of
from shipcrowd_woo.adapters.sqlalchemy.types import UtcDateTime
from shipcrowd_woo.domain.customers import CustomerSnapshot
from shipcrowd_woo.domain.ids import CompanyId, StoreId

CUSTOMERS = table_of(CustomerRow)
CUSTOMER = RowShape(CustomerSnapshot)


class SqlAlchemyCustomerRepository(OnSession):
    """Customer snapshots in SQL, newest kept."""

    def upsert(self, snapshot: CustomerSnapshot) -> bool:
        """Keep the snapshot unless a later one is stored."""
        values = CUSTOMER.values(snapshot)
        statement = upsert_into(self._session, CUSTOMERS).values(values)
        incoming = statement.excluded
        epoch = literal(datetime(1970, 1, 1, tzinfo=UTC), UtcDateTime())
        written = self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["company_id", "store_id", "woo_customer_id"],
                set_={
                    name: incoming[name]
                    for name in values
                    if name not in ("company_id", "store_id", "woo_customer_id")
                },
                where=tuple_(func.coalesce(CUSTOMERS.c.modified_at, epoch), CUSTOMERS.c.observed_at)
                < tuple_(func.coalesce(incoming.modified_at, epoch), incoming.observed_at),
            ).returning(CUSTOMERS.c.woo_customer_id)
        ).first()
        return written is not None

    def get(
        self, company_id: CompanyId, store_id: StoreId, woo_customer_id: int
    ) -> CustomerSnapshot | None:
        """A stored snapshot."""
        query = select(CUSTOMERS).where(
            of_store(CUSTOMERS, company_id, store_id, woo_customer_id=woo_customer_id)
        )
        row = one_row(self._session, query)
        return None if row is None else CUSTOMER.build(row)
