"""Writing imported, delivered or fetched orders: one rule on every path.

Every writer stages its snapshots with their stamps (`domain.versions`) and hands them to
`write_orders`, inside its own transaction: the repository's upsert writes what proves itself
newer, and each snapshot left unsettled — the same modification second, other content, and no
proof either way — is noted, in that same transaction, for a confirmation from the store
(services/confirmations.py). No writer asks the store itself or retries on a race: whatever
interleaves, the stored version only moves to one proved newer, and anything not proved is
confirmed later by a fetch that is.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

import attrs

from shipcrowd_woo.domain.feed import NewEvent
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.rejections import Rejection
from shipcrowd_woo.domain.shipping import ShippingRules
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.transform import TransformContext, transform_order
from shipcrowd_woo.domain.versions import (
    Confirmation,
    Verdict,
    current_from_request,
    judge,
    version_of,
)
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.ports.repositories import StagedOrder, UnitOfWork, UnitOfWorkFactory
from shipcrowd_woo.services.feed_publishing import drafted, publish


def transform_context(
    store: Store, observed_at: datetime, requested_at: datetime | None = None
) -> TransformContext:
    """How orders of this store are read: received at `observed_at`, and — for a fetch — by
    a request sent at `requested_at` (its proof starts the clock tolerance earlier)."""
    return TransformContext(
        company_id=store.company_id,
        store_id=store.id,
        observed_at=observed_at,
        current_from=None if requested_at is None else current_from_request(requested_at),
        store_currency=store.currency or None,
        store_decimals=store.currency_decimals,
    )


def fetched(
    store: Store, fetch: Callable[[], WooOrder | Rejection], now: Callable[[], datetime]
) -> Order | Rejection:
    """The order `fetch` reads from the store (a GET, or the answer to a PUT), stamped as a
    fetch: the request is sent after `now()` and has been answered by the next `now()`."""
    requested_at = now()
    woo = fetch()
    if isinstance(woo, Rejection):
        return woo
    return transform_order(woo, transform_context(store, now(), requested_at))


@attrs.frozen
class Written:
    """What `write_orders` did: the verdict of each snapshot, the stores whose orders it
    noted for confirmation (to schedule once the transaction is committed), and the events
    it appended to the feed."""

    verdicts: Mapping[OrderKey, Verdict]
    to_confirm: frozenset[tuple[CompanyId, StoreId]]
    events: Sequence[NewEvent] = ()

    def count(self, verdict: Verdict) -> int:
        """How many snapshots got `verdict`."""
        return sum(1 for each in self.verdicts.values() if each is verdict)


def write_orders(
    uow: UnitOfWork, orders: Sequence[Order], now: datetime, doubtful: Collection[OrderKey] = ()
) -> Written:
    """Write the snapshots under the version rule, in the caller's transaction, and note for
    confirmation every order left unsettled — and those in `doubtful`, which the caller saw
    unsettled between snapshots of its own. Each snapshot written is published to the feed
    in the same transaction (services/feed_publishing.py)."""
    stage = uow.orders.staging()
    rules: dict[tuple[CompanyId, StoreId], ShippingRules] = {}
    staged = []
    for order in orders:
        scope = (order.key.company_id, order.key.store_id)
        if scope not in rules:
            rules[scope] = uow.stores.get(*scope).shipping
        staged.append(stage(order, drafted(order, rules[scope])))
    return write_staged(uow, staged, now, doubtful)


def write_staged(
    uow: UnitOfWork,
    staged: Sequence[StagedOrder],
    now: datetime,
    doubtful: Collection[OrderKey] = (),
) -> Written:
    """`write_orders` of snapshots the repository staged (an import's pages)."""
    staged = sorted(staged, key=_by_id)
    verdicts = uow.orders.upsert_staged(staged)
    unsettled = {key for key, verdict in verdicts.items() if verdict is Verdict.UNSETTLED}
    unsettled.update(doubtful)
    uow.confirmations.note([Confirmation(key, now) for key in unsettled])
    # The upsert holds the rows it wrote until commit: these events follow those versions.
    written = {o.key: o.feed for o in staged if verdicts[o.key].writes and o.feed is not None}
    created = {key for key, verdict in verdicts.items() if verdict is Verdict.CREATE}
    events = publish(uow, written, now, created)
    return Written(verdicts, frozenset((key.company_id, key.store_id) for key in unsettled), events)


def _by_id(order: Order | StagedOrder) -> int:
    # One lock order for every writer: no two transactions wait on each other's rows.
    return order.key.source_id


def changed(reads: UnitOfWorkFactory, staged: Sequence[StagedOrder]) -> list[StagedOrder]:
    """The snapshots that could change what is stored, read without a write lock: one the
    stored version already holds, or is provably newer than, never will (the stored version
    only moves to newer ones), so an import need not send it."""
    with reads() as uow:
        stored = uow.orders.versions([order.key for order in staged])
    return [
        order
        for order in staged
        if judge(stored.get(order.key), version_of(order)) not in (Verdict.UNCHANGED, Verdict.STALE)
    ]
