"""Properties of the transformation: total, reconciling, deterministic."""

import json
from datetime import timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.converters.woocommerce import order_from_json
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.rejections import Rejection
from tests.strategies import json_values, mangled_woo_orders, woo_orders


@given(woo_orders())
def test_every_realistic_order_transforms_and_its_totals_reconcile(context, payload):
    """Lines + shipping + fees - discount + tax == total, within the store's decimals."""
    order = order_from_json(payload, context)
    assert isinstance(order, Order), order
    assert order.totals_gap == 0
    assert len(order.lines) == len(payload["line_items"])
    assert order.totals.refunded >= 0


@given(json_values)
def test_any_json_value_gives_an_order_or_a_rejection(context, payload):
    """No JSON value makes the transformation raise."""
    assert isinstance(order_from_json(payload, context), Order | Rejection)


@given(mangled_woo_orders())
def test_any_damage_to_a_real_order_gives_an_order_or_a_rejection(context, payload):
    """Replacing fields anywhere in an order with arbitrary JSON never makes it raise."""
    result = order_from_json(payload, context)
    assert isinstance(result, Order | Rejection)
    if isinstance(result, Rejection):
        assert result.problems


@given(woo_orders())
def test_transforming_twice_gives_the_same_order(context, payload):
    """The transformation is deterministic, fingerprint included."""
    assert order_from_json(payload, context) == order_from_json(payload, context)


@given(woo_orders(), st.timedeltas(timedelta(seconds=1), timedelta(days=3)))
def test_the_fingerprint_ignores_when_we_observed_the_snapshot(context, payload, later):
    """The same snapshot observed at two moments is the same content."""
    first = order_from_json(payload, context)
    second = order_from_json(
        payload, attrs.evolve(context, observed_at=context.observed_at + later)
    )
    assert isinstance(first, Order)
    assert isinstance(second, Order)
    assert first.fingerprint == second.fingerprint
    assert first.observed_at != second.observed_at


@given(woo_orders())
def test_the_fingerprint_survives_a_json_round_trip_with_reordered_keys(context, payload):
    """Key order and re-encoding do not change the fingerprint."""
    reordered = json.loads(json.dumps(dict(reversed(payload.items())), default=str))
    first = order_from_json(payload, context)
    second = order_from_json(reordered, context)
    assert isinstance(first, Order)
    assert isinstance(second, Order)
    assert first.fingerprint == second.fingerprint


@given(woo_orders(), st.sampled_from(["status", "total", "customer_note", "date_modified_gmt"]))
def test_a_change_to_a_mapped_field_changes_the_fingerprint(context, payload, field):
    """Changing what we map gives a different fingerprint."""
    changed = dict(payload)
    changed[field] = {
        "status": "completed" if payload["status"] != "completed" else "cancelled",
        "total": payload["total"] + "1",
        "customer_note": payload["customer_note"] + "!",
        "date_modified_gmt": payload["date_modified_gmt"][:-2]
        + ("00" if not payload["date_modified_gmt"].endswith("00") else "01"),
    }[field]
    first = order_from_json(payload, context)
    second = order_from_json(changed, context)
    assert isinstance(first, Order)
    assert isinstance(second, Order)
    assert first.fingerprint != second.fingerprint
