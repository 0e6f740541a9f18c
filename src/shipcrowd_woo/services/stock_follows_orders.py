"""Orders move stock: what an open order reserves is off every store's level of its SKUs
(domain/availability.py), so a write that moves an order's reservations — it was imported,
its lines or quantities changed, it stopped or started shipping, it was refunded, fulfilled
or deleted — writes down a stock change of its SKUs for every store of the company, in the
writer's transaction. The unit of work schedules their pushes once it commits: a sale at one
store reaches the others within one push window."""

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime

from shipcrowd_woo.domain.availability import moves_reservations
from shipcrowd_woo.domain.feed import NewEvent
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.services.auto_push import note_stock_changes


def note_moved_reservations(
    uow: UnitOfWork,
    events: Sequence[NewEvent],
    products: Mapping[OrderKey, frozenset[int]],
    at: datetime,
) -> None:
    """Write down the SKUs of the orders whose `events` moved what they reserve; `products`
    holds each order's product and variation ids."""
    moved = [event.key for event in events if moves_reservations(event.changes)]
    if not moved:
        return
    by_store: dict[tuple[CompanyId, StoreId], set[int]] = {}
    for key in moved:
        by_store.setdefault((key.company_id, key.store_id), set()).update(products.get(key, ()))
    skus: dict[CompanyId, set[str]] = {}
    for (company_id, store_id), woo_ids in sorted(by_store.items()):
        if woo_ids:
            found = uow.mappings.for_products(company_id, store_id, woo_ids)
            skus.setdefault(company_id, set()).update(m.shipcrowd_sku for m in found)
    # Random, not the context's ids: only a newer note must differ from the one a push read.
    token = f"orders-{secrets.token_hex(8)}"
    for company_id, company_skus in sorted(skus.items()):
        note_stock_changes(uow, company_id, company_skus, at, token)
