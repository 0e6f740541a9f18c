"""A connected WooCommerce store and the webhooks we registered at it."""

from datetime import datetime, timedelta

import attrs

from shipcrowd_woo.domain.availability import StockLimits
from shipcrowd_woo.domain.errors import InvalidTransition
from shipcrowd_woo.domain.fulfilment import TRACKING_NAMESPACE
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.shipping import ShippingRules
from shipcrowd_woo.domain.site_index import RestStyle, SiteIndex
from shipcrowd_woo.domain.webhook_health import WebhookHealth
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.domain.woo_catalog import SystemStatus


@attrs.frozen
class OrderSyncConfig:
    """How orders are imported from this store."""

    enabled: bool = True
    auto_sync: bool = True
    interval: timedelta = timedelta(minutes=15)
    # Re-read this much before the cursor: WooCommerce's `modified_after` is exclusive and an
    # order saved while a run pages through the store must not be missed.
    overlap: timedelta = timedelta(minutes=5)


@attrs.frozen
class InventorySyncConfig:
    """How stock levels are pushed to this store, and the limits on what it is offered
    (each mapping may set its own)."""

    enabled: bool = True
    auto_sync: bool = True
    limits: StockLimits = attrs.field(factory=StockLimits)
    # The warehouses whose stock it is offered; None: every warehouse of the company.
    warehouses: frozenset[str] | None = None


@attrs.frozen
class FulfilmentConfig:
    """What sending a fulfilment to this store does besides the tracking: complete the order
    once every line has shipped, and tell the customer (a customer note, which WooCommerce
    e-mails)."""

    complete_on_ship: bool = True
    notify_customer: bool = True


@attrs.frozen
class StoreStats:
    """Running totals shown to the merchant."""

    orders_synced: int = 0
    products_mapped: int = 0
    # Simple products and variations the store sold at the last catalogue scan.
    catalogue_items: int = 0
    inventory_syncs: int = 0
    last_order_sync_at: datetime | None = None
    last_inventory_sync_at: datetime | None = None


@attrs.frozen
class Store:
    """A WooCommerce store connected by one company. Credentials are kept sealed."""

    id: StoreId
    company_id: CompanyId
    url: str
    name: str
    consumer_key: EncryptedSecret
    consumer_secret: EncryptedSecret
    installed_at: datetime
    wp_version: str = ""
    wc_version: str = ""
    currency: str = ""
    currency_decimals: int = 2
    timezone: str = ""
    is_active: bool = True
    is_paused: bool = False
    uninstalled_at: datetime | None = None
    order_sync: OrderSyncConfig = OrderSyncConfig()
    inventory_sync: InventorySyncConfig = InventorySyncConfig()
    fulfilment: FulfilmentConfig = FulfilmentConfig()
    shipping: ShippingRules = attrs.field(factory=ShippingRules)
    webhooks_enabled: bool = True
    stats: StoreStats = StoreStats()
    # The newest `date_modified_gmt` seen by the last successful order import.
    order_cursor: datetime | None = None
    last_delivery_at: datetime | None = None
    webhook_health: WebhookHealth = attrs.field(factory=WebhookHealth)
    # Where the store serves its REST API, and the namespaces its index listed at install.
    rest_style: RestStyle = RestStyle.PRETTY
    namespaces: tuple[str, ...] = ()

    @property
    def can_sync(self) -> bool:
        """True when imports and pushes may run."""
        return self.is_active and not self.is_paused

    @property
    def follows_warehouse(self) -> bool:
        """True when the warehouse's stock changes are pushed here by themselves."""
        return self.can_sync and self.inventory_sync.enabled and self.inventory_sync.auto_sync

    @property
    def has_shipment_tracking(self) -> bool:
        """True when the store's REST index listed the Shipment Tracking extension."""
        return TRACKING_NAMESPACE in self.namespaces


@attrs.frozen
class Webhook:
    """A webhook we created at the store, with the secret it signs deliveries with."""

    id: str
    store_id: StoreId
    topic: Topic
    delivery_url: str
    secret: EncryptedSecret
    created_at: datetime
    woo_webhook_id: int | None = None
    is_active: bool = True
    last_delivery_at: datetime | None = None


def with_status(store: Store, status: SystemStatus) -> Store:
    """The store as its connection test found it: versions, currency and time zone."""
    return attrs.evolve(
        store,
        wc_version=status.wc_version,
        wp_version=status.wp_version,
        currency=status.currency.strip().upper(),
        currency_decimals=status.decimals,
        timezone=status.timezone,
    )


def paused(store: Store) -> Store:
    """Imports and pushes stop; deliveries are still kept. Only a connected store pauses."""
    _require_connected(store, "paused")
    return attrs.evolve(store, is_paused=True)


def resumed(store: Store) -> Store:
    """Imports and pushes start again. Only a connected store resumes (one disconnected is
    installed again)."""
    _require_connected(store, "resumed")
    return attrs.evolve(store, is_paused=False)


def with_credentials(
    store: Store, key: EncryptedSecret, secret: EncryptedSecret, status: SystemStatus
) -> Store:
    """New credentials, tested: they found these versions."""
    return attrs.evolve(
        store,
        consumer_key=key,
        consumer_secret=secret,
        wc_version=status.wc_version,
        wp_version=status.wp_version,
    )


def disconnected(store: Store, at: datetime) -> Store:
    """No longer synced; every order, mapping and log is kept, and installing the same URL
    again reconnects this store."""
    return attrs.evolve(store, is_active=False, uninstalled_at=at)


def reconnected(
    store: Store,
    status: SystemStatus,
    key: EncryptedSecret,
    secret: EncryptedSecret,
    name: str,
    site: SiteIndex,
) -> Store:
    """A disconnected store installed again: active and unpaused, with what was tested."""
    return attrs.evolve(
        with_status(store, status),
        consumer_key=key,
        consumer_secret=secret,
        is_active=True,
        is_paused=False,
        uninstalled_at=None,
        name=name.strip() or store.name,
        rest_style=site.rest_style,
        namespaces=site.namespaces,
    )


def moved(store: Store, home: str, site: SiteIndex) -> Store:
    """The store answers at `home` now (WordPress's home URL changed, normalised), as its
    REST index says."""
    return attrs.evolve(store, url=home, rest_style=site.rest_style, namespaces=site.namespaces)


def deactivated(webhook: Webhook) -> Webhook:
    """A webhook of ours that no longer counts (replaced, or its store disconnected)."""
    return attrs.evolve(webhook, is_active=False)


def _require_connected(store: Store, becoming: str) -> None:
    if not store.is_active:
        raise InvalidTransition(
            f"store {store.id} is disconnected and cannot be {becoming}: install it again"
        )
