"""Which snapshot of an order wins: ordering of versions and content fingerprints.

WooCommerce's `date_modified_gmt` has one-second resolution, and a real 10.0.2 store delivered
`pending` and then `processing` for one order with the same `date_modified_gmt` (see
recorded/woocommerce-10.0.2/webhook_deliveries.jsonl). So a version is ordered by
(`date_modified_gmt`, the moment we observed it) and carries a fingerprint of its content: a
later version replaces the stored one only when its content differs, and an exact replay — the
same fingerprint — changes nothing.
"""

import enum
import functools
import hashlib
import json
import operator
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from shipcrowd_woo.domain.money import canonical_text
from shipcrowd_woo.domain.order import Order, OrderKey

_NOT_FINGERPRINTED = frozenset({"observed_at", "fingerprint", "deleted_at_store"})


@attrs.frozen
class OrderVersion:
    """The ordering stamp and content digest of one snapshot of an order."""

    modified_at: datetime
    observed_at: datetime
    fingerprint: str

    @property
    def sort_key(self) -> tuple[datetime, datetime]:
        """Later snapshots sort higher."""
        return (self.modified_at, self.observed_at)


class Verdict(enum.Enum):
    """What to do with an incoming snapshot given the stored one."""

    CREATE = "create"
    REPLACE = "replace"
    UNCHANGED = "unchanged"
    STALE = "stale"

    @property
    def writes(self) -> bool:
        """True when the incoming snapshot must be stored."""
        return self in (Verdict.CREATE, Verdict.REPLACE)


def version_of(order: Order) -> OrderVersion:
    """The version stamp of an order snapshot."""
    return OrderVersion(order.modified_at, order.observed_at, order.fingerprint)


def judge(stored: OrderVersion | None, incoming: OrderVersion) -> Verdict:
    """Decide whether `incoming` replaces `stored`."""
    if stored is None:
        return Verdict.CREATE
    if incoming.fingerprint == stored.fingerprint:
        return Verdict.UNCHANGED
    if incoming.sort_key > stored.sort_key:
        return Verdict.REPLACE
    return Verdict.STALE


def is_same_second_conflict(stored: OrderVersion, incoming: OrderVersion) -> bool:
    """True when both claim the same modification second but differ in content.

    Arrival order then says little about which the store holds now; a single-order fetch from
    the store settles it.
    """
    return incoming.modified_at == stored.modified_at and incoming.fingerprint != stored.fingerprint


def conflicts_since(
    compared: OrderVersion | None, stored: OrderVersion | None, incoming: OrderVersion
) -> bool:
    """True when the stored version is no longer the one `incoming` was compared with and
    now ties with it in its second with other content (another writer got there between the
    comparison and the write): only the store can settle which is current."""
    return stored is not None and stored != compared and is_same_second_conflict(stored, incoming)


def newest_snapshots(orders: Iterable[Order]) -> tuple[list[Order], set[OrderKey]]:
    """Of several snapshots of one order, the one the version rule keeps (the latest by
    modification second, then by observation); with the keys whose winner ties in its
    second with a snapshot of other content, which only the store can settle."""
    by_key: dict[OrderKey, list[Order]] = {}
    for order in orders:
        by_key.setdefault(order.key, []).append(order)
    winners, doubtful = [], set()
    for key, snapshots in by_key.items():
        newest = max(snapshots, key=lambda o: version_of(o).sort_key)
        winners.append(newest)
        if any(is_same_second_conflict(version_of(o), version_of(newest)) for o in snapshots):
            doubtful.add(key)
    return winners, doubtful


def fingerprint(order: Order) -> str:
    """SHA-256 over a canonical rendering of every mapped field except `observed_at`.

    `modified_at` is included, so any save at the store is a new version, while a replay of
    the same snapshot (the same modification second and content) is recognised as such. The
    rendering is JSON with every object's keys in sorted order (the fields are rendered in
    that order, so the encoder need not sort), Decimals as canonical text, times as ISO 8601.
    """
    canonical = json.dumps(_plain(order), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def with_fingerprint(order: Order) -> Order:
    """The same order with its fingerprint filled in."""
    return attrs.evolve(order, fingerprint=fingerprint(order))


# Rendered as they are; the exact types, as an order holds them (an order has hundreds of
# these and a few objects: a type lookup is the cheapest test).
_AS_IS = frozenset({str, int, bool, type(None)})


@functools.cache
def _fingerprinted_fields(
    cls: type,
) -> tuple[tuple[str, ...], Callable[[object], tuple[Any, ...]]] | None:
    """The field names an attrs class contributes, sorted, with a getter of their values; or
    None for any other type."""
    if not attrs.has(cls):
        return None
    names = tuple(sorted(f.name for f in attrs.fields(cls) if f.name not in _NOT_FINGERPRINTED))
    getter = operator.attrgetter(*names)
    return names, (getter if len(names) > 1 else lambda value: (getter(value),))


def _plain(value: object) -> object:
    kind: type = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, Decimal):
        return canonical_text(value)
    fields = _fingerprinted_fields(kind)
    if fields is not None:
        names, values = fields
        return {
            name: item if type(item) in _AS_IS else _plain(item)
            for name, item in zip(names, values(value), strict=True)
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | bool):
        return value
    if isinstance(value, Iterable):
        return [_plain(item) for item in value]
    raise TypeError(f"cannot fingerprint {type(value).__name__}")
