"""Which snapshot of an order wins."""

import base64
import enum
import hashlib
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
    judge,
    newest_of,
    version_of,
)
from tests.fixtures import recorded, recorded_deliveries
from tests.strategies import woo_orders

T0 = datetime(2026, 11, 25, 16, 29, 45, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def delivered(modified: int, observed: int, content: str) -> OrderVersion:
    """A webhook delivery: saved in second `modified`, received at `observed`."""
    return OrderVersion(T0 + modified * SECOND, T0 + observed * SECOND, f"{modified}:{content}")


def fetched(modified: int, sent: int, observed: int, content: str) -> OrderVersion:
    """A snapshot we fetched by a request sent at `sent`, answered by `observed`."""
    return attrs.evolve(delivered(modified, observed, content), current_from=T0 + sent * SECOND)


@pytest.mark.parametrize(
    ("stored", "incoming", "verdict"),
    [
        (None, delivered(0, 0, "a"), Verdict.CREATE),
        (delivered(0, 0, "a"), delivered(0, 5, "a"), Verdict.UNCHANGED),
        (delivered(0, 0, "a"), delivered(1, 1, "b"), Verdict.REPLACE),
        (delivered(1, 1, "b"), delivered(0, 2, "a"), Verdict.STALE),
        # The same second: arrival order proves nothing between two deliveries.
        (delivered(0, 0, "a"), delivered(0, 1, "b"), Verdict.UNSETTLED),
        (delivered(0, 1, "b"), delivered(0, 0, "a"), Verdict.UNSETTLED),
        # A fetch sent after the stored snapshot arrived is newer; one sent before is not.
        (delivered(0, 1, "a"), fetched(0, 1, 2, "b"), Verdict.REPLACE),
        (delivered(0, 3, "a"), fetched(0, 1, 2, "b"), Verdict.UNSETTLED),
        # A delivery that arrived before the stored fetch was sent is older.
        (fetched(0, 5, 6, "b"), delivered(0, 4, "a"), Verdict.STALE),
        (fetched(0, 5, 6, "b"), delivered(0, 7, "a"), Verdict.UNSETTLED),
        # Two fetches that overlap in time cannot be ordered either.
        (fetched(0, 1, 4, "a"), fetched(0, 2, 3, "b"), Verdict.UNSETTLED),
        (fetched(0, 1, 2, "a"), fetched(0, 3, 4, "b"), Verdict.REPLACE),
    ],
)
def test_each_verdict(stored, incoming, verdict):
    """New, replay, later, earlier, and what the same second can and cannot prove."""
    assert judge(stored, incoming) is verdict


def test_only_create_and_replace_write():
    """UNCHANGED, STALE and UNSETTLED leave the stored order alone."""
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


def test_the_recorded_same_second_pending_then_processing_is_settled_by_a_later_fetch(context):
    """A real store sent order 329 pending, then processing, within one second: nothing in
    the deliveries orders them, so they are unsettled, whichever came first; a fetch sent
    after both arrived (the store answers processing) replaces either, and a replay of it
    changes nothing."""
    snapshots = _recorded_order_snapshots(context, first_offset=0)
    pending = next(o for o in snapshots if o.woo_status == "pending")
    processing = next(o for o in snapshots if o.woo_status == "processing")
    assert pending.modified_at == processing.modified_at
    assert judge(version_of(pending), version_of(processing)) is Verdict.UNSETTLED
    assert judge(version_of(processing), version_of(pending)) is Verdict.UNSETTLED
    kept, unsettled = newest_of(snapshots[0], snapshots[1:])
    assert unsettled

    latest = max(o.observed_at for o in snapshots)
    confirmed = attrs.evolve(
        processing, observed_at=latest + 2 * SECOND, current_from=latest + SECOND
    )
    assert judge(version_of(kept), version_of(confirmed)) in (Verdict.REPLACE, Verdict.UNCHANGED)
    assert judge(version_of(pending), version_of(confirmed)) is Verdict.REPLACE
    assert judge(version_of(confirmed), version_of(processing)) is Verdict.UNCHANGED
    assert judge(version_of(confirmed), version_of(pending)) is Verdict.STALE


# Snapshots of one order as a store produces them: the fingerprint digests the modification
# second; some are deliveries, some fetches whose request was sent before they arrived.
snapshots = st.one_of(
    st.builds(delivered, st.integers(0, 3), st.integers(0, 20), st.sampled_from("abc")),
    st.builds(
        lambda modified, sent, took, content: fetched(modified, sent, sent + took, content),
        st.integers(0, 3),
        st.integers(0, 20),
        st.integers(0, 3),
        st.sampled_from("abc"),
    ),
)


def fold(sequence):
    stored = None
    for incoming in sequence:
        if judge(stored, incoming).writes:
            stored = incoming
    return stored


@given(st.lists(snapshots, min_size=1, max_size=6), st.randoms())
def test_whatever_the_arrival_order_an_older_second_never_replaces_a_newer_one(sequence, rnd):
    """The stored modification second only moves forward: at the end it is the newest of
    the snapshots that arrived."""
    shuffled = list(sequence)
    rnd.shuffle(shuffled)
    newest = max(version.modified_at for version in sequence)
    assert fold(shuffled).modified_at == newest


@given(snapshots, snapshots)
def test_no_two_snapshots_each_prove_themselves_newer_than_the_other(first, second):
    """The proofs are consistent: if one replaces the other, the other is stale against it."""
    if judge(first, second) is Verdict.REPLACE:
        assert judge(second, first) is Verdict.STALE


@given(st.lists(snapshots, min_size=1, max_size=6), st.sampled_from("abc"))
def test_a_fetch_sent_after_every_snapshot_arrived_wins_over_all_of_them(sequence, content):
    """What a confirmation relies on: whatever is stored, the store's answer to a request
    sent after every known snapshot arrived replaces it or equals it."""
    stored = fold(sequence)
    newest = max(version.modified_at for version in sequence)
    last = max(version.observed_at for version in sequence)
    answer = OrderVersion(newest, last + 2 * SECOND, f"{newest}:{content}", last)
    assert judge(stored, answer) in (Verdict.REPLACE, Verdict.UNCHANGED)


@given(st.lists(snapshots, min_size=1, max_size=6))
def test_replaying_every_snapshot_again_changes_nothing(sequence):
    """Folding the same snapshots a second time (re-observed later) keeps the result."""
    once = fold(sequence)
    later = [attrs.evolve(x, observed_at=x.observed_at + 10_000 * SECOND) for x in sequence]
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
        skipped = {"observed_at", "current_from", "fingerprint", "deleted_at_store"}
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
