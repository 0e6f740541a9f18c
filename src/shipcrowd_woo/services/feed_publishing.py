"""Publishing orders' changes to the feed, in the transaction that changes them.

Every writer of what a consumer sees — order writes under the version rule, deletions at the
store, fulfilments — calls `publish` inside its own transaction, after its orders' rows are
locked: the event and the change commit together or not at all (a transactional outbox), and
no two transactions publish one order at once, so its events follow its versions.
"""

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from shipcrowd_woo.converters.order_feed import feed_draft
from shipcrowd_woo.domain.feed import (
    FeedDraft,
    FeedEvent,
    FeedState,
    NewEvent,
    changes,
    derived_facets,
    event_type,
)
from shipcrowd_woo.domain.fulfilment import shipped_so_far
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.shipping import (
    LineToShip,
    Shippable,
    ShippingRules,
    lines_to_ship,
    shippable,
)
from shipcrowd_woo.ports.repositories import UnitOfWork


def publish(
    uow: UnitOfWork, drafts: Mapping[OrderKey, FeedDraft], at: datetime
) -> Sequence[FeedEvent]:
    """Append an event for each order whose facets moved since its last event (none for an
    unchanged replay or an echo), in the caller's transaction."""
    if not drafts:
        return []
    previous = uow.feed.states(drafts.keys())
    fulfilled = fulfilled_units(uow, [key for key in drafts if key in previous])
    rules: dict[tuple[CompanyId, StoreId], ShippingRules] = {}
    by_company: defaultdict[CompanyId, list[NewEvent]] = defaultdict(list)
    for key in sorted(drafts, key=lambda each: (each.store_id, each.source_id)):
        draft = drafts[key]
        scope = (key.company_id, key.store_id)
        if scope not in rules:
            rules[scope] = uow.stores.get(*scope).shipping
        lines = lines_to_ship(draft.basis, fulfilled.get(key, {}))
        decision = shippable(draft.basis, rules[scope], lines)
        facets = {
            **draft.facets,
            **derived_facets(decision, lines, draft.refunded, draft.basis.deleted),
        }
        before = previous.get(key)
        moved = changes(before, facets)
        kind = event_type(before, moved)
        if kind is None:
            continue
        state = FeedState(facets, decision.state, at)
        data = _text(shipping_summary(key, draft, decision, lines), draft.document)
        by_company[key.company_id].append(NewEvent(kind, key, moved, state, data))
    appended: list[FeedEvent] = []
    for company_id, events in sorted(by_company.items()):
        appended += uow.feed.append(company_id, events, at)
    return appended


def publish_stored(uow: UnitOfWork, keys: Iterable[OrderKey], at: datetime) -> Sequence[FeedEvent]:
    """`publish` the orders as stored (after a deletion or a fulfilment changed them), their
    rows locked first."""
    keys = sorted(set(keys), key=lambda each: (each.store_id, each.source_id))
    uow.orders.versions(keys, lock=True)
    drafts = {}
    for key in keys:
        order = uow.orders.get(key)
        if order is not None:
            drafts[key] = feed_draft(order)
    return publish(uow, drafts, at)


def fulfilled_units(uow: UnitOfWork, keys: Collection[OrderKey]) -> dict[OrderKey, Counter[int]]:
    """The units shipped of each line of those orders, by their fulfilments."""
    by_store: defaultdict[tuple[CompanyId, StoreId, str], list[int]] = defaultdict(list)
    for key in keys:
        by_store[(key.company_id, key.store_id, key.source)].append(key.source_id)
    found: dict[OrderKey, Counter[int]] = {}
    for (company_id, store_id, source), ids in by_store.items():
        of_order: defaultdict[int, list[Any]] = defaultdict(list)
        for fulfilment in uow.fulfilments.for_orders(company_id, store_id, ids):
            of_order[fulfilment.order_id].append(fulfilment)
        for order_id, fulfilments in of_order.items():
            found[OrderKey(company_id, store_id, order_id, source)] = shipped_so_far(fulfilments)
    return found


def shipping_summary(
    key: OrderKey, draft: FeedDraft, decision: Shippable, lines: Sequence[LineToShip]
) -> dict[str, Any]:
    """What the feed and the order routes say of an order besides the order itself."""
    modified_at, fingerprint = draft.version
    return {
        "store_id": key.store_id,
        "order_id": key.source_id,
        "version": {"modified_at": modified_at.isoformat(), "fingerprint": fingerprint},
        "shippable": {"state": decision.state.value, "why": decision.why},
        "deleted_at_store": None
        if draft.basis.deleted_at is None
        else draft.basis.deleted_at.isoformat(),
        "lines": [
            {
                "line_id": line.line_id,
                "ordered": line.ordered,
                "refunded": line.refunded,
                "fulfilled": line.fulfilled,
                "to_ship": line.to_ship,
            }
            for line in lines
        ],
    }


def _text(summary: dict[str, Any], document: str) -> str:
    # The order's document is already JSON text (made where the order was read): spliced in,
    # not parsed and written again.
    head = json.dumps(summary, ensure_ascii=False, separators=(",", ":"))
    return f'{head[:-1]},"order":{document}}}'
