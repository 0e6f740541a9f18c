"""Writing imported or delivered orders: the same rule on every path.

Before a write, each incoming snapshot is compared with the stored version; when the two claim
the same modification second but differ in content, arrival order proves nothing (a real store
sent `pending` then `processing` within one second), so the order is fetched from the store
and that authoritative snapshot is written instead.
"""

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Generic, TypeVar

import attrs

from shipcrowd_woo.domain.errors import StoreClientError
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.transform import TransformContext, transform_order
from shipcrowd_woo.domain.versions import (
    OrderVersion,
    Stamped,
    Verdict,
    conflicts_since,
    is_same_second_conflict,
    judge,
    version_of,
)
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.ports.repositories import UnitOfWorkFactory
from shipcrowd_woo.ports.store_client import StoreClient

log = logging.getLogger("shipcrowd_woo.orders")
# Another writer racing a write's orders is rare; twice in a row rarer still.
MAX_WRITE_ATTEMPTS = 3


def transform_context(store: Store, observed_at: datetime) -> TransformContext:
    """How orders of this store are read."""
    return TransformContext(
        company_id=store.company_id,
        store_id=store.id,
        observed_at=observed_at,
        store_currency=store.currency or None,
        store_decimals=store.currency_decimals,
    )


def refetcher(
    store: Store, client: StoreClient, now: Callable[[], datetime]
) -> Callable[[int], Order | None]:
    """Fetch one order from the store and transform it, observed now; None if it fails."""

    def refetch(source_id: int) -> Order | None:
        try:
            woo = client.get_order(source_id)
        except StoreClientError as error:
            log.warning("could not confirm order %s at %s: %s", source_id, store.url, error.detail)
            return None
        if not isinstance(woo, WooOrder):
            return None
        order = transform_order(woo, transform_context(store, now()))
        return order if isinstance(order, Order) else None

    return refetch


S = TypeVar("S", bound=Stamped)


@attrs.frozen
class Confirmed(Generic[S]):
    """The snapshots to write (orders, or orders staged for writing), in the one lock order
    every writer uses, and the versions stored when they were compared."""

    orders: list[S]
    stored: Mapping[OrderKey, OrderVersion]

    def changed(self) -> list[S]:
        """The snapshots that differ from what is stored: an identical one could not be
        written (the upsert's rule), so it need not be sent."""
        return [
            order
            for order in self.orders
            if judge(self.stored.get(order.key), version_of(order)) is not Verdict.UNCHANGED
        ]

    def raced(self, orders: Iterable[S], stored_now: Mapping[OrderKey, OrderVersion]) -> bool:
        """Whether another writer, between the comparison and `stored_now`, turned one of
        `orders` into a same-second conflict: compared again, it goes to the store."""
        return any(
            conflicts_since(self.stored.get(o.key), stored_now.get(o.key), version_of(o))
            for o in orders
        )


def confirm_same_second(
    uow_factory: UnitOfWorkFactory,
    orders: Sequence[S],
    refetch: Callable[[int], S | None],
    doubtful: Collection[OrderKey] = (),
) -> Confirmed[S]:
    """Each incoming snapshot, or the store's current one where the incoming snapshot ties
    with the stored version's second but differs from it (or is `doubtful` for another
    reason: it tied with another incoming one); with the stored versions (read in one
    query) they were compared with."""
    with uow_factory() as uow:
        stored = uow.orders.versions([order.key for order in orders])
    confirmed = []
    for order in orders:
        version = stored.get(order.key)
        conflict = version is not None and is_same_second_conflict(version, version_of(order))
        if conflict or order.key in doubtful:
            fresh = refetch(order.key.source_id)
            confirmed.append(fresh if fresh is not None else order)
        else:
            confirmed.append(order)
    # One lock order for every writer: no two transactions wait on each other's rows.
    return Confirmed(sorted(confirmed, key=lambda o: o.key.source_id), stored)
