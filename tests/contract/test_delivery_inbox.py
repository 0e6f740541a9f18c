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


def test_processing_state_is_saved(uow_factory, store):
    """PROCESSED with its time, or FAILED with its error."""
    delivery = make_delivery(store)
    with uow_factory() as uow:
        uow.deliveries.add(delivery)
        uow.commit()
    done = attrs.evolve(delivery, state=DeliveryState.FAILED, processed_at=later(1), error="x")
    with uow_factory() as uow:
        uow.deliveries.update(done)
        uow.commit()
    with uow_factory() as uow:
        assert uow.deliveries.get(delivery.id) == done
