"""StoreRepository: the same behaviour from the fake, SQLite and PostgreSQL."""

from datetime import timedelta

import attrs
import pytest

from shipcrowd_woo.domain.errors import AlreadyExists, StoreNotFound
from shipcrowd_woo.domain.pagination import PageRequest
from shipcrowd_woo.domain.store import FulfilmentConfig, OrderSyncConfig, StoreStats
from shipcrowd_woo.domain.webhook_health import WebhookHealth, WebhookState
from tests.builders import COMPANY_A, COMPANY_B, later, make_delivery, make_store, make_webhook


def test_a_store_reads_back_exactly_as_written(uow_factory):
    """Every field, sealed credentials and UTC times included, survives the round trip."""
    store = make_store(
        order_sync=OrderSyncConfig(interval=timedelta(minutes=7), overlap=timedelta(minutes=2)),
        stats=StoreStats(orders_synced=12, last_order_sync_at=later(30)),
        order_cursor=later(10),
        is_paused=True,
        fulfilment=FulfilmentConfig(complete_on_ship=False, notify_customer=False),
    )
    with uow_factory() as uow:
        uow.stores.add(store)
        uow.commit()
    with uow_factory() as uow:
        assert uow.stores.get(COMPANY_A, store.id) == store


def test_another_companys_store_is_not_found(uow_factory):
    """Scoping by company: company B cannot read company A's store by its id."""
    store = make_store(COMPANY_A)
    with uow_factory() as uow:
        uow.stores.add(store)
        uow.commit()
        with pytest.raises(StoreNotFound):
            uow.stores.get(COMPANY_B, store.id)
        assert uow.stores.find_by_url(COMPANY_B, store.url) is None


def test_one_url_once_per_company_but_shared_across_companies(uow_factory):
    """The same store URL may be connected by two companies, not twice by one."""
    with uow_factory() as uow:
        uow.stores.add(make_store(COMPANY_A, "https://shop.example.com"))
        uow.stores.add(make_store(COMPANY_B, "https://shop.example.com"))
        with pytest.raises(AlreadyExists):
            uow.stores.add(make_store(COMPANY_A, "https://shop.example.com"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.stores.list(COMPANY_A, PageRequest()).total == 1


def test_listing_is_newest_first_and_paginated(uow_factory):
    """Pages slice the company's stores, newest installation first."""
    stores = [make_store(url=f"https://s{i}.example", installed_at=later(i)) for i in range(5)]
    with uow_factory() as uow:
        for store in stores:
            uow.stores.add(store)
        uow.stores.add(make_store(COMPANY_B, "https://other.example"))
        uow.commit()
    with uow_factory() as uow:
        page = uow.stores.list(COMPANY_A, PageRequest(offset=1, limit=2))
    assert page.total == 5
    assert [s.url for s in page.items] == ["https://s3.example", "https://s2.example"]


def test_syncable_stores_are_active_and_unpaused_across_companies(uow_factory):
    """The scheduler's sweep skips paused and disconnected stores."""
    active_a = make_store(COMPANY_A, "https://a.example", store_id="a")
    active_b = make_store(COMPANY_B, "https://b.example", store_id="b")
    paused = make_store(COMPANY_A, "https://p.example", is_paused=True)
    gone = make_store(COMPANY_A, "https://g.example", is_active=False)
    with uow_factory() as uow:
        for store in (active_a, active_b, paused, gone):
            uow.stores.add(store)
        uow.commit()
    with uow_factory() as uow:
        assert [s.id for s in uow.stores.syncable()] == ["a", "b"]


def test_an_update_is_saved(uow_factory):
    """Changing a store and saving it keeps the change."""
    store = make_store()
    with uow_factory() as uow:
        uow.stores.add(store)
        uow.commit()
    changed = attrs.evolve(store, is_paused=True, wc_version="10.1.0", name="Renamed")
    with uow_factory() as uow:
        uow.stores.update(changed)
        uow.commit()
    with uow_factory() as uow:
        assert uow.stores.get(COMPANY_A, store.id) == changed


def test_counters_move_atomically_and_survive_a_concurrent_admin_update(uow_factory, inbox):
    """Order counts add up, the cursor only moves forward, and a pause saved from a stale copy
    does not undo them."""
    store = make_store()
    webhook = make_webhook(store)
    with uow_factory() as uow:
        uow.stores.add(store)
        uow.webhooks.add(webhook)
        uow.commit()
    with uow_factory() as uow:
        uow.stores.record_order_sync(store.id, 5, later(10), cursor=later(100))
        uow.stores.record_order_sync(store.id, 3, later(20), cursor=later(50))
        uow.stores.record_inventory_sync(store.id, later(30))
        uow.stores.record_catalogue(store.id, items=40, mapped=12)
        uow.commit()
    for n, seconds in enumerate((40, 35)):
        delivery = make_delivery(store, f'{{"id":{n}}}'.encode())
        inbox.keep(attrs.evolve(delivery, received_at=later(seconds)), webhook, store.url, True)
    with uow_factory() as uow:
        uow.stores.update(attrs.evolve(store, is_paused=True))
        uow.commit()
    with uow_factory() as uow:
        saved = uow.stores.get(COMPANY_A, store.id)
    assert saved.is_paused
    assert (saved.stats.orders_synced, saved.stats.last_order_sync_at) == (8, later(20))
    assert saved.order_cursor == later(100)
    assert (saved.stats.inventory_syncs, saved.stats.last_inventory_sync_at) == (1, later(30))
    assert (saved.stats.catalogue_items, saved.stats.products_mapped) == (40, 12)
    assert saved.last_delivery_at == later(40)


def test_unhealthy_webhooks_are_counted_over_connected_unpaused_stores(uow_factory):
    """What the metrics gauge reads: a disabled and a missing one count where the store is
    connected and not paused; healthy ones, paused and disconnected stores do not."""
    states = {
        "disabled": (WebhookState.DISABLED, {}),
        "missing": (WebhookState.MISSING, {}),
        "healthy": (WebhookState.HEALTHY, {}),
        "paused": (WebhookState.DISABLED, {"is_paused": True}),
        "gone": (WebhookState.MISSING, {"is_active": False}),
    }
    with uow_factory() as uow:
        for name, (state, flags) in states.items():
            store = make_store(url=f"https://{name}.example", store_id=name, **flags)
            uow.stores.add(store)
            uow.stores.record_webhook_check(store.id, WebhookHealth(state, later(1), later(1)))
        uow.commit()
    with uow_factory() as uow:
        assert uow.stores.count_webhooks_unhealthy() == 2
