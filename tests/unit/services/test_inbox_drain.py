"""Draining the inbox, on fakes."""

from datetime import timedelta

import pytest

from shipcrowd_woo.domain.webhooks import DeliveryState, Topic
from shipcrowd_woo.services.inbox import InboxDrain
from shipcrowd_woo.services.webhooks import WebhookProcessor
from tests.unit.services.test_webhook_processing import deliver


def test_a_drain_that_fails_gives_its_batch_back_at_once(world):
    """Issue 29: a failing batch frees its deliveries' leases when it fails, so the next
    drain takes them now instead of when the lease would have ended."""
    store = world.install()
    order_id = min(world.sandbox.orders)
    delivery = deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))

    class Failing(WebhookProcessor):
        def process_batch(self, deliveries):
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        InboxDrain(world.context, Failing(world.context, world.confirmations)).drain(
            timedelta(seconds=20)
        )
    assert delivery not in world.database.leases
    processor = WebhookProcessor(world.context, world.confirmations)
    report = InboxDrain(world.context, processor).drain(timedelta(seconds=20))
    assert report.processed == 1
    assert world.database.deliveries[delivery].state is DeliveryState.PROCESSED
