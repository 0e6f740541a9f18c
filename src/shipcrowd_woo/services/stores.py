"""Store lifecycle: install, test, pause and resume, refresh credentials, disconnect, and the
webhooks we keep registered at each store."""

import logging
from collections.abc import Callable, Sequence, Set

import attrs

from shipcrowd_woo.domain.errors import (
    AlreadyExists,
    AuthenticationFailed,
    StoreClientError,
    ValidationFailed,
)
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.pagination import Page, PageRequest
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.site_index import RestStyle
from shipcrowd_woo.domain.store import (
    OrderSyncConfig,
    Store,
    Webhook,
    deactivated,
    disconnected,
    moved,
    paused,
    reconnected,
    resumed,
    with_credentials,
    with_status,
)
from shipcrowd_woo.domain.store_settings import SettingsChange, with_settings
from shipcrowd_woo.domain.store_url import InvalidStoreUrl, normalise_store_url
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.domain.woo_catalog import SystemStatus, WooWebhook
from shipcrowd_woo.ports.repositories import UnitOfWork
from shipcrowd_woo.ports.store_client import StoreClient
from shipcrowd_woo.services.auto_push import note_stock_changes
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.feed_publishing import publish_stored

# Orders re-published per transaction when a store's shipping rules change.
REPUBLISHED_PER_TRANSACTION = 500

log = logging.getLogger("shipcrowd_woo.stores")
MAX_CREDENTIAL_LENGTH = 200


@attrs.frozen
class WebhookReport:
    """What registering (or checking) a store's webhooks did, topic by topic."""

    kept: tuple[Topic, ...] = ()
    created: tuple[Topic, ...] = ()
    reactivated: tuple[Topic, ...] = ()
    removed_strays: int = 0
    failed: tuple[tuple[Topic, str], ...] = ()
    # Topics whose webhook the store had disabled (reactivated, or failed to be).
    found_disabled: tuple[Topic, ...] = ()

    @property
    def changed(self) -> bool:
        """True when anything was missing or broken: deliveries may have been lost meanwhile."""
        return bool(self.created or self.reactivated or self.failed)


@attrs.frozen
class Installation:
    """An installed store and what happened to its webhooks."""

    store: Store
    webhooks: WebhookReport
    reconnected: bool
    # The home URL the store was connected under, when it differs from the address typed.
    connected_as: str | None = None


@attrs.define(eq=False)
class StoreService:
    """Use cases of connected stores, always scoped by company."""

    _ctx: ServiceContext

    def install(
        self,
        company_id: CompanyId,
        url: str,
        consumer_key: Secret,
        consumer_secret: Secret,
        name: str = "",
    ) -> Installation:
        """Read the site's REST index (no credentials) and connect under the home URL it
        names — WooCommerce signs and checks OAuth against it and names it as every
        delivery's source — then test the credentials, save the store with its credentials
        sealed and register the eight webhooks. Installing a disconnected store again
        reconnects it (same id, history kept); installing a connected one is AlreadyExists."""
        typed = _normalised_url(url)
        _check_credentials(consumer_key, consumer_secret)
        site = self._ctx.store_clients.discover(url)
        normalised = _normalised_url(site.home_url)
        with self._ctx.uow_factory() as uow:
            existing = uow.stores.find_by_url(company_id, normalised)
        if existing is not None and existing.is_active:
            raise AlreadyExists(f"{normalised} is already connected")
        status = self._verified(
            normalised, consumer_key, consumer_secret, site.rest_style, site.name
        )
        now = self._ctx.clock.now()
        sealed_key = self._ctx.secrets.seal(consumer_key)
        sealed_secret = self._ctx.secrets.seal(consumer_secret)
        if existing is not None:
            store = reconnected(existing, status, sealed_key, sealed_secret, name, site)
        else:
            store = with_status(
                Store(
                    id=StoreId(self._ctx.new_id()),
                    company_id=company_id,
                    url=normalised,
                    name=name.strip() or _site_name(normalised),
                    consumer_key=sealed_key,
                    consumer_secret=sealed_secret,
                    installed_at=now,
                    order_sync=OrderSyncConfig(interval=self._ctx.default_sync_interval),
                    rest_style=site.rest_style,
                    namespaces=site.namespaces,
                ),
                status,
            )
        with self._ctx.uow_factory() as uow:
            if existing is None:
                uow.stores.add(store)
            else:
                uow.stores.update(store)
            uow.commit()
        report = self.register_webhooks(company_id, store.id)
        return Installation(
            store,
            report,
            reconnected=existing is not None,
            connected_as=normalised if normalised != typed else None,
        )

    def _verified(
        self,
        home: str,
        consumer_key: Secret,
        consumer_secret: Secret,
        rest_style: RestStyle,
        site_name: str = "",
    ) -> SystemStatus:
        """system_status with these credentials at the store's home; a refused key says
        which site checked it, since a correct key fails the same way at another site."""
        client = self._ctx.store_clients(home, consumer_key, consumer_secret, rest_style)
        try:
            return client.system_status()
        except AuthenticationFailed as refused:
            raise AuthenticationFailed(
                refused.store_url,
                f"{refused.detail} — the key was checked by {site_name or 'the site'} at "
                f"{home}, the store's home URL: is it a key of this site?",
            ) from None
        finally:
            client.close()

    def follow_home(self, store: Store) -> Store:
        """Read the store's REST index again; when it names another home URL (a move to
        https or a new domain), verify the stored key there and keep the store under it —
        deliveries name the new home as their source from then on."""
        site = self._ctx.store_clients.discover(store.url)
        home = _normalised_url(site.home_url)
        if home == store.url and site.rest_style is store.rest_style:
            return store
        self._verified(
            home,
            self._ctx.secrets.open(store.consumer_key),
            self._ctx.secrets.open(store.consumer_secret),
            site.rest_style,
            site.name,
        )
        with self._ctx.uow_factory() as uow:
            # What a person changed meanwhile (a pause, new credentials) stays.
            current = uow.stores.get(store.company_id, store.id)
            answering = moved(current, home, site)
            uow.stores.update(answering)
            uow.commit()
        log.warning("store %s now answers as %s (was %s)", store.id, home, store.url)
        return answering

    def get(self, company_id: CompanyId, store_id: StoreId) -> Store:
        """The company's store (StoreNotFound for any other)."""
        with self._ctx.reads() as uow:
            return uow.stores.get(company_id, store_id)

    def list(self, company_id: CompanyId, page: PageRequest) -> Page[Store]:
        """The company's stores, newest first."""
        with self._ctx.reads() as uow:
            return uow.stores.list(company_id, page)

    def webhooks(self, company_id: CompanyId, store_id: StoreId) -> Sequence[Webhook]:
        """The webhooks we registered at the store."""
        with self._ctx.reads() as uow:
            uow.stores.get(company_id, store_id)
            return uow.webhooks.for_store(store_id)

    def test_connection(self, company_id: CompanyId, store_id: StoreId) -> SystemStatus:
        """Call system_status with the stored credentials and refresh the versions seen."""
        store = self.get(company_id, store_id)
        with self._ctx.client_for(store) as client:
            status = client.system_status()
        with self._ctx.uow_factory() as uow:
            current = uow.stores.get(company_id, store_id)
            uow.stores.update(with_status(current, status))
            uow.commit()
        return status

    def pause(self, company_id: CompanyId, store_id: StoreId) -> Store:
        """Stop imports and pushes; webhooks keep arriving and are kept for later."""
        return self._apply(company_id, store_id, paused)

    def resume(self, company_id: CompanyId, store_id: StoreId) -> Store:
        """Start syncing again; the next incremental sync covers the pause."""
        return self._apply(company_id, store_id, resumed)

    def change_settings(
        self, company_id: CompanyId, store_id: StoreId, change: SettingsChange
    ) -> Store:
        """Change how the store is synced and fulfilled (domain/store_settings.py has the
        rules); the scheduler reads the store at every tick, so a new interval counts from
        the next one. New shipping rules move the shipping decision of the store's orders:
        each that moved is published to the feed, a batch per transaction."""
        before = self.get(company_id, store_id)
        store = self._apply(
            company_id,
            store_id,
            lambda store: with_settings(store, change),
            # New limits move every level the store is offered: each mapped SKU is pushed.
            restock=lambda now: now.inventory_sync != before.inventory_sync,
        )
        if store.shipping != before.shipping:
            self._republish(store)
        return store

    def _republish(self, store: Store) -> None:
        with self._ctx.reads() as uow:
            ids = sorted(uow.orders.source_ids(store.company_id, store.id))
        for start in range(0, len(ids), REPUBLISHED_PER_TRANSACTION):
            batch = ids[start : start + REPUBLISHED_PER_TRANSACTION]
            with self._ctx.uow_factory() as uow:
                keys = [OrderKey(store.company_id, store.id, order_id) for order_id in batch]
                publish_stored(uow, keys, self._ctx.clock.now())
                uow.commit()

    def refresh_credentials(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        consumer_key: Secret,
        consumer_secret: Secret,
    ) -> Store:
        """Replace the credentials after testing the new ones; the old stay on failure."""
        _check_credentials(consumer_key, consumer_secret)
        store = self.get(company_id, store_id)
        status = self._verified(store.url, consumer_key, consumer_secret, store.rest_style)
        key, secret = self._ctx.secrets.seal(consumer_key), self._ctx.secrets.seal(consumer_secret)
        return self._apply(
            company_id, store_id, lambda current: with_credentials(current, key, secret, status)
        )

    def disconnect(self, company_id: CompanyId, store_id: StoreId) -> Store:
        """Remove our webhooks from the store (best effort), deactivate the store, keep every
        order, mapping and log."""
        store = self.get(company_id, store_id)
        with self._ctx.uow_factory() as uow:
            ours = uow.webhooks.for_store(store_id)
        try:
            with self._ctx.client_for(store) as client:
                for webhook in ours:
                    if webhook.woo_webhook_id is not None:
                        client.delete_webhook(webhook.woo_webhook_id)
        except StoreClientError as error:
            log.warning("could not remove the webhooks of %s: %s", store.url, error.detail)
        with self._ctx.uow_factory() as uow:
            _deactivate(uow, store_id, {webhook.id for webhook in ours})
            uow.commit()
        now = self._ctx.clock.now()
        return self._apply(company_id, store_id, lambda current: disconnected(current, now))

    def register_webhooks(self, company_id: CompanyId, store_id: StoreId) -> WebhookReport:
        """Make the store hold exactly one active webhook of ours per topic, pointing at our
        intake. Idempotent: what is healthy is kept, what is paused or disabled (WooCommerce
        disables after repeated failed deliveries) is reactivated, what is missing or points
        elsewhere is created anew, and strays of this installation (replaced ones, or left by an
        interrupted create) are removed; another installation's webhooks (another company
        connected to the same store) are left alone. Also the webhook health check."""
        store = self.get(company_id, store_id)
        with self._ctx.uow_factory() as uow:
            recorded = uow.webhooks.for_store(store_id)
        ours = {w.topic: w for w in recorded if w.is_active}
        made_by_us = {w.woo_webhook_id for w in recorded if w.woo_webhook_id is not None}
        with self._ctx.client_for(store) as client:
            at_store = {w.id: w for w in client.webhooks()}
            return self._reconcile_webhooks(store, client, ours, made_by_us, at_store)

    def _reconcile_webhooks(
        self,
        store: Store,
        client: StoreClient,
        ours: dict[Topic, Webhook],
        made_by_us: set[int],
        at_store: dict[int, WooWebhook],
    ) -> WebhookReport:
        kept, created, reactivated, failed, found_disabled = [], [], [], [], []
        claimed: set[int] = set()
        for topic in Topic:
            url = self._ctx.delivery_url(store.id, topic.resource, topic.event)
            mine = ours.get(topic)
            remote = at_store.get(mine.woo_webhook_id) if mine and mine.woo_webhook_id else None
            try:
                if mine and remote and remote.topic == topic.value and remote.delivery_url == url:
                    claimed.add(remote.id)
                    if remote.status == "active":
                        kept.append(topic)
                    else:
                        found_disabled.append(topic)
                        client.activate_webhook(remote.id)
                        reactivated.append(topic)
                    continue
                secret = Secret(self._ctx.new_webhook_secret())
                made = client.create_webhook(topic.value, url, secret)
                claimed.add(made.id)
                self._save_webhook(store, topic, url, secret, made, replacing=mine)
                created.append(topic)
            except StoreClientError as error:
                failed.append((topic, error.detail))
        strays = [
            w
            for w in at_store.values()
            if w.id not in claimed
            and (w.id in made_by_us or self._ctx.is_delivery_url_of(store.id, w.delivery_url))
        ]
        for stray in strays:
            try:
                client.delete_webhook(stray.id)
            except StoreClientError as error:
                log.warning(
                    "could not remove stray webhook %s of %s: %s", stray.id, store.url, error.detail
                )
        return WebhookReport(
            tuple(kept),
            tuple(created),
            tuple(reactivated),
            len(strays),
            tuple(failed),
            tuple(found_disabled),
        )

    def _save_webhook(
        self,
        store: Store,
        topic: Topic,
        url: str,
        secret: Secret,
        made: WooWebhook,
        replacing: Webhook | None,
    ) -> None:
        webhook = Webhook(
            id=self._ctx.new_id(),
            store_id=store.id,
            topic=topic,
            delivery_url=url,
            secret=self._ctx.secrets.seal(secret),
            created_at=self._ctx.clock.now(),
            woo_webhook_id=made.id,
        )
        with self._ctx.uow_factory() as uow:
            if replacing is not None:
                _deactivate(uow, store.id, {replacing.id})
            uow.webhooks.add(webhook)
            uow.commit()

    def _apply(
        self,
        company_id: CompanyId,
        store_id: StoreId,
        change: Callable[[Store], Store],
        restock: Callable[[Store], bool] = lambda _: False,
    ) -> Store:
        """Save `change` of the store as it is now, in one transaction; when `restock`
        says so of the changed store, every SKU it maps is written down to be pushed."""
        with self._ctx.uow_factory() as uow:
            store = change(uow.stores.get(company_id, store_id))
            uow.stores.update(store)
            if restock(store):
                skus = {m.shipcrowd_sku for m in uow.mappings.for_store(company_id, store_id)}
                note_stock_changes(
                    uow, company_id, skus, self._ctx.clock.now(), self._ctx.new_id(), {store_id}
                )
            uow.commit()
            return store


def _deactivate(uow: UnitOfWork, store_id: StoreId, webhook_ids: Set[str]) -> None:
    """Deactivate these webhooks as they are now, not as they were read before a call to
    the store: a key rotation may have re-sealed their secrets meanwhile."""
    for webhook in uow.webhooks.for_store(store_id):
        if webhook.id in webhook_ids:
            uow.webhooks.update(deactivated(webhook))


def _normalised_url(url: str) -> str:
    try:
        return normalise_store_url(url)
    except InvalidStoreUrl as error:
        raise ValidationFailed({"store_url": str(error)}) from None


def _check_credentials(consumer_key: Secret, consumer_secret: Secret) -> None:
    problems = {}
    for field, value in (("consumer_key", consumer_key), ("consumer_secret", consumer_secret)):
        text = value.reveal()
        if not text.strip():
            problems[field] = "is empty"
        elif len(text) > MAX_CREDENTIAL_LENGTH or any(c.isspace() for c in text):
            problems[field] = "is not a WooCommerce API credential"
    if problems:
        raise ValidationFailed(problems)


def _site_name(url: str) -> str:
    return url.split("://", 1)[1]
