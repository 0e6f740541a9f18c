"""Confirming unsettled orders from the store, on fakes: durable, retried, never dropped."""

from datetime import timedelta

import attrs
import pytest

from shipcrowd_woo.converters.woocommerce import parse_order
from shipcrowd_woo.domain.errors import StoreResourceNotFound, StoreUnavailable
from shipcrowd_woo.domain.jobs import ConfirmOrders
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.transform import transform_order
from shipcrowd_woo.domain.versions import CLOCK_TOLERANCE, Confirmation
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.services.confirmations import LOST_AFTER
from shipcrowd_woo.services.order_writing import transform_context
from shipcrowd_woo.services.webhooks import WebhookProcessor
from tests.unit.services.conftest import COMPANY
from tests.unit.services.test_webhook_processing import deliver

DUE = CLOCK_TOLERANCE + timedelta(milliseconds=1)


def _unsettled(world, store, changes):
    """An order stored as a delivery with `changes` to what the store holds, then a delivery
    of what the store holds, in the same second: left unsettled, its confirmation noted."""
    order_id = next(i for i, o in world.sandbox.orders.items() if o["status"] == "processing")
    stale = world.sandbox.order_json(order_id) | changes
    processor = WebhookProcessor(world.context, world.confirmations)
    processor.process(deliver(world, store, Topic.ORDER_UPDATED, stale))
    world.clock.advance(seconds=0.1)
    processor.process(
        deliver(world, store, Topic.ORDER_UPDATED, world.sandbox.order_json(order_id))
    )
    key = OrderKey(COMPANY, store.id, order_id)
    assert key in world.database.confirmations
    return key


def test_a_refetch_that_fails_leaves_the_confirmation_waiting_until_one_succeeds(world):
    """Issue 29: the store cannot be reached when the order is confirmed (452821c wrote the
    incoming snapshot as it was): the job fails for the queue to retry, the stored version
    stays and so does the confirmation; the next attempt settles it."""
    store = world.install()
    key = _unsettled(world, store, {"status": "on-hold"})
    world.stores.fail("get_order", StoreUnavailable(store.url, "timed out"))
    world.clock.advance(seconds=DUE.total_seconds())
    with pytest.raises(StoreUnavailable):
        world.confirmations.confirm(COMPANY, store.id)
    assert world.database.orders[key].woo_status == "on-hold"
    assert key in world.database.confirmations
    world.confirmations.confirm(COMPANY, store.id)
    assert world.database.orders[key].woo_status == "processing"
    assert world.database.confirmations == {}


def test_a_confirmation_waits_until_a_fetch_can_prove_itself_newer(world):
    """A job run before the clock tolerance has passed since the order was noted fetches
    nothing: its fetch could not prove itself newer than what was known then."""
    store = world.install()
    _unsettled(world, store, {"status": "on-hold"})
    report = world.confirmations.confirm(COMPANY, store.id)
    assert (report.fetched, world.stores.called("get_order")) == (0, [])
    assert len(world.database.confirmations) == 1


def test_an_order_noted_again_while_its_fetch_ran_keeps_its_confirmation(world):
    """A snapshot that arrived after the confirming request was sent is not settled by it:
    the confirmation stays, noted later, and the next job is scheduled."""
    store = world.install()
    key = _unsettled(world, store, {"status": "on-hold"})
    world.clock.advance(seconds=DUE.total_seconds())
    real_get = world.sandbox.order_json

    def noted_meanwhile(order_id, fields=None):
        with world.uow() as uow:
            uow.confirmations.note([Confirmation(key, world.clock.now() + DUE)])
            uow.commit()
        return real_get(order_id, fields)

    world.sandbox.order_json = noted_meanwhile
    world.confirmations.confirm(COMPANY, store.id)
    world.sandbox.order_json = real_get
    assert key in world.database.confirmations
    assert [job for _, job, _ in world.queue.sent][-1] == ConfirmOrders(COMPANY, store.id)


def test_an_order_the_store_no_longer_has_is_settled(world):
    """A 404 is the store's answer too: the confirmation goes, the order stays (marking a
    permanent deletion is the reconciliation's, with its guard against mass deletions)."""
    store = world.install()
    key = _unsettled(world, store, {"status": "on-hold"})
    world.stores.fail("get_order", StoreResourceNotFound(store.url, "no such order"))
    world.clock.advance(seconds=DUE.total_seconds())
    report = world.confirmations.confirm(COMPANY, store.id)
    assert report.gone == 1
    assert world.database.confirmations == {}
    assert key in world.database.orders


def test_a_paused_store_keeps_its_confirmations_for_when_it_resumes(world):
    """Paused: the job does not run and the confirmation waits; the sweep skips it while
    paused and sends the job once the store is resumed."""
    store = world.install()
    key = _unsettled(world, store, {"status": "on-hold"})
    with world.uow() as uow:
        uow.stores.update(attrs.evolve(store, is_paused=True))
        uow.commit()
    world.clock.advance(seconds=DUE.total_seconds())
    assert world.confirmations.confirm(COMPANY, store.id).not_run
    world.clock.advance(seconds=LOST_AFTER.total_seconds() + 1)
    assert world.confirmations.sweep() == 0
    with world.uow() as uow:
        uow.stores.update(store)
        uow.commit()
    sent = len(world.queue.sent)
    assert world.confirmations.sweep() == 1
    assert world.queue.sent[sent][1] == ConfirmOrders(COMPANY, store.id)
    world.confirm()
    assert world.database.orders[key].woo_status == "processing"


def test_confirmations_whose_job_was_lost_are_sent_again_by_the_sweep(world):
    """Every message lost or every attempt failed: the sweep sends a job for confirmations
    waiting longer than LOST_AFTER, once per store per sweep period."""
    store = world.install()
    _unsettled(world, store, {"status": "on-hold"})
    world.queue.sent.clear()
    world.clock.advance(seconds=LOST_AFTER.total_seconds() - 1)
    assert world.confirmations.sweep() == 0
    world.clock.advance(seconds=2)
    assert world.confirmations.sweep() == 1
    assert world.confirmations.sweep() == 0
    assert world.confirm() == 1
    assert world.database.confirmations == {}


def test_a_confirmation_is_written_under_the_rule_like_every_snapshot(world):
    """What the store answers is written only if it proves itself newer: a same-second
    snapshot that arrived while the fetch ran is left alone and confirmed again."""
    store = world.install()
    key = _unsettled(world, store, {"status": "on-hold"})
    world.clock.advance(seconds=DUE.total_seconds())
    real_get = world.sandbox.order_json

    def a_delivery_lands_meanwhile(order_id, fields=None):
        world.clock.advance(seconds=0.5)
        late = transform_order(
            parse_order(real_get(order_id) | {"customer_note": "late"}),
            transform_context(store, world.clock.now()),
        )
        world.database.orders[key] = late
        return real_get(order_id, fields)

    world.sandbox.order_json = a_delivery_lands_meanwhile
    world.confirmations.confirm(COMPANY, store.id)
    world.sandbox.order_json = real_get
    assert world.database.orders[key].customer_note == "late"
    assert key in world.database.confirmations
    world.confirm()
    assert world.database.orders[key].customer_note != "late"
    assert world.database.confirmations == {}
