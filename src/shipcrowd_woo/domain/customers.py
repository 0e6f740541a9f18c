"""Customer snapshots kept from `customer.*` webhooks."""

from datetime import datetime
from typing import Any

import attrs

from shipcrowd_woo.domain.ids import CompanyId, StoreId


@attrs.frozen
class CustomerSnapshot:
    """The latest customer record a store sent us."""

    company_id: CompanyId
    store_id: StoreId
    woo_customer_id: int
    email: str
    first_name: str
    last_name: str
    modified_at: datetime | None
    observed_at: datetime
    document: dict[str, Any] = attrs.field(factory=dict, hash=False, repr=False)
