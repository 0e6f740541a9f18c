"""Which snapshot of an order wins: the version rule, and content fingerprints.

WooCommerce's `date_modified_gmt` has one-second resolution, and a real 10.0.2 store delivered
`pending` and then `processing` for one order with the same `date_modified_gmt` (see
recorded/woocommerce-10.0.2/webhook_deliveries.jsonl). Within one second, nothing we can
observe orders two snapshots of different content, except one fact about time: a snapshot we
*fetched* is the store's current one at some moment after its request was sent, and every
snapshot we had already received by then was saved before that moment. So:

- a later modification second wins, an earlier one loses;
- in the same second, a fetched snapshot wins over one received before its request was sent
  (`current_from` ≥ the other's `observed_at`), and loses to a fetch sent after it arrived;
- anything else in the same second is UNSETTLED: neither is written over the other, and the
  order is confirmed from the store by a fetch sent after both arrived, which wins.

A replay of the same content (the same fingerprint) changes nothing. Every stamp is our own
clock; a fetch's `current_from` is taken `CLOCK_TOLERANCE` before its request was sent, so
processes whose clocks disagree by less than that cannot prove a wrong order.
"""

import enum
import hashlib
import types
import typing
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import attrs

from shipcrowd_woo.domain.generated import bound, compiled
from shipcrowd_woo.domain.money import canonical_text
from shipcrowd_woo.domain.order import Order, OrderKey

_NOT_FINGERPRINTED = frozenset({"observed_at", "current_from", "fingerprint", "deleted_at_store"})
# How far apart the clocks of our processes (the intake's, the workers') may be: a fetch's
# proof starts this much before its request was sent, and a confirmation waits this long.
CLOCK_TOLERANCE = timedelta(seconds=1)


def current_from_request(requested_at: datetime) -> datetime:
    """The moment after which a snapshot fetched by a request sent at `requested_at` is
    provably the store's current one, whatever our processes' clocks disagree by."""
    return requested_at - CLOCK_TOLERANCE


@attrs.frozen
class OrderVersion:
    """The stamps and content digest of one snapshot of an order: the store's modification
    second, when we had received it (`observed_at`), and — for a snapshot we fetched — a
    moment after which it was the store's current one (`current_from`; None for a webhook
    delivery, whose body WooCommerce built at some unknown moment before we received it)."""

    modified_at: datetime
    observed_at: datetime
    fingerprint: str
    current_from: datetime | None = None


class Verdict(enum.Enum):
    """What to do with an incoming snapshot given the stored one."""

    CREATE = "create"
    REPLACE = "replace"
    UNCHANGED = "unchanged"
    STALE = "stale"
    # Neither is provably newer: the stored one stays, and the store is asked.
    UNSETTLED = "unsettled"

    @property
    def writes(self) -> bool:
        """True when the incoming snapshot must be stored."""
        return self in (Verdict.CREATE, Verdict.REPLACE)


class Stamped(typing.Protocol):
    """A snapshot of an order as its version sees it: an Order, or one staged for writing."""

    @property
    def key(self) -> OrderKey: ...

    @property
    def modified_at(self) -> datetime: ...

    @property
    def observed_at(self) -> datetime: ...

    @property
    def current_from(self) -> datetime | None: ...

    @property
    def fingerprint(self) -> str: ...


def version_of(order: Stamped) -> OrderVersion:
    """The version stamp of an order snapshot."""
    return OrderVersion(order.modified_at, order.observed_at, order.fingerprint, order.current_from)


def proves_newer(first: OrderVersion, second: OrderVersion) -> bool:
    """True when `first` is provably at least as new at the store as `second`: saved in a
    later second, or fetched by a request sent after `second` had arrived — and `second`
    not fetched after `first` had arrived too (two fetches sent and answered in the same
    instant, with different content, prove nothing against each other: found by
    tests/unit/test_versions.py::test_no_two_snapshots_each_prove_themselves_newer_than_the_other)."""
    if first.modified_at != second.modified_at:
        return first.modified_at > second.modified_at
    return _fetched_after(first, second) and not _fetched_after(second, first)


def _fetched_after(first: OrderVersion, second: OrderVersion) -> bool:
    return first.current_from is not None and first.current_from >= second.observed_at


def judge(stored: OrderVersion | None, incoming: OrderVersion) -> Verdict:
    """Decide whether `incoming` replaces `stored`."""
    if stored is None:
        return Verdict.CREATE
    if incoming.fingerprint == stored.fingerprint:
        return Verdict.UNCHANGED
    if proves_newer(incoming, stored):
        return Verdict.REPLACE
    if proves_newer(stored, incoming):
        return Verdict.STALE
    return Verdict.UNSETTLED


S = typing.TypeVar("S", bound=Stamped)


def newest_of(first: S, others: Iterable[S]) -> tuple[S, bool]:
    """Of several snapshots of one order, the one the rule keeps when they are judged one
    after another, and whether any was left unsettled against the one kept then (the order
    must be confirmed from the store)."""
    kept, unsettled = first, False
    for snapshot in others:
        verdict = judge(version_of(kept), version_of(snapshot))
        if verdict.writes:
            kept = snapshot
        unsettled = unsettled or verdict is Verdict.UNSETTLED
    return kept, unsettled


@attrs.frozen
class Confirmation:
    """An order whose stored version could not be proved the store's newest when `noted_at`:
    it is fetched from the store once `CLOCK_TOLERANCE` has passed, and that fetch settles it."""

    key: OrderKey
    noted_at: datetime

    @property
    def due_at(self) -> datetime:
        """When a fetch proves newer than every snapshot known at `noted_at`."""
        return self.noted_at + CLOCK_TOLERANCE


def settles(confirmation: Confirmation, current_from: datetime) -> bool:
    """Whether a fetch current from `current_from` settles what was noted."""
    return current_from >= confirmation.noted_at


def fingerprint(order: Order) -> str:
    """SHA-256 over a canonical rendering of every mapped field except `observed_at`.

    `modified_at` is included, so any save at the store is a new version, while a replay of
    the same snapshot (the same modification second and content) is recognised as such. The
    rendering is what `json.dumps(…, separators=(",", ":"), ensure_ascii=False)` writes for
    the order as nested objects with every object's keys in sorted order, Decimals as
    canonical text, times as ISO 8601, enums as their values. Fingerprints are stored, so
    that text must never change; it is written directly, a renderer per type, because
    building the nested objects first cost a sixth of an import.
    """
    canonical = _render(order)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def with_fingerprint(order: Order) -> Order:
    """The same order with its fingerprint filled in."""
    return attrs.evolve(order, fingerprint=fingerprint(order))


_Renderer = Callable[[Any], str]
_RENDERERS: dict[type, _Renderer] = {}
# Distinct amounts are few (prices repeat) and each spelling costs a normalize() and a format.
_AMOUNT_SPELLINGS_KEPT = 4096


def _render(value: object) -> str:
    kind = type(value)
    return (_RENDERERS.get(kind) or _renderer_for(kind))(value)


def _renderer_for(kind: type) -> _Renderer:
    render: _Renderer
    if attrs.has(kind):
        render = _object_renderer(kind)
    elif issubclass(kind, enum.Enum):
        render = _render_enum
    elif kind is tuple or kind is list:
        render = _render_list
    elif kind is Decimal:
        render = _amount_renderer()
    elif kind is datetime:
        render = _render_time
    elif kind is str:
        render = encode_basestring
    elif kind is bool:
        render = _render_bool
    elif kind is int:
        render = int.__repr__
    elif kind is type(None):
        render = _render_null
    else:
        raise TypeError(f"cannot fingerprint {kind.__name__}")
    _RENDERERS[kind] = render
    return render


def _object_renderer(kind: type) -> _Renderer:
    """An attrs class as a JSON object of its fingerprinted fields in sorted order.

    Generated as one expression per class, as attrs generates its methods: each field is
    rendered by what its annotation says it holds, so no value's type is looked up at run
    time (the lookups were half of a fingerprint). A field whose annotation says nothing
    usable falls back to the renderer of the value's type."""
    hints = typing.get_type_hints(kind)
    names = sorted(f.name for f in attrs.fields(kind) if f.name not in _NOT_FINGERPRINTED)
    if not names:
        return lambda _: "{}"
    scope: dict[str, Any] = {}
    parts = []
    for index, name in enumerate(names):
        prefix = ("," if index else "{") + f'"{name}":'
        parts += [repr(prefix), _expression(hints.get(name), f"value.{name}", scope)]
    # One join: a chain of + copied the growing text once a field.
    source = f"def render(value):\n    return ''.join(({', '.join(parts)}, '}}'))\n"
    render: _Renderer = compiled(source, f"fingerprint renderer of {kind.__qualname__}", scope)
    return render


def _expression(hint: Any, operand: str, scope: dict[str, Any]) -> str:
    """Python text rendering `operand` (an attribute read, cheap to repeat) as `hint` says."""
    hint = getattr(hint, "__supertype__", hint)  # NewType ids are their base type
    arguments = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in arguments:
        present = [argument for argument in arguments if argument is not type(None)]
        if len(present) == 1:
            return f"('null' if {operand} is None else {_expression(present[0], operand, scope)})"
    if typing.get_origin(hint) is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        item = bound(scope, _renderer_of_hint(arguments[0]))
        return f"'[' + ','.join(map({item}, {operand})) + ']'"
    return f"{bound(scope, _renderer_of_hint(hint))}({operand})"


def _renderer_of_hint(hint: Any) -> _Renderer:
    hint = getattr(hint, "__supertype__", hint)
    if isinstance(hint, type) and hint is not int and not issubclass(hint, tuple | list):
        # int is left to the value: a bool is an int to isinstance but not to JSON.
        try:
            return _RENDERERS.get(hint) or _renderer_for(hint)
        except TypeError:  # a type with no renderer of its own: the value may still have one
            return _render
    return _render


def _render_enum(value: enum.Enum) -> str:
    return _render(value.value)


def _render_list(value: Iterable[object]) -> str:
    return "[" + ",".join(map(_render, value)) + "]"


def _amount_renderer() -> _Renderer:
    # Equal amounts spell alike (that is the point of canonical text), so equal keys are safe.
    spellings: dict[Decimal, str] = {}

    def render(amount: Decimal) -> str:
        spelling = spellings.get(amount)
        if spelling is None:
            if len(spellings) >= _AMOUNT_SPELLINGS_KEPT:
                spellings.clear()
            spelling = spellings[amount] = f'"{canonical_text(amount)}"'
        return spelling

    return render


def _render_time(value: datetime) -> str:
    return f'"{value.isoformat()}"'


def _render_bool(value: bool) -> str:
    return "true" if value else "false"


def _render_null(_: None) -> str:
    return "null"
