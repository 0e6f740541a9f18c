"""WebhookRepository contract."""

import attrs

from shipcrowd_woo.domain.webhooks import Topic
from tests.builders import COMPANY_A, COMPANY_B, later, make_store, make_webhook, sealed


def test_webhooks_are_found_by_store_and_woocommerce_id(uow_factory):
    """A delivery's X-WC-Webhook-ID finds its webhook within its store only."""
    store, other = make_store(url="https://1.example"), make_store(url="https://2.example")
    created = make_webhook(store, Topic.ORDER_CREATED, woo_id=1)
    updated = make_webhook(store, Topic.ORDER_UPDATED, woo_id=2)
    foreign = make_webhook(other, Topic.ORDER_CREATED, woo_id=1)
    with uow_factory() as uow:
        uow.stores.add(store)
        uow.stores.add(other)
        for webhook in (created, updated, foreign):
            uow.webhooks.add(webhook)
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhooks.for_delivery(store.url, 2) == [(store.company_id, updated)]
        assert uow.webhooks.for_delivery(store.url, 1) == [(store.company_id, created)]
        assert uow.webhooks.for_delivery(store.url, 3) == []
        assert uow.webhooks.for_store(store.id) == [created, updated]


def test_a_delivery_finds_the_active_webhooks_of_its_source_across_companies(uow_factory):
    """A delivery names only its source URL and X-WC-Webhook-ID: both companies that
    connected the store answer to it, each with its company; an inactive webhook, a
    disconnected store, another id or another URL do not."""
    shared = "https://shared.example"
    a = make_store(COMPANY_A, shared, store_id="a")
    b = make_store(COMPANY_B, shared, store_id="b")
    gone = make_store(COMPANY_A, "https://gone.example", store_id="gone", is_active=False)
    of_a = make_webhook(a, Topic.ORDER_UPDATED, woo_id=7)
    of_b = make_webhook(b, Topic.ORDER_UPDATED, woo_id=7)
    inactive = attrs.evolve(make_webhook(b, Topic.ORDER_CREATED, woo_id=8), is_active=False)
    of_gone = make_webhook(gone, Topic.ORDER_UPDATED, woo_id=7)
    with uow_factory() as uow:
        for store in (a, b, gone):
            uow.stores.add(store)
        for webhook in (of_a, of_b, inactive, of_gone):
            uow.webhooks.add(webhook)
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhooks.for_delivery(shared, 7) == [(COMPANY_A, of_a), (COMPANY_B, of_b)]
        assert uow.webhooks.for_delivery(shared, 8) == []
        assert uow.webhooks.for_delivery(shared, 9) == []
        assert uow.webhooks.for_delivery("https://gone.example", 7) == []
        assert uow.webhooks.for_delivery("https://other.example", 7) == []


def stored_webhook(uow_factory):
    """A store and one webhook of it, committed."""
    store = make_store()
    webhook = make_webhook(store)
    with uow_factory() as uow:
        uow.stores.add(store)
        uow.webhooks.add(webhook)
        uow.commit()
    return store, webhook


def test_webhooks_are_updated_and_removed(uow_factory):
    """Deactivation and last delivery are saved; removal forgets the webhook."""
    store, webhook = stored_webhook(uow_factory)
    changed = attrs.evolve(webhook, is_active=False, last_delivery_at=later(3))
    with uow_factory() as uow:
        uow.webhooks.update(changed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhooks.for_store(store.id) == [changed]
        uow.webhooks.remove(webhook.id)
        uow.commit()
    with uow_factory() as uow:
        assert uow.webhooks.for_store(store.id) == []


def test_a_delivery_moves_the_last_delivery_forward_and_writes_nothing_it_read(uow_factory):
    """The intake reads a webhook, a key rotation re-seals its secret, then the delivery is
    recorded: the new secret stays, the time moves forward, and an earlier time recorded
    afterwards does not move it back."""
    store, webhook = stored_webhook(uow_factory)
    with uow_factory() as uow:
        [(_, read_by_the_intake)] = uow.webhooks.for_delivery(store.url, webhook.woo_webhook_id)
    resealed = attrs.evolve(webhook, secret=sealed("re-sealed under the newest key"))
    with uow_factory() as uow:
        uow.webhooks.update(resealed)
        uow.commit()
    for moment in (later(5), later(2)):
        with uow_factory() as uow:
            uow.webhooks.record_delivery(read_by_the_intake.id, moment)
            uow.commit()
    with uow_factory() as uow:
        assert uow.webhooks.for_store(store.id) == [
            attrs.evolve(resealed, last_delivery_at=later(5))
        ]
