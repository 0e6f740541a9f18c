"""The fulfilment rules of domain/fulfilment.py: what may be shipped, what the store is told."""

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.fulfilment import (
    Fulfilment,
    FulfilmentId,
    FulfilmentRequest,
    FulfilmentState,
    OrderNote,
    OrderNotShippable,
    ShippedLine,
    TrackingItem,
    accepted,
    customer_message,
    ensure_shippable,
    find_note,
    fulfilment_key,
    plan_shipment,
    status_to_set,
    tracking_id_of,
    tracking_item,
    validate_request,
    with_tracking,
)
from shipcrowd_woo.domain.ids import JobId, StoreId
from tests.builders import COMPANY_A, make_order

STORE = StoreId("store-1")
SHIPPED = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PPL = FulfilmentRequest(
    "PPL", "123456789", "https://www.ppl.cz/vyhledat-zasilku?shipmentId=123456789"
)


def _order(quantities=(2, 3), status="processing"):
    return make_order(38, store_id=STORE, quantities=quantities, status=status)


def _accepted(order, request=PPL, earlier=()):
    plan = plan_shipment(order, list(earlier), request)
    return accepted(
        FulfilmentId(f"f-{len(earlier)}"), order.key, request, plan, JobId("job"), SHIPPED
    )


def test_an_accepted_fulfilment_is_trimmed_dated_and_named_by_its_request():
    """Carrier and number as people type them (spaces trimmed), shipped when received
    unless the request says when, named by the request's key."""
    request = FulfilmentRequest("  PPL ", " 123456789  ")
    order = _order()
    fulfilment = _accepted(order, request)
    assert (fulfilment.carrier, fulfilment.tracking_number) == ("PPL", "123456789")
    assert fulfilment.shipped_at == fulfilment.created_at == SHIPPED
    assert fulfilment.key == fulfilment_key(request)
    assert (fulfilment.company_id, fulfilment.store_id, fulfilment.order_id) == (
        COMPANY_A,
        STORE,
        38,
    )
    earlier = datetime(2026, 12, 1, tzinfo=UTC)
    assert _accepted(order, attrs.evolve(request, shipped_at=earlier)).shipped_at == earlier


def test_the_clients_id_names_a_fulfilment_else_carrier_and_number_as_people_write_them():
    assert fulfilment_key(attrs.evolve(PPL, client_id="ship-1")) == "id:ship-1"
    spelled_otherwise = FulfilmentRequest(" ppl ", "1234 56789")
    assert fulfilment_key(spelled_otherwise) == fulfilment_key(PPL)
    assert fulfilment_key(FulfilmentRequest("DPD", "123456789")) != fulfilment_key(PPL)


def test_every_bad_field_of_a_request_is_named_at_once():
    bad = FulfilmentRequest(
        carrier=" ",
        tracking_number="x" * 101,
        tracking_url="javascript:alert(1)",
        shipped_at=datetime(2026, 12, 2),
        lines=(ShippedLine(5, 0), ShippedLine(5, 1)),
        client_id="",
    )
    with pytest.raises(ValidationFailed) as refused:
        validate_request(bad)
    assert set(refused.value.problems) == {
        "carrier",
        "tracking_number",
        "tracking_url",
        "shipped_at",
        "fulfillment_id",
        "lines[0].quantity",
        "lines[1].line_id",
    }


@pytest.mark.parametrize("status", ["cancelled", "refunded", "failed", "trash", "wc-cancelled"])
def test_an_order_that_ended_without_shipping_is_refused(status):
    """WooCommerce would complete a cancelled order when asked
    (recorded: fulfilment_cancelled_order_put_completed.json); we never do."""
    with pytest.raises(OrderNotShippable):
        ensure_shippable(38, status)


@pytest.mark.parametrize("status", ["pending", "on-hold", "processing", "completed"])
def test_open_and_completed_orders_may_ship(status):
    ensure_shippable(38, status)


def test_by_default_every_line_ships_and_completes_the_order():
    order = _order()
    plan = plan_shipment(order, [], PPL)
    assert plan.lines == (ShippedLine(3800, 2), ShippedLine(3801, 3))
    assert plan.completes_order


def test_partial_shipments_complete_the_order_with_the_last_unit():
    order = _order()
    first = _accepted(order, attrs.evolve(PPL, lines=(ShippedLine(3800, 2), ShippedLine(3801, 1))))
    assert not first.completes_order
    rest = plan_shipment(order, [first], FulfilmentRequest("DPD", "77"))
    assert rest.lines == (ShippedLine(3801, 2),)
    assert rest.completes_order


def test_lines_the_order_lacks_or_more_than_is_left_are_refused_by_name():
    order = _order()
    first = _accepted(order, attrs.evolve(PPL, lines=(ShippedLine(3801, 2),)))
    asked = FulfilmentRequest("DPD", "77", lines=(ShippedLine(9999, 1), ShippedLine(3801, 2)))
    with pytest.raises(ValidationFailed) as refused:
        plan_shipment(order, [first], asked)
    assert refused.value.problems == {
        "lines[0].line_id": "order 38 has no line 9999",
        "lines[1].quantity": "only 1 of line 3801 left to ship",
    }


def test_a_refused_fulfilment_shipped_nothing():
    order = _order()
    gone = attrs.evolve(_accepted(order), state=FulfilmentState.REFUSED)
    assert plan_shipment(order, [gone], FulfilmentRequest("DPD", "77")).lines == (
        ShippedLine(3800, 2),
        ShippedLine(3801, 3),
    )


def test_an_order_trashed_at_the_store_or_cancelled_here_cannot_be_planned():
    with pytest.raises(OrderNotShippable):
        plan_shipment(_order(status="cancelled"), [], PPL)
    trashed = attrs.evolve(_order(), deleted_at_store=SHIPPED)
    with pytest.raises(OrderNotShippable):
        plan_shipment(trashed, [], PPL)


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.data())
def test_shipments_never_exceed_the_order_and_complete_it_exactly_when_all_shipped(
    quantities, data
):
    order = _order(quantities=tuple(quantities))
    earlier: list[Fulfilment] = []
    for step in range(sum(quantities) + 1):
        left = {
            line.woo_line_id: line.quantity
            - sum(s.quantity for f in earlier for s in f.lines if s.line_id == line.woo_line_id)
            for line in order.lines
        }
        open_lines = [(i, n) for i, n in left.items() if n > 0]
        if not open_lines:
            break
        line_id, most = data.draw(st.sampled_from(open_lines))
        units = data.draw(st.integers(1, most))
        request = FulfilmentRequest("PPL", f"n{step}", lines=(ShippedLine(line_id, units),))
        earlier.append(_accepted(order, request, earlier))
        shipped_everything = all(
            sum(s.quantity for f in earlier for s in f.lines if s.line_id == line.woo_line_id)
            == line.quantity
            for line in order.lines
        )
        assert earlier[-1].completes_order == shipped_everything
    assert earlier[-1].completes_order


def test_our_tracking_item_has_the_extensions_shape_and_a_stable_id():
    """Field names and unix-seconds date as in fulfilment_order_put_tracking_meta_and_completed."""
    fulfilment = _accepted(_order())
    item = tracking_item(fulfilment)
    assert attrs.asdict(item) == {
        "tracking_provider": "",
        "custom_tracking_provider": "PPL",
        "custom_tracking_link": PPL.tracking_url,
        "tracking_number": "123456789",
        "date_shipped": str(int(SHIPPED.timestamp())),
        "tracking_id": tracking_id_of(fulfilment.key),
    }
    assert len(item.tracking_id) == 32


def test_other_shipments_are_kept_and_ours_is_added_once():
    ours = tracking_item(_accepted(_order()))
    theirs = TrackingItem(tracking_provider="usps", tracking_number="9400", tracking_id="abc")
    assert with_tracking([theirs], ours) == (theirs, ours)
    assert with_tracking([theirs, ours], ours) is None
    # Written through the extension's route, which picks its own id.
    by_route = attrs.evolve(ours, tracking_id="0f0f", custom_tracking_provider="ppl")
    assert with_tracking([by_route], ours) is None


def test_the_customer_note_names_carrier_number_and_link_as_recorded():
    """The text of fulfilment_order_note_to_customer.json."""
    fulfilment = _accepted(_order())
    assert customer_message(fulfilment) == (
        "Your order has shipped with PPL. Tracking number 123456789: "
        "https://www.ppl.cz/vyhledat-zasilku?shipmentId=123456789"
    )
    partial = attrs.evolve(fulfilment, completes_order=False, tracking_url="")
    assert (
        customer_message(partial)
        == "Part of your order has shipped with PPL. Tracking number 123456789."
    )
    note = OrderNote(373, customer_message(fulfilment), True)
    assert find_note([OrderNote(1, "Order status changed.", False), note], fulfilment) == note
    assert find_note([OrderNote(1, "Order status changed.", False)], fulfilment) is None


def test_the_order_is_completed_by_its_last_shipment_when_the_store_wants_it():
    last = _accepted(_order())
    assert status_to_set(last, "processing", complete_on_ship=True) == "completed"
    assert status_to_set(last, "completed", complete_on_ship=True) is None
    assert status_to_set(last, "processing", complete_on_ship=False) is None
    assert status_to_set(attrs.evolve(last, completes_order=False), "processing", True) is None
