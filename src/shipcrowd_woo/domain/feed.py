"""The order feed: which event a write of an order makes, if any.

A consumer (Shipcrowd's shipping side) sees of an order its facets: the content it acts on
(status, shipping address, lines, quantities, customer note, totals) and what we derive
(whether it ships, how much was refunded and fulfilled, whether the store deleted it). Each
order's `FeedState` holds the facets of its last event; a write whose facets equal them — an
unchanged replay, our own push echoed back, a duplicate delivery — makes no event, and one
that moves any makes exactly one, named by the most telling change.
"""

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.shipping import LineToShip, Shippable, Shipping, ShippingBasis


class Change(enum.Enum):
    """A facet of an order a consumer sees move."""

    STATUS = "status"
    SHIPPING_ADDRESS = "shipping_address"
    LINES = "lines"
    QUANTITIES = "quantities"
    CUSTOMER_NOTE = "customer_note"
    TOTALS = "totals"
    SHIPPING_METHOD = "shipping_method"
    CUSTOMER = "customer"
    PAYMENT = "payment"
    SHIPPABLE = "shippable"
    REFUNDED = "refunded"
    FULFILLED = "fulfilled"
    DELETED = "deleted"


class EventType(enum.Enum):
    """What an event says happened to an order."""

    CREATED = "order.created"
    DELETED = "order.deleted"
    SHIPPABLE_CHANGED = "order.shippable_changed"
    REFUNDED = "order.refunded"
    FULFILLED = "order.fulfilled"
    CHANGED = "order.changed"


# An event is named by the first of these its changes hold: a consumer filtering on
# shippable changes must not miss a cancellation that came with a new status.
_NAMED_BY: Final = (
    (Change.DELETED, EventType.DELETED),
    (Change.SHIPPABLE, EventType.SHIPPABLE_CHANGED),
    (Change.REFUNDED, EventType.REFUNDED),
    (Change.FULFILLED, EventType.FULFILLED),
)


@attrs.frozen
class FeedState:
    """What the consumer last saw of an order: every facet of its last event."""

    facets: Mapping[str, str]
    shippable: Shipping
    changed_at: datetime
    last_seq: int = 0


def derived_facets(
    shippable: Shippable, lines: Sequence[LineToShip], refunded: Decimal, deleted: bool
) -> dict[str, str]:
    """The facets we derive: shipping decision, refunded money, fulfilled units, deletion."""
    return {
        Change.SHIPPABLE.value: shippable.state.value,
        Change.REFUNDED.value: str(refunded),
        Change.FULFILLED.value: str(sum(line.fulfilled for line in lines)),
        Change.DELETED.value: "yes" if deleted else "",
    }


# What a first event names: every facet.
EVERY_CHANGE: Final = tuple(Change)


def changes(previous: FeedState | None, facets: Mapping[str, str]) -> tuple[Change, ...]:
    """The facets that moved since the last event, in Change order (all of them for an
    order never published)."""
    if previous is None:
        return tuple(change for change in Change if change.value in facets)
    return tuple(
        change for change in Change if facets.get(change.value) != previous.facets.get(change.value)
    )


def event_type(
    previous: FeedState | None, moved: Sequence[Change], facets: Mapping[str, str]
) -> EventType | None:
    """The event a write makes: none when nothing moved, `created` for a first one; a
    deletion only when the order is now deleted (one the store restored has changed)."""
    if not moved:
        return None
    if previous is None:
        return EventType.CREATED
    for change, named in _NAMED_BY:
        if change is Change.DELETED and not facets.get(change.value):
            continue
        if change in moved:
            return named
    return EventType.CHANGED


@attrs.frozen
class FeedEvent:
    """One event of the feed: `seq` orders the company's events; `data` is the order as the
    event left it (JSON text, as sent)."""

    company_id: str
    seq: int
    id: str
    type: EventType
    key: OrderKey
    changes: tuple[Change, ...]
    occurred_at: datetime
    data: str = attrs.field(repr=False)


@attrs.frozen
class NewEvent:
    """An event to append, with the state it leaves its order in."""

    type: EventType
    key: OrderKey
    changes: tuple[Change, ...]
    state: FeedState
    data: str = attrs.field(repr=False)


@attrs.frozen
class FirstEvent:
    """An order's first event, made ready with its draft: what it says of an order stored
    for the first time (nothing fulfilled yet) under the rules the draft was made with.
    `head` is its data up to the order's document, which the draft holds once."""

    facets: Mapping[str, str]
    shippable: Shipping
    # ShippingRules.spelled() of the rules it was made under.
    rules: str
    head: str = attrs.field(repr=False)


@attrs.frozen
class FeedDraft:
    """What the feed needs of a written order, made where the order was read (another
    process, for an import's pages): its shipping basis, content facets (digests of its
    content, by Change value), refunded money, `document` (the order rendered as JSON text),
    the product and variation ids of its lines (what its events may move the stock of) and
    its `first` event, should the write create it."""

    basis: ShippingBasis
    facets: Mapping[str, str]
    refunded: Decimal
    version: tuple[datetime, str]
    document: str = attrs.field(repr=False)
    products: frozenset[int] = frozenset()
    first: FirstEvent | None = attrs.field(default=None, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled flat: an import's drafts cross from the processes preparing its pages,
        # and attrs' own pickling of this and its parts cost as much as making them.
        basis, first = self.basis, self.first
        return (
            _draft,
            (
                basis.woo_status,
                basis.cash_on_delivery,
                basis.refunded_in_full,
                basis.deleted_at,
                basis.lines,
                dict(self.facets),
                self.refunded,
                self.version,
                self.document,
                self.products,
                None
                if first is None
                else (dict(first.facets), first.shippable.value, first.rules, first.head),
            ),
        )


def _draft(
    woo_status: str,
    cash_on_delivery: bool,
    refunded_in_full: bool,
    deleted_at: datetime | None,
    lines: tuple[tuple[int | None, int], ...],
    facets: dict[str, str],
    refunded: Decimal,
    version: tuple[datetime, str],
    document: str,
    products: frozenset[int],
    first: tuple[dict[str, str], str, str, str] | None,
) -> FeedDraft:
    basis = ShippingBasis(woo_status, cash_on_delivery, refunded_in_full, deleted_at, lines)
    made = None if first is None else FirstEvent(first[0], Shipping(first[1]), first[2], first[3])
    return FeedDraft(basis, facets, refunded, version, document, products, made)


@attrs.frozen
class FeedBounds:
    """Where a company's feed starts and ends: every event with `purged_through` < seq ≤
    `last_seq` can still be read."""

    purged_through: int = 0
    last_seq: int = 0
