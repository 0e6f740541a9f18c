"""Store lifecycle use cases on fakes."""

import attrs
import pytest

from shipcrowd_woo.domain.errors import (
    AlreadyExists,
    AuthenticationFailed,
    StoreNotFound,
    ValidationFailed,
)
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.site_index import RestStyle
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.services.stores import StoreService
from tests.unit.services.conftest import COMPANY, OTHER_COMPANY, STORE_URL


def test_install_tests_the_credentials_seals_them_and_registers_eight_webhooks(world):
    """system_status is called, versions and currency are kept, credentials are stored
    sealed, and each topic gets its own webhook, URL and letters-and-digits secret."""
    result = StoreService(world.context).install(
        COMPANY, "Shop.Example.com/", Secret(world.key), Secret(world.secret)
    )
    store = result.store
    assert store.url == STORE_URL
    assert (store.wc_version, store.currency, store.currency_decimals) == ("10.0.2", "USD", 2)
    assert store.consumer_key.ciphertext != world.key.encode()
    assert world.context.secrets.open(store.consumer_secret).reveal() == world.secret
    assert set(result.webhooks.created) == set(Topic)
    at_store = list(world.sandbox.webhooks.values())
    assert {w.topic for w in at_store} == {t.value for t in Topic}
    assert {w.delivery_url for w in at_store} == {
        f"https://shipcrowd.example/webhooks/woocommerce/{t.resource}/{t.event}"
        f"?installation={store.id}"
        for t in Topic
    }
    secrets = [w.secret for w in at_store]
    assert len(set(secrets)) == 8
    assert all(s.isalnum() and len(s) == 40 for s in secrets)
    with world.uow() as uow:
        ours = uow.webhooks.for_store(store.id)
    assert {w.woo_webhook_id for w in ours} == {w.id for w in at_store}


def test_installing_the_same_store_twice_is_refused(world):
    """One URL, one connection per company."""
    world.install()
    with pytest.raises(AlreadyExists):
        world.install()


def test_another_company_can_connect_the_same_store(world):
    """Companies are separate."""
    world.install(COMPANY)
    assert world.install(OTHER_COMPANY).company_id == OTHER_COMPANY


@pytest.mark.parametrize(
    ("url", "field"),
    [("ftp://shop.example.com", "store_url"), ("", "store_url")],
)
def test_a_bad_url_is_a_validation_error_and_nothing_is_called(world, url, field):
    """The URL is checked before any request."""
    with pytest.raises(ValidationFailed) as raised:
        StoreService(world.context).install(COMPANY, url, Secret("ck"), Secret("cs"))
    assert field in raised.value.problems
    assert world.stores.calls == []


def test_wrong_credentials_save_nothing(world):
    """The connection test fails: no store, no webhook."""
    with pytest.raises(AuthenticationFailed):
        StoreService(world.context).install(COMPANY, STORE_URL, Secret(world.key), Secret("cs_x"))
    assert world.database.stores == {}
    assert world.sandbox.webhooks == {}


def test_disconnect_removes_our_webhooks_deactivates_and_keeps_history(world):
    """Webhooks are deleted at the store; the store stays, inactive."""
    store = world.install()
    service = StoreService(world.context)
    gone = service.disconnect(COMPANY, store.id)
    assert not gone.is_active
    assert gone.uninstalled_at is not None
    assert world.sandbox.webhooks == {}
    assert service.get(COMPANY, store.id).id == store.id


def test_installing_a_disconnected_store_again_reconnects_it(world):
    """Same id, active again, webhooks registered anew."""
    store = world.install()
    StoreService(world.context).disconnect(COMPANY, store.id)
    result = StoreService(world.context).install(
        COMPANY, STORE_URL, Secret(world.key), Secret(world.secret)
    )
    assert result.reconnected
    assert result.store.id == store.id
    assert result.store.is_active
    assert len(world.sandbox.webhooks) == 8


def test_pause_and_resume(world):
    """Flags move; nothing else changes."""
    store = world.install()
    service = StoreService(world.context)
    assert service.pause(COMPANY, store.id).is_paused
    assert not service.resume(COMPANY, store.id).is_paused


def test_new_credentials_are_tested_before_they_replace_the_old(world):
    """Wrong new credentials leave the working ones in place."""
    store = world.install()
    service = StoreService(world.context)
    with pytest.raises(AuthenticationFailed):
        service.refresh_credentials(COMPANY, store.id, Secret(world.key), Secret("cs_wrong"))
    kept = service.get(COMPANY, store.id)
    assert world.context.secrets.open(kept.consumer_secret).reveal() == world.secret
    new_key, new_secret = world.sandbox.create_api_key()
    world.stores.stores[STORE_URL] = (world.sandbox, new_key, new_secret)
    changed = service.refresh_credentials(COMPANY, store.id, Secret(new_key), Secret(new_secret))
    assert world.context.secrets.open(changed.consumer_key).reveal() == new_key
    assert service.test_connection(COMPANY, store.id).wc_version == "10.0.2"


def test_registering_again_changes_nothing_at_the_store(world):
    """Idempotent: eight kept, none created."""
    store = world.install()
    before = set(world.sandbox.webhooks)
    report = StoreService(world.context).register_webhooks(COMPANY, store.id)
    assert set(report.kept) == set(Topic)
    assert not report.changed
    assert set(world.sandbox.webhooks) == before


def test_the_health_check_repairs_disabled_and_missing_webhooks_and_removes_strays(world):
    """WooCommerce disabled one, another was deleted at the store, a stray of ours (an
    interrupted create: at the store under our mark, never recorded) exists."""
    store = world.install()
    records = {w.topic: w for w in world.sandbox.webhooks.values()}
    records["order.updated"].status = "disabled"
    del world.sandbox.webhooks[records["product.updated"].id]
    world.sandbox.add_webhook(
        "stray",
        "order.created",
        f"https://shipcrowd.example/webhooks/woocommerce/order/created?installation={store.id}",
        "x",
    )
    report = StoreService(world.context).register_webhooks(COMPANY, store.id)
    assert report.reactivated == (Topic.ORDER_UPDATED,)
    assert report.created == (Topic.PRODUCT_UPDATED,)
    assert report.removed_strays == 1
    assert report.changed
    assert len(world.sandbox.webhooks) == 8
    assert all(w.status == "active" for w in world.sandbox.webhooks.values())


def test_two_companies_on_one_store_keep_each_others_webhooks(world):
    """Company B connecting (and re-registering) leaves A's eight webhooks at the store and
    active in A's records, and the other way round."""
    service = StoreService(world.context)
    first = world.install(COMPANY)
    second = world.install(OTHER_COMPANY)
    for company, store in [(COMPANY, first), (OTHER_COMPANY, second), (COMPANY, first)]:
        report = service.register_webhooks(company, store.id)
        assert set(report.kept) == set(Topic)
        assert report.removed_strays == 0
    assert len(world.sandbox.webhooks) == 16
    for store in (first, second):
        with world.uow() as uow:
            recorded = [w for w in uow.webhooks.for_store(store.id) if w.is_active]
        assert len(recorded) == 8
        assert {w.woo_webhook_id for w in recorded} <= set(world.sandbox.webhooks)
        assert all(w.status == "active" for w in world.sandbox.webhooks.values())


def test_a_webhook_of_ours_with_an_unmarked_url_is_replaced_and_removed(world):
    """Webhooks registered before delivery URLs carried the installation's mark are
    recognised by their recorded ids: replaced by marked ones, then removed."""
    store = world.install()
    for webhook in world.sandbox.webhooks.values():
        webhook.delivery_url = webhook.delivery_url.partition("?")[0]
    report = StoreService(world.context).register_webhooks(COMPANY, store.id)
    assert set(report.created) == set(Topic)
    assert report.removed_strays == 8
    assert all("?installation=" in w.delivery_url for w in world.sandbox.webhooks.values())
    assert len(world.sandbox.webhooks) == 8


def test_webhooks_of_unknown_origin_at_our_intake_are_left_alone(world):
    """An unmarked webhook at our intake that this installation never recorded may be another
    installation's: it stays."""
    store = world.install()
    world.sandbox.add_webhook(
        "someone else's",
        "order.created",
        "https://shipcrowd.example/webhooks/woocommerce/order/created",
        "x",
    )
    report = StoreService(world.context).register_webhooks(COMPANY, store.id)
    assert report.removed_strays == 0
    assert len(world.sandbox.webhooks) == 9


@pytest.mark.parametrize(
    "use_case",
    ["get", "test_connection", "pause", "resume", "disconnect", "register_webhooks", "webhooks"],
)
def test_another_companys_store_is_not_found(world, use_case):
    """Scoping: company B gets StoreNotFound for company A's store, and nothing happens."""
    store = world.install()
    calls_before = len(world.stores.calls)
    with pytest.raises(StoreNotFound):
        getattr(StoreService(world.context), use_case)(OTHER_COMPANY, store.id)
    assert len(world.stores.calls) == calls_before
    assert StoreService(world.context).get(COMPANY, store.id).is_active


def _resealing_during(world, store, method):
    """Store clients that, while `method` is in flight, re-seal the store's webhook secrets
    as a concurrent `keys rotate` would; the seals written, by webhook id."""
    written = {}
    factory = world.context.store_clients

    def reseal():
        with world.uow() as uow:
            for hook in uow.webhooks.for_store(store.id):
                written[hook.id] = world.context.secrets.seal(Secret(f"resealed {hook.id}"))
                uow.webhooks.update(attrs.evolve(hook, secret=written[hook.id]))
            uow.commit()

    def clients(url, key, secret, rest_style=RestStyle.PRETTY):
        client = factory(url, key, secret, rest_style)
        call = getattr(client, method)

        def with_rotation(*args, **kwargs):
            if not written:
                reseal()
            return call(*args, **kwargs)

        setattr(client, method, with_rotation)
        return client

    return clients, written


def test_a_rotation_while_disconnecting_is_not_undone(world):
    """The webhooks are deactivated as they are after the store call, new seals kept."""
    store = world.install()
    clients, written = _resealing_during(world, store, "delete_webhook")
    context = attrs.evolve(world.context, store_clients=clients)
    StoreService(context).disconnect(COMPANY, store.id)
    with world.uow() as uow:
        hooks = uow.webhooks.for_store(store.id)
    assert [(h.is_active, h.secret) for h in hooks] == [(False, written[h.id]) for h in hooks]


def test_a_rotation_while_a_webhook_is_replaced_is_not_undone(world):
    """A webhook gone from the store is created anew; the one it replaces is deactivated
    with the seal the rotation gave it."""
    store = world.install()
    with world.uow() as uow:
        lost = next(h for h in uow.webhooks.for_store(store.id) if h.topic is Topic.ORDER_UPDATED)
    del world.sandbox.webhooks[lost.woo_webhook_id]
    clients, written = _resealing_during(world, store, "create_webhook")
    context = attrs.evolve(world.context, store_clients=clients)
    StoreService(context).register_webhooks(COMPANY, store.id)
    with world.uow() as uow:
        replaced = next(h for h in uow.webhooks.for_store(store.id) if h.id == lost.id)
    assert (replaced.is_active, replaced.secret) == (False, written[lost.id])


def test_a_store_typed_under_another_name_is_connected_under_its_home_url(world):
    """Issue 16: the merchant types an alias; the store is saved under the home URL its REST
    index names (what WooCommerce signs against and sends as the delivery source), and the
    installation says so. Typed as the home itself, it says nothing."""
    world.stores.aliases["http://shop.example.com"] = STORE_URL
    installed = StoreService(world.context).install(
        COMPANY, "http://shop.example.com/wp-json/", Secret(world.key), Secret(world.secret)
    )
    assert installed.store.url == STORE_URL
    assert installed.connected_as == STORE_URL
    assert installed.store.namespaces == ("wp/v2", "wc/v3")
    assert world.stores.called("discover") == ["http://shop.example.com"]
    StoreService(world.context).disconnect(COMPANY, installed.store.id)
    again = StoreService(world.context).install(
        COMPANY, STORE_URL, Secret(world.key), Secret(world.secret)
    )
    assert (again.reconnected, again.connected_as) == (True, None)


def test_a_refused_key_says_which_site_checked_it(world):
    """Issue 16: a correct key of another site fails as a wrong one does; the error names
    the site and home URL that checked it."""
    with pytest.raises(AuthenticationFailed, match=f"checked by Sandbox Store at {STORE_URL}"):
        StoreService(world.context).install(
            COMPANY, STORE_URL, Secret("ck_of_another_site"), Secret("cs_of_another_site")
        )
