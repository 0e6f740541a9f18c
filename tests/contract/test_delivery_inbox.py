"""DeliveryInbox contract: one delivery per store, topic and exact body."""

import attrs

from shipcrowd_woo.domain.webhooks import DeliveryState, Topic
from tests.builders import later, make_delivery


def test_a_delivery_is_kept_byte_for_byte(uow_factory, store):
    """The raw body comes back identical."""
    delivery = make_delivery(store, body=b'{"id":329,"status":"pending","name":"J\\u00f6"}')
    with uow_factory() as uow:
        assert uow.deliveries.add(delivery) is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.deliveries.get(delivery.id) == delivery


def test_the_same_body_for_the_same_store_and_topic_is_kept_once(uow_factory, store):
    """An identical redelivery is refused; another topic or body is a new delivery."""
    with uow_factory() as uow:
        assert uow.deliveries.add(make_delivery(store, b'{"id":1}')) is True
        assert uow.deliveries.add(make_delivery(store, b'{"id":1}')) is False
        assert uow.deliveries.add(make_delivery(store, b'{"id":1} ')) is True
        assert uow.deliveries.add(make_delivery(store, b'{"id":1}', Topic.ORDER_CREATED)) is True
        uow.commit()


def test_settling_marks_what_is_still_received_once(uow_factory, store):
    """PROCESSED with its time, or FAILED with its reason; a delivery settled already is
    not settled again (whoever settles it applies its effects, once)."""
    ok, bad, settled_before = (make_delivery(store, f'{{"id":{n}}}'.encode()) for n in (1, 2, 3))
    with uow_factory() as uow:
        for delivery in (ok, bad, settled_before):
            uow.deliveries.add(delivery)
        uow.commit()
    with uow_factory() as uow:
        assert uow.deliveries.settle([settled_before.id], later(1), {}) == {settled_before.id}
        uow.commit()
    with uow_factory() as uow:
        ids = [ok.id, bad.id, settled_before.id]
        assert uow.deliveries.settle(ids, later(2), {bad.id: "x"}) == {ok.id, bad.id}
        uow.commit()
    with uow_factory() as uow:
        assert uow.deliveries.get(ok.id) == attrs.evolve(
            ok, state=DeliveryState.PROCESSED, processed_at=later(2)
        )
        assert uow.deliveries.get(bad.id) == attrs.evolve(
            bad, state=DeliveryState.FAILED, processed_at=later(2), error="x"
        )
        assert uow.deliveries.get(settled_before.id).processed_at == later(1)


def test_settling_in_a_transaction_rolled_back_settles_nothing(uow_factory, store):
    delivery = make_delivery(store)
    with uow_factory() as uow:
        uow.deliveries.add(delivery)
        uow.commit()
    with uow_factory() as uow:
        uow.deliveries.settle([delivery.id], later(1), {})
    with uow_factory() as uow:
        assert uow.deliveries.get(delivery.id).state is DeliveryState.RECEIVED
