"""Which snapshot of an order wins."""

import base64
import enum
import hashlib
import itertools
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.converters.woocommerce import order_from_json
from shipcrowd_woo.domain.money import canonical_text
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.versions import (
    OrderVersion,
    Verdict,
    fingerprint,
    is_same_second_conflict,
    judge,
    version_of,
)
from tests.fixtures import recorded, recorded_deliveries
from tests.strategies import woo_orders

T0 = datetime(2026, 11, 25, 16, 29, 45, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def v(modified: int, observed: int, content: str) -> OrderVersion:
    return OrderVersion(T0 + modified * SECOND, T0 + observed * SECOND, f"{modified}:{content}")


@pytest.mark.parametrize(
    ("stored", "incoming", "verdict"),
    [
        (None, v(0, 0, "a"), Verdict.CREATE),
        (v(0, 0, "a"), v(0, 5, "a"), Verdict.UNCHANGED),
        (v(0, 0, "a"), v(1, 1, "b"), Verdict.REPLACE),
        (v(1, 1, "b"), v(0, 2, "a"), Verdict.STALE),
        (v(0, 0, "a"), v(0, 1, "b"), Verdict.REPLACE),
        (v(0, 1, "b"), v(0, 0, "a"), Verdict.STALE),
    ],
)
def test_each_verdict(stored, incoming, verdict):
    """New, replay, later, earlier, and the two same-second cases."""
    assert judge(stored, incoming) is verdict


def test_only_create_and_replace_write():
    """UNCHANGED and STALE leave the stored order alone."""
    assert [verdict for verdict in Verdict if verdict.writes] == [Verdict.CREATE, Verdict.REPLACE]


def _recorded_order_snapshots(context, first_offset: int) -> list[Order]:
    """Order 329's recorded deliveries, observed one second apart from `first_offset`."""
    snapshots = []
    deliveries = [
        d for d in recorded_deliveries() if d["headers"].get("X-WC-Webhook-Resource") == "order"
    ]
    for offset, delivery in enumerate(deliveries, start=first_offset):
        body = json.loads(base64.b64decode(delivery["body_b64"]))
        observed = attrs.evolve(context, observed_at=context.observed_at + offset * SECOND)
        order = order_from_json(body, observed)
        assert isinstance(order, Order)
        snapshots.append(order)
    return snapshots


def test_the_recorded_same_second_pending_then_processing_is_won_by_processing(context):
    """A real store sent order 329 pending, then processing, within one second: processing
    wins; replaying it changes nothing; a late replay of pending is flagged as a same-second
    conflict, which the services settle by fetching the order from the store."""
    snapshots = _recorded_order_snapshots(context, first_offset=0)
    pending = next(o for o in snapshots if o.woo_status == "pending")
    processing = next(o for o in snapshots if o.woo_status == "processing")
    assert pending.modified_at == processing.modified_at

    stored = fold(version_of(order) for order in snapshots)
    assert stored == version_of(processing)

    for replay in _recorded_order_snapshots(context, first_offset=60):
        verdict = judge(stored, version_of(replay))
        if replay.woo_status == "processing":
            assert verdict is Verdict.UNCHANGED
        else:
            assert is_same_second_conflict(stored, version_of(replay))


# Versions as a store produces them: the fingerprint digests the modification second.
versions = st.builds(
    lambda modified, observed, content: v(modified, observed, content),
    st.integers(0, 5),
    st.integers(0, 1000),
    st.sampled_from("abc"),
)


def fold(sequence):
    stored = None
    for incoming in sequence:
        if judge(stored, incoming).writes:
            stored = incoming
    return stored


@given(st.lists(versions, min_size=1, max_size=6), st.randoms())
def test_whatever_the_arrival_order_the_newest_modification_second_is_kept(sequence, rnd):
    """No arrival order lets an older modification second overwrite a newer one."""
    shuffled = list(sequence)
    rnd.shuffle(shuffled)
    newest = max(version.modified_at for version in sequence)
    assert fold(shuffled).modified_at == newest


@given(st.lists(versions, min_size=1, max_size=6, unique_by=lambda x: x.modified_at))
def test_without_same_second_conflicts_arrival_order_does_not_matter(sequence):
    """When every second has one content, all arrival orders end with the same content."""
    finals = {fold(order).fingerprint for order in itertools.permutations(sequence)}
    assert len(finals) == 1


@given(st.lists(versions, min_size=1, max_size=6))
def test_replaying_every_snapshot_again_changes_nothing(sequence):
    """Folding the same snapshots a second time (re-observed later) keeps the result."""
    once = fold(sequence)
    later = [
        OrderVersion(x.modified_at, x.observed_at + 10_000 * SECOND, x.fingerprint)
        for x in sequence
    ]
    for replay in later:
        if replay.fingerprint == once.fingerprint:
            assert judge(once, replay) is Verdict.UNCHANGED


def test_a_stored_fingerprint_stays_valid_from_release_to_release(context):
    """Fingerprints are kept in the database: if the rendering changed, every stored order
    would look changed at the next import. Recorded order 73 keeps this one."""
    order = order_from_json(recorded("order_with_refund")["body"], context)
    assert isinstance(order, Order)
    assert order.fingerprint == "9bc4ed941e5a959768cca4f4e6788247ce690db14f79c6b3cbce3db3db943083"


def _documented_rendering(value: object) -> object:
    """The fingerprint's text as its docstring defines it, built the slow, obvious way."""
    if attrs.has(type(value)):
        skipped = {"observed_at", "fingerprint", "deleted_at_store"}
        names = sorted(f.name for f in attrs.fields(type(value)) if f.name not in skipped)
        return {name: _documented_rendering(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return canonical_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | bool) or value is None:
        return value
    assert isinstance(value, Iterable)
    return [_documented_rendering(item) for item in value]


# Any code point, lone surrogates included (storable text replaces them, but the rendering
# must not depend on it), quotes, backslashes and control characters.
_any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)


@given(woo_orders(), _any_text, _any_text)
def test_the_fingerprint_digests_exactly_the_documented_json(context, payload, note, name):
    """The renderer writes the text json.dumps writes for the order's plain form: the
    digests stored by earlier releases stay valid."""
    order = order_from_json(payload, context)
    assert isinstance(order, Order)
    line = order.lines[0] if order.lines else None
    order = attrs.evolve(
        order,
        customer_note=note,
        lines=(attrs.evolve(line, name=name), *order.lines[1:]) if line else (),
    )
    text = json.dumps(_documented_rendering(order), separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    assert fingerprint(order) == expected
