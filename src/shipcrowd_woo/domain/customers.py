"""Customer snapshots kept from `customer.*` webhooks."""

from datetime import datetime
from typing import Any

import attrs

from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.transform import gmt_or_none
from shipcrowd_woo.domain.woo_catalog import WooCustomer

# An e-mail address is at most 320 characters (RFC 3696); names are kept to the same.
MAX_CUSTOMER_TEXT = 320


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


def customer_snapshot(
    customer: WooCustomer,
    company_id: CompanyId,
    store_id: StoreId,
    observed_at: datetime,
    document: dict[str, Any],
) -> CustomerSnapshot:
    """What we keep of a customer a store sent (total: every WooCustomer gives one)."""
    return CustomerSnapshot(
        company_id=company_id,
        store_id=store_id,
        woo_customer_id=customer.id,
        email=customer.email.strip()[:MAX_CUSTOMER_TEXT],
        first_name=customer.first_name.strip()[:MAX_CUSTOMER_TEXT],
        last_name=customer.last_name.strip()[:MAX_CUSTOMER_TEXT],
        modified_at=gmt_or_none(customer.date_modified_gmt),
        observed_at=observed_at,
        document=document,
    )
