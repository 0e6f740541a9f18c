"""Available to sell (domain/availability.py): examples with plain numbers, then properties of
the level over any stock, orders and limits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.availability import (
    MAX_UNITS,
    OPEN,
    Buffer,
    StockLimits,
    available_to_sell,
    changed_limits,
    limits_for_mapping,
    moves_reservations,
    reserved_by_sku,
    stock_limits,
)
from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.shipping import LineToShip, Shipping

S = Shipping


def level(on_hand: int, reserved: int, **limits: object) -> int:
    return available_to_sell(on_hand, reserved, stock_limits(**limits)).level


def test_the_level_is_on_hand_less_reserved_less_the_buffer():
    """10 on hand, 3 reserved, a buffer of 2: 5 to sell, and the record says why."""
    availability = available_to_sell(10, 3, stock_limits(buffer="2"))
    assert (availability.buffer, availability.floor, availability.maximum) == (2, 0, None)
    assert availability.level == 5


def test_the_floor_sends_0_at_or_below_it_and_the_maximum_caps():
    """5 available: a floor of 5 offers none, a floor of 4 all 5; a maximum of 4 offers 4."""
    assert level(10, 3, buffer=2, floor=5) == 0
    assert level(10, 3, buffer=2, floor=4) == 5
    assert level(10, 3, buffer=2, maximum=4) == 4


def test_a_percentage_buffer_holds_back_whole_units_rounded_up():
    """10% of 7 unreserved is 0.7 of a unit: 1 is held back, 6 offered."""
    availability = available_to_sell(10, 3, stock_limits(buffer="10%"))
    assert (availability.buffer, availability.level) == (1, 6)
    assert level(10, 0, buffer="100%") == 0


def test_an_oversold_sku_offers_nothing_and_holds_nothing_back():
    """More reserved than on hand: level 0, and the buffer held back is 0, not negative."""
    availability = available_to_sell(2, 5, stock_limits(buffer=3))
    assert (availability.buffer, availability.level) == (0, 0)


def test_a_maximum_below_the_floor_offers_nothing_then_the_maximum():
    """Floor 5, maximum 3: 5 available offers 0, 6 available offers 3 (accepted, not refused)."""
    assert level(5, 0, floor=5, maximum=3) == 0
    assert level(6, 0, floor=5, maximum=3) == 3


def test_limits_are_read_from_what_a_person_sends():
    """Units as a number or digits, a percentage with %, None for unset."""
    assert stock_limits(buffer=5) == StockLimits(Buffer(5))
    assert stock_limits(buffer=" 5 ", floor="2") == StockLimits(Buffer(5), floor=2)
    assert stock_limits(buffer="10%", maximum=40) == StockLimits(Buffer(10, True), maximum=40)
    assert stock_limits() == StockLimits()


def test_every_bad_limit_is_named_at_once():
    """Negative units, a percentage over 100, a non-integer, a boolean: each field named."""
    with pytest.raises(ValidationFailed) as refused:
        stock_limits(buffer="101%", floor=-1, maximum=2.5)
    assert set(refused.value.problems) == {"buffer", "floor", "maximum"}
    for bad in ("-1", "-5%", "", "5 units", "1.5", True, MAX_UNITS + 1):
        with pytest.raises(ValidationFailed):
            stock_limits(buffer=bad)


def test_open_lines_reserve_what_they_have_left_to_ship_and_unmapped_ones_nothing():
    """The lines of open orders reserve their units left to ship, by SKU; a line mapped to no
    SKU reserves nothing. (Which orders are open is the repository's query: `OPEN`.)"""
    assert reserved_by_sku([("A", 2), (None, 5), ("A", 1), ("B", 4), ("B", -1)]) == {
        "A": 3,
        "B": 4,
    }
    assert {S.SHIP, S.HOLD} == OPEN


SKUS = st.sampled_from(["A", "B", "C"])
WAREHOUSES = st.sampled_from(["north", "south", "east"])
UNITS = st.integers(0, 40)
buffers = st.builds(Buffer, st.integers(0, 100), st.booleans())
limits = st.builds(StockLimits, st.none() | buffers, st.none() | UNITS, st.none() | UNITS)
unit_limits = st.builds(StockLimits, st.none() | st.builds(Buffer, UNITS), st.none() | UNITS)
lines = st.builds(LineToShip, st.none(), UNITS, st.integers(0, 5), st.integers(0, 5))
orders = st.lists(
    st.tuples(st.sampled_from(Shipping), st.lists(st.tuples(SKUS, lines), max_size=3)),
    max_size=4,
)
open_orders = st.tuples(
    st.sampled_from([S.SHIP, S.HOLD]), st.lists(st.tuples(SKUS, lines), min_size=1, max_size=3)
)
stocks = st.dictionaries(st.tuples(WAREHOUSES, SKUS), st.integers(-5, 40))
draws = st.none() | st.frozensets(WAREHOUSES, min_size=1)


def reserved_of(company_orders) -> dict[str, int]:
    return reserved_by_sku(
        (sku, line.to_ship)
        for state, order_lines in company_orders
        if state in OPEN
        for sku, line in order_lines
    )


def on_hand_of(stock, draw) -> dict[str, int]:
    """What WarehouseRepository.quantities sums (its contract test holds it to that)."""
    on_hand: dict[str, int] = {}
    for (warehouse, sku), quantity in stock.items():
        if draw is None or warehouse in draw:
            on_hand[sku] = on_hand.get(sku, 0) + quantity
    return on_hand


def levels(stock, draw, company_orders, store_limits) -> dict[str, int]:
    on_hand = on_hand_of(stock, draw)
    promised = reserved_of(company_orders)
    return {
        sku: available_to_sell(on_hand.get(sku, 0), promised.get(sku, 0), store_limits).level
        for sku in "ABC"
    }


ANY_INT = st.integers(-50, 150)
any_limits = st.builds(
    StockLimits,
    st.none() | st.builds(Buffer, ANY_INT, st.booleans()),
    st.none() | ANY_INT,
    st.none() | ANY_INT,
)


@given(ANY_INT, ANY_INT, any_limits)
def test_the_level_is_never_negative_whatever_the_limits(on_hand, reserved, any_limits):
    """Even limits no person could have set (negative ones) give a level of 0 or more."""
    assert available_to_sell(on_hand, reserved, any_limits).level >= 0


@given(st.integers(-50, 50), UNITS, limits)
def test_the_level_is_within_what_is_unreserved_and_the_maximum(on_hand, reserved, chosen):
    """0 <= level <= on hand - reserved, never above the maximum, and 0 or above the floor."""
    availability = available_to_sell(on_hand, reserved, chosen)
    assert 0 <= availability.level <= max(0, on_hand - reserved)
    assert chosen.maximum is None or availability.level <= chosen.maximum
    unreserved = max(0, on_hand - reserved)
    assert availability.level == 0 or unreserved - availability.buffer > availability.floor


@given(stocks, draws, orders, open_orders, limits, st.data())
def test_shipping_an_open_order_never_changes_the_level(
    stock, draw, others, shipping, chosen, data
):
    """q units of an open order's line leave a warehouse the store draws from: on hand and
    what is left to ship both drop by q, so every SKU's level stays as it was."""
    state, order_lines = shipping
    i = data.draw(st.integers(0, len(order_lines) - 1))
    sku, line = order_lines[i]
    q = data.draw(st.integers(0, line.to_ship))
    warehouse = data.draw(WAREHOUSES if draw is None else st.sampled_from(sorted(draw)))
    shipped_stock = {**stock, (warehouse, sku): stock.get((warehouse, sku), 0) - q}
    shipped_line = LineToShip(line.line_id, line.ordered, line.refunded, line.fulfilled + q)
    shipped = (state, [*order_lines[:i], (sku, shipped_line), *order_lines[i + 1 :]])
    before = levels(stock, draw, [*others, shipping], chosen)
    assert levels(shipped_stock, draw, [*others, shipped], chosen) == before


@given(stocks, draws, orders, open_orders, limits, unit_limits)
def test_cancelling_an_open_order_releases_exactly_what_it_reserved(
    stock, draw, others, cancelling, chosen, fixed
):
    """Reserved drops by exactly the order's units left to ship. The level never falls and
    rises by at most that (plus the floor, when a level of 0 crosses it); with a fixed buffer
    (or none) and no maximum, a level that was above 0 rises by exactly that."""
    before, after = [*others, cancelling], [*others, (S.CANCEL, cancelling[1])]
    released = reserved_of([cancelling])
    was_reserved, now_reserved = reserved_of(before), reserved_of(after)
    for sku in "ABC":
        assert was_reserved.get(sku, 0) - now_reserved.get(sku, 0) == released.get(sku, 0)
    for store_limits, exact in ((chosen, False), (fixed, True)):
        was, now = (
            levels(stock, draw, before, store_limits),
            levels(stock, draw, after, store_limits),
        )
        for sku in "ABC":
            crossed_floor = (store_limits.floor or 0) if was[sku] == 0 else 0
            assert 0 <= now[sku] - was[sku] <= released.get(sku, 0) + crossed_floor
            if exact and was[sku] > 0:
                assert now[sku] - was[sku] == released.get(sku, 0)


@given(st.integers(-10, 60), UNITS, st.integers(0, 100), st.none() | UNITS, st.none() | UNITS)
def test_a_percentage_never_offers_more_than_the_units_it_stands_for(
    on_hand, reserved, percent, floor, maximum
):
    """p% holds back p% of what is unreserved rounded up: never less than the exact share, less
    than a unit more, and it offers no more than a fixed buffer of that share rounded down."""
    unreserved = max(0, on_hand - reserved)
    share = StockLimits(Buffer(percent, in_percent=True), floor, maximum)
    held = available_to_sell(on_hand, reserved, share).buffer
    assert percent * unreserved <= 100 * held < percent * unreserved + 100
    fixed = StockLimits(Buffer(percent * unreserved // 100), floor, maximum)
    offered = available_to_sell(on_hand, reserved, share).level
    assert offered <= available_to_sell(on_hand, reserved, fixed).level


@given(limits, limits)
def test_a_mapping_overrides_the_store_limit_by_limit(store, mapping):
    """Each limit the mapping sets is its own; each it leaves unset is the store's."""
    combined = limits_for_mapping(store, mapping)
    for field in ("buffer", "floor", "maximum"):
        own = getattr(mapping, field)
        assert getattr(combined, field) == (getattr(store, field) if own is None else own)


ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.from_regex(r"\s*[+-]?\d{1,14}\s*%?\s*", fullmatch=True),
    st.lists(st.integers(), max_size=2),
)


def outcome(*raw: object) -> StockLimits | ValidationFailed:
    try:
        return stock_limits(*raw)
    except ValidationFailed as refused:
        return refused


@given(ANYTHING, ANYTHING, ANYTHING)
def test_any_input_gives_limits_or_names_what_is_wrong(buffer, floor, maximum):
    """Total: limits, or ValidationFailed naming only fields that were sent, never another
    exception; what is accepted lies within the allowed ranges."""
    sent = {"buffer": buffer, "floor": floor, "maximum": maximum}
    result = outcome(buffer, floor, maximum)
    if isinstance(result, ValidationFailed):
        assert result.problems
        assert {name for name, raw in sent.items() if raw is not None} >= set(result.problems)
        return
    if result.buffer is not None:
        assert 0 <= result.buffer.amount <= (100 if result.buffer.in_percent else MAX_UNITS)
    assert all(v is None or 0 <= v <= MAX_UNITS for v in (result.floor, result.maximum))


@given(st.integers(0, MAX_UNITS), st.integers(0, 100))
def test_units_and_percentages_read_back_as_written(units, percent):
    """Every allowed value, spelled as digits or with %, reads as itself."""
    assert stock_limits(buffer=str(units)).buffer == Buffer(units)
    assert stock_limits(buffer=f"{percent}%").buffer == Buffer(percent, in_percent=True)


def test_limits_change_one_at_a_time_and_none_takes_one_away():
    """What PATCH settings and a mapping's stock route send: an absent limit stays, "none"
    unsets one, the others are read as the store and mapping settings read them."""
    current = stock_limits(buffer="10%", floor=2, maximum=30)
    assert changed_limits(current) == current
    assert changed_limits(current, buffer=5) == stock_limits(buffer=5, floor=2, maximum=30)
    assert changed_limits(current, maximum="none", floor="0") == stock_limits(buffer="10%", floor=0)
    with pytest.raises(ValidationFailed) as refused:
        changed_limits(current, buffer="-1", maximum="lots")
    assert set(refused.value.problems) == {"buffer", "maximum"}


def test_the_events_that_move_reservations_are_those_of_lines_units_and_shipping():
    """An order created, changed in lines or quantities, moved in or out of shipping,
    refunded, fulfilled or deleted at the store re-pushes its SKUs; a new note or address
    does not."""
    from shipcrowd_woo.domain.feed import EVERY_CHANGE, Change

    moving = {
        Change.LINES,
        Change.QUANTITIES,
        Change.SHIPPABLE,
        Change.REFUNDED,
        Change.FULFILLED,
        Change.DELETED,
    }
    assert moves_reservations(EVERY_CHANGE)
    for change in Change:
        assert moves_reservations([change]) is (change in moving), change
    assert not moves_reservations([])
