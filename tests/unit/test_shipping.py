"""When an order ships, and what is left to ship (domain/shipping.py): a test per default rule,
the exceptions (cash on delivery, refunds, deletion) and properties over any order."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.shipping import (
    DEFAULT_STATUS_RULES,
    LineToShip,
    Shipping,
    ShippingBasis,
    ShippingRules,
    chosen_rules,
    lines_to_ship,
    shippable,
)
from shipcrowd_woo.domain.statuses import WOO_STATUS_TABLE

S = Shipping
DELETED_AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
EXPECTED_DEFAULTS = {
    "processing": S.SHIP,
    "on-hold": S.HOLD,
    "pending": S.HOLD,
    "completed": S.IGNORE,
    "cancelled": S.CANCEL,
    "refunded": S.CANCEL,
    "failed": S.CANCEL,
}


def basis(
    status: str = "processing",
    *,
    cod: bool = False,
    refunded: bool = False,
    deleted: bool = False,
    lines: tuple[tuple[int | None, int], ...] = ((1, 2), (2, 1)),
) -> ShippingBasis:
    return ShippingBasis(status, cod, refunded, DELETED_AT if deleted else None, lines)


def decide(b: ShippingBasis, rules: ShippingRules | None = None, fulfilled=None):
    return shippable(b, rules or ShippingRules(), lines_to_ship(b, fulfilled or {}))


@pytest.mark.parametrize(("status", "expected"), sorted(EXPECTED_DEFAULTS.items()))
def test_each_core_status_has_the_issues_default(status, expected):
    """processing ships, on-hold and pending hold, completed is ignored, the ends cancel."""
    assert decide(basis(status)).state is expected


def test_every_status_woocommerce_names_has_a_default_or_holds():
    """A status with no default rule holds (an extension's: a person decides)."""
    for status in WOO_STATUS_TABLE:
        expected = DEFAULT_STATUS_RULES.get(status, S.HOLD)
        assert ShippingRules().rule_for(status) is expected
    decision = decide(basis("awaiting-shipment"))
    assert decision.state is S.HOLD
    assert "no rule" in decision.why


def test_a_pending_order_paid_in_cash_on_delivery_ships_unless_the_store_says_not():
    """Pending + COD ships by default; turned off, or with a rule of its own, it holds."""
    assert decide(basis("pending", cod=True)).state is S.SHIP
    off = ShippingRules(ship_pending_cash_on_delivery=False)
    assert decide(basis("pending", cod=True), off).state is S.HOLD
    chosen = chosen_rules(ShippingRules(), {"pending": "hold"})
    assert decide(basis("pending", cod=True), chosen).state is S.HOLD


def test_custom_statuses_take_the_rule_the_store_gives_them():
    """A store's map covers extensions' statuses, and may move core ones; 'default' drops it."""
    rules = chosen_rules(ShippingRules(), {"awaiting-shipment": "ship", "wc-completed": "ship"})
    assert decide(basis("awaiting-shipment"), rules).state is S.SHIP
    assert decide(basis("completed"), rules).state is S.SHIP
    assert "the store's rule" in decide(basis("completed"), rules).why
    back = chosen_rules(rules, {"completed": "default"})
    assert decide(basis("completed"), back).state is S.IGNORE


def test_bad_rules_are_refused_naming_each():
    """An unknown decision or a status that is no slug is a validation error per entry."""
    with pytest.raises(ValidationFailed) as raised:
        chosen_rules(ShippingRules(), {"processing": "maybe", "no spaces": "ship", "": "hold"})
    assert set(raised.value.problems) == {
        "shipping.statuses.processing",
        "shipping.statuses.no spaces",
        "shipping.statuses.",
    }


def test_an_order_refunded_in_full_or_deleted_is_cancelled_whatever_its_status():
    """ShipStation's rule: refunded orders are cancelled; so is one the store deleted."""
    refunded = decide(basis("processing", refunded=True))
    assert (refunded.state, refunded.why) == (S.CANCEL, "refunded in full")
    assert decide(basis("processing", deleted=True)).state is S.CANCEL


def test_a_line_ships_what_was_ordered_less_refunds_and_fulfilments():
    """to_ship = ordered - refunded - fulfilled; an order fully shipped is then ignored."""
    b = basis(lines=((1, 3), (2, 1)))
    lines = lines_to_ship(b, {1: 2})
    assert [line.to_ship for line in lines] == [1, 1]
    assert decide(b, fulfilled={1: 3, 2: 1}).state is S.IGNORE
    assert lines_to_ship(basis(refunded=True, lines=((1, 3),)), {}) == (LineToShip(1, 3, 3, 0),)


statuses = st.sampled_from([*EXPECTED_DEFAULTS, "checkout-draft", "trash", "awaiting-shipment"])
line_lists = st.lists(st.tuples(st.none() | st.integers(1, 5), st.integers(-2, 5)), max_size=4).map(
    tuple
)
bases = st.builds(
    ShippingBasis,
    statuses,
    st.booleans(),
    st.booleans(),
    st.none() | st.just(DELETED_AT),
    line_lists,
)
fulfilments = st.dictionaries(st.integers(1, 5), st.integers(-1, 9))
rule_maps = st.dictionaries(statuses, st.sampled_from([rule.value for rule in Shipping]))


@given(bases, fulfilments, rule_maps)
def test_every_order_gets_a_decision_and_nothing_is_ever_negative(b, fulfilled, chosen):
    """Total: any basis, fulfilments and rules give a decision with a reason; no line has
    less than 0 or more than it ordered left to ship."""
    rules = chosen_rules(ShippingRules(), chosen)
    lines = lines_to_ship(b, fulfilled)
    decision = shippable(b, rules, lines)
    assert decision.state in Shipping
    assert decision.why
    assert all(0 <= line.to_ship <= line.ordered for line in lines)


@given(bases, fulfilments, rule_maps)
def test_deleted_or_refunded_orders_never_ship(b, fulfilled, chosen):
    """Whatever the rules, an order deleted at the store or refunded in full is cancelled."""
    decision = shippable(b, chosen_rules(ShippingRules(), chosen), lines_to_ship(b, fulfilled))
    if b.deleted or b.refunded_in_full:
        assert decision.state is S.CANCEL


@given(bases, fulfilments)
def test_shipping_more_never_raises_what_is_left(b, fulfilled):
    """One more unit fulfilled of any line leaves no line with more to ship."""
    before = lines_to_ship(b, fulfilled)
    for line_id, _ in b.lines:
        if line_id is None:
            continue
        more = {**fulfilled, line_id: fulfilled.get(line_id, 0) + 1}
        after = lines_to_ship(b, more)
        assert all(a.to_ship <= b_.to_ship for a, b_ in zip(after, before, strict=True))
