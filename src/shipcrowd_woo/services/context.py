"""What every use case needs: the ports, the clock and a few settings."""

import secrets
import string
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import attrs

from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.queue import StoreLock
from shipcrowd_woo.ports.repositories import UnitOfWorkFactory
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.ports.store_client import StoreClient, StoreClientFactory

_ALPHABET = string.ascii_letters + string.digits


def new_id() -> str:
    """A random identifier for stores, mappings, logs and deliveries."""
    return str(uuid.uuid4())


def new_webhook_secret() -> str:
    """40 letters and digits: WooCommerce HTML-escapes secrets before signing
    (wp_specialchars_decode in class-wc-webhook.php), so none of & < > " ' may appear."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(40))


@attrs.frozen
class ServiceContext:
    """The ports and settings the services are built from (see entrypoints/bootstrap.py)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    secrets: SecretBox
    store_clients: StoreClientFactory
    store_lock: StoreLock
    # Where WooCommerce delivers webhooks: {base}/webhooks/woocommerce/{resource}/{event}.
    webhook_base_url: str
    new_id: Callable[[], str] = new_id
    new_webhook_secret: Callable[[], str] = new_webhook_secret
    sync_lock_ttl: timedelta = timedelta(seconds=60)
    default_sync_interval: timedelta = timedelta(minutes=15)

    @contextmanager
    def client_for(self, store: Store) -> Iterator[StoreClient]:
        """A client with the store's opened credentials, closed afterwards."""
        client = self.store_clients(
            store.url,
            self.secrets.open(store.consumer_key),
            self.secrets.open(store.consumer_secret),
        )
        try:
            yield client
        finally:
            client.close()

    @property
    def intake_url(self) -> str:
        """Where every webhook of ours delivers, below which the topic follows."""
        return f"{self.webhook_base_url.rstrip('/')}/webhooks/woocommerce"

    def delivery_url(self, resource: str, event: str) -> str:
        """The intake endpoint for one topic."""
        return f"{self.intake_url}/{resource}/{event}"
