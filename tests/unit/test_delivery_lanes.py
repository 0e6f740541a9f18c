"""Delivery side by side (domain/subscriptions.py `lanes`, `settled`), property-tested: lanes
never split an order or reorder its events, and a round's cursor never passes an event that
was not delivered."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.feed import EventType, FeedEvent
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.subscriptions import (
    Attempt,
    DeliveryPolicy,
    Subscription,
    lanes,
    settled,
)

NOW = datetime(2026, 12, 8, tzinfo=UTC)
COMPANY = CompanyId("c")


def event(seq: int, order: int) -> FeedEvent:
    key = OrderKey(COMPANY, StoreId("s"), order)
    return FeedEvent(COMPANY, seq, f"evt_{seq}", EventType.CHANGED, key, (), NOW, "{}")


# Events in sequence after 0, each of one of a few orders.
events = st.lists(st.integers(1, 6), max_size=40).map(
    lambda orders: [event(seq, order) for seq, order in enumerate(orders, start=1)]
)
SUBSCRIPTION = Subscription(
    "sub",
    COMPANY,
    "https://hooks.example",
    frozenset(),
    frozenset(),
    EncryptedSecret("k", b""),
    NOW,
)


@given(events, st.integers(1, 10))
def test_lanes_hold_every_event_once_each_order_in_one_lane_in_sequence(batch, count):
    dealt = lanes(batch, count)
    assert len(dealt) <= count
    assert sorted(e.seq for lane in dealt for e in lane) == [e.seq for e in batch]
    for lane in dealt:
        assert [e.seq for e in lane] == sorted(e.seq for e in lane)
    lane_of = {e.key: index for index, lane in enumerate(dealt) for e in lane}
    assert all(lane_of[e.key] == index for index, lane in enumerate(dealt) for e in lane)
    if count == 1 and batch:
        assert dealt == [batch]


@given(events, st.data())
def test_a_rounds_cursor_stops_before_the_first_event_not_delivered(batch, data):
    """Whatever each lane got through before one failure stopped them all."""
    attempts = {}
    for e in batch:
        outcome = data.draw(st.sampled_from(["delivered", "failed", "unsent"]))
        if outcome != "unsent":
            attempts[e.seq] = Attempt(200 if outcome == "delivered" else 503, "x")
    after = settled(SUBSCRIPTION, batch, attempts, NOW, DeliveryPolicy())
    got = [e.seq in attempts and attempts[e.seq].delivered for e in batch]
    prefix = next((index for index, ok in enumerate(got) if not ok), len(batch))
    assert after.after == (batch[prefix - 1].seq if prefix else 0)
    failed = any(e.seq in attempts and not attempts[e.seq].delivered for e in batch)
    assert after.failures == (1 if failed else 0)
