"""Identifiers shared across the core."""

from typing import NewType

CompanyId = NewType("CompanyId", str)
StoreId = NewType("StoreId", str)
SyncLogId = NewType("SyncLogId", str)
MappingId = NewType("MappingId", str)
DeliveryId = NewType("DeliveryId", str)
JobId = NewType("JobId", str)

# The widest id WooCommerce can hand out that we keep: its tables use BIGINT UNSIGNED, ours
# signed BIGINT.
LARGEST_WOO_ID = 2**63 - 1
