"""Identifiers shared across the core."""

from typing import NewType

CompanyId = NewType("CompanyId", str)
StoreId = NewType("StoreId", str)
SyncLogId = NewType("SyncLogId", str)
MappingId = NewType("MappingId", str)
DeliveryId = NewType("DeliveryId", str)
JobId = NewType("JobId", str)
