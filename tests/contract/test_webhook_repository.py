"""WebhookRepository contract."""

import attrs

from tests.builders import later, make_store, make_webhook


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
