"""The order feed: which event a write of an order makes, if any.

A consumer (Shipcrowd's shipping side) sees of an order its facets: the content it acts on
(status, shipping address, lines, quantities, customer note, totals) and what we derive
(whether it ships, how much was refunded and fulfilled, whether the store deleted it). Each
order's `FeedState` holds the facets of its last event; a write whose facets equal them — an
unchanged replay, our own push echoed back, a duplicate delivery — makes no event, and one
that moves any makes exactly one, named by the most telling change.
"""

import enum
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

import attrs

from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.shipping import LineToShip, Shippable, Shipping, ShippingBasis


class Change(enum.Enum):
    """A facet of an order a consumer sees move."""

    STATUS = "status"
    SHIPPING_ADDRESS = "shipping_address"
    LINES = "lines"
    QUANTITIES = "quantities"
    CUSTOMER_NOTE = "customer_note"
    TOTALS = "totals"
    SHIPPABLE = "shippable"
    REFUNDED = "refunded"
    FULFILLED = "fulfilled"
    DELETED = "deleted"


CONTENT: Final = (
    Change.STATUS,
    Change.SHIPPING_ADDRESS,
    Change.LINES,
    Change.QUANTITIES,
    Change.CUSTOMER_NOTE,
    Change.TOTALS,
)


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


def content_facets(order: Order) -> dict[str, str]:
    """A digest of each content facet of the order (its status in words)."""
    address = order.shipping_address
    return {
        Change.STATUS.value: order.woo_status,
        Change.SHIPPING_ADDRESS.value: _digest(attrs.astuple(address)),
        Change.LINES.value: _digest(
            [
                (li.woo_line_id, li.product_id, li.variation_id, li.sku, li.name)
                for li in order.lines
            ]
        ),
        Change.QUANTITIES.value: _digest([(li.woo_line_id, li.quantity) for li in order.lines]),
        Change.CUSTOMER_NOTE.value: _digest(order.customer_note),
        Change.TOTALS.value: _digest(attrs.astuple(order.totals)),
    }


def _digest(value: object) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=8).hexdigest()


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


def changes(previous: FeedState | None, facets: Mapping[str, str]) -> tuple[Change, ...]:
    """The facets that moved since the last event, in Change order (all of them for an
    order never published)."""
    if previous is None:
        return tuple(change for change in Change if change.value in facets)
    return tuple(
        change for change in Change if facets.get(change.value) != previous.facets.get(change.value)
    )


def event_type(previous: FeedState | None, moved: Sequence[Change]) -> EventType | None:
    """The event a write makes: none when nothing moved, `created` for a first one."""
    if not moved:
        return None
    if previous is None:
        return EventType.CREATED
    for change, named in _NAMED_BY:
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
class FeedDraft:
    """What the feed needs of a written order, made where the order was read (another
    process, for an import's pages): its shipping basis, content facets, refunded money and
    `document`, the order rendered as JSON text."""

    basis: ShippingBasis
    facets: Mapping[str, str]
    refunded: Decimal
    version: tuple[datetime, str]
    document: str = attrs.field(repr=False)


@attrs.frozen
class FeedBounds:
    """Where a company's feed starts and ends: every event with `purged_through` < seq ≤
    `last_seq` can still be read."""

    purged_through: int = 0
    last_seq: int = 0
