"""Publishing orders' changes to the feed, in the transaction that changes them.

Every writer of what a consumer sees — order writes under the version rule, deletions at the
store, fulfilments — calls `publish` inside its own transaction, after its orders' rows are
locked: the event and the change commit together or not at all (a transactional outbox), and
no two transactions publish one order at once, so its events follow its versions.
"""

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import orjson

from shipcrowd_woo.converters.order_feed import content_facets, order_data, order_text
from shipcrowd_woo.domain.feed import (
    EVERY_CHANGE,
    EventType,
    FeedDraft,
    FeedState,
    FirstEvent,
    NewEvent,
    changes,
    derived_facets,
    event_type,
)
from shipcrowd_woo.domain.fulfilment import shipped_so_far
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.shipping import (
    LineToShip,
    Shippable,
    ShippingRules,
    basis_of,
    lines_to_ship,
    shippable,
)
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.repositories import UnitOfWork, UnitOfWorkFactory
from shipcrowd_woo.services.stock_follows_orders import note_moved_reservations


def publish(
    uow: UnitOfWork,
    drafts: Mapping[OrderKey, FeedDraft],
    at: datetime,
    created: Collection[OrderKey] = (),
) -> Sequence[NewEvent]:
    """Append an event for each order whose facets moved since its last event (none for an
    unchanged replay or an echo), in the caller's transaction. Orders in `created` were
    stored for the first time by it: they had no event and no fulfilment yet."""
    if not drafts:
        return []
    previous = uow.feed.states([key for key in drafts if key not in created])
    # An order stored before the feed existed has no state yet and may have shipped.
    fulfilled = fulfilled_units(uow, [key for key in drafts if key not in created])
    rules: dict[tuple[CompanyId, StoreId], tuple[ShippingRules, str]] = {}
    by_company: defaultdict[CompanyId, list[NewEvent]] = defaultdict(list)
    for key in sorted(drafts, key=lambda each: (each.store_id, each.source_id)):
        draft = drafts[key]
        first = draft.first
        scope = (key.company_id, key.store_id)
        if scope not in rules:
            in_force = uow.stores.shipping_rules(*scope)
            rules[scope] = (in_force, in_force.spelled())
        store_rules, spelled = rules[scope]
        if key in created and first is not None and first.rules == spelled:
            # Made ready where the order was read, under the rules still in force.
            state = FeedState(first.facets, first.shippable, at)
            data = _spliced(first.head, draft.document)
            new = NewEvent(EventType.CREATED, key, EVERY_CHANGE, state, data)
            by_company[key.company_id].append(new)
            continue
        lines = lines_to_ship(draft.basis, fulfilled.get(key, {}))
        decision = shippable(draft.basis, store_rules, lines)
        facets = {
            **draft.facets,
            **derived_facets(decision, lines, draft.refunded, draft.basis.deleted),
        }
        before = previous.get(key)
        moved = changes(before, facets)
        kind = event_type(before, moved, facets)
        if kind is None:
            continue
        state = FeedState(facets, decision.state, at)
        data = _text(shipping_summary(key, draft, decision, lines), draft.document)
        by_company[key.company_id].append(NewEvent(kind, key, moved, state, data))
    for company_id, events in sorted(by_company.items()):
        uow.feed.append(company_id, events, at)
    published = [event for _, events in sorted(by_company.items()) for event in events]
    note_moved_reservations(uow, published, {key: d.products for key, d in drafts.items()}, at)
    return published


def publish_stored(uow: UnitOfWork, keys: Iterable[OrderKey], at: datetime) -> Sequence[NewEvent]:
    """`publish` the orders as stored (after a deletion or a fulfilment changed them), their
    rows locked first."""
    keys = sorted(set(keys), key=lambda each: (each.store_id, each.source_id))
    uow.orders.versions(keys, lock=True)
    drafts = {}
    for key in keys:
        order = uow.orders.get(key)
        if order is not None:
            drafts[key] = drafted(order)
    return publish(uow, drafts, at)


def drafted(order: Order, rules: ShippingRules | None = None) -> FeedDraft:
    """The order's draft for the feed; with the store's `rules`, its first event made ready
    too (for an import's pages, where they are read: other processes)."""
    data = order_data(order)
    document = order_text(data)
    draft = FeedDraft(
        basis=basis_of(order),
        facets=content_facets(data),
        refunded=order.totals.refunded,
        version=(order.modified_at, order.fingerprint),
        document=document,
        products=frozenset(
            woo_id
            for line in order.lines
            for woo_id in (line.product_id, line.variation_id)
            if woo_id
        ),
    )
    if rules is None:
        return draft
    lines = lines_to_ship(draft.basis, {})
    decision = shippable(draft.basis, rules, lines)
    facets = {
        **draft.facets,
        **derived_facets(decision, lines, draft.refunded, draft.basis.deleted),
    }
    head = _head(shipping_summary(order.key, draft, decision, lines))
    return attrs.evolve(draft, first=FirstEvent(facets, decision.state, rules.spelled(), head))


def publish_unpublished(uow_factory: UnitOfWorkFactory, clock: Clock, batch_size: int) -> int:
    """Give every order the feed never told of (stored before the feed existed: an upgraded
    database) its first event, a batch per transaction; how many got one."""
    published = 0
    while True:
        with uow_factory() as uow:
            keys = uow.orders.unpublished(batch_size)
            publish_stored(uow, keys, clock.now())
            uow.commit()
        published += len(keys)
        if len(keys) < batch_size:
            return published


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


def _head(summary: dict[str, Any]) -> str:
    """An event's data up to its order: the summary's JSON without its closing brace."""
    return orjson.dumps(summary).decode()[:-1]


def _spliced(head: str, document: str) -> str:
    # The order's document is already JSON text (made where the order was read): spliced in,
    # not parsed and written again.
    return f'{head},"order":{document}}}'


def _text(summary: dict[str, Any], document: str) -> str:
    return _spliced(_head(summary), document)
