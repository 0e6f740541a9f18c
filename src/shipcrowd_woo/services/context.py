"""What the use cases need: the ports, the clock and a few settings (ServiceContext, built by
the composition root), and the part of it each kind of use case may use (the protocols
below: a use case is given the context typed as the narrowest that serves it, so the type
checker refuses it any other port)."""

import secrets
import string
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Protocol
from urllib.parse import parse_qs, urlencode

import attrs

from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.inbox import Inbox
from shipcrowd_woo.ports.preparation import PrepareAhead
from shipcrowd_woo.ports.queue import StoreLock
from shipcrowd_woo.ports.repositories import UnitOfWorkFactory
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.ports.store_client import StoreClient, StoreClientFactory
from shipcrowd_woo.services.ahead import in_a_thread

_ALPHABET = string.ascii_letters + string.digits
# The query parameter of a delivery URL naming the installation that registered the webhook.
INSTALLATION = "installation"


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
    # Where WooCommerce delivers webhooks:
    # {base}/webhooks/woocommerce/{resource}/{event}?installation={store id}.
    webhook_base_url: str
    # Where the intake keeps deliveries and the workers claim them.
    inbox: Inbox
    new_id: Callable[[], str] = new_id
    new_webhook_secret: Callable[[], str] = new_webhook_secret
    sync_lock_ttl: timedelta = timedelta(seconds=60)
    default_sync_interval: timedelta = timedelta(minutes=15)
    # Where an import reads, transforms and stages its next pages while it writes one.
    prepare_ahead: PrepareAhead = in_a_thread
    # Units of work that only read (listings, views): on SQLite they wait for no writer.
    reads: UnitOfWorkFactory = attrs.field(
        default=attrs.Factory(lambda self: self.uow_factory, takes_self=True)
    )

    @contextmanager
    def client_for(self, store: Store) -> Iterator[StoreClient]:
        """A client with the store's opened credentials, closed afterwards."""
        client = self.store_clients(
            store.url,
            self.secrets.open(store.consumer_key),
            self.secrets.open(store.consumer_secret),
            store.rest_style,
        )
        try:
            yield client
        finally:
            client.close()

    @property
    def intake_url(self) -> str:
        """Where every webhook of ours delivers, below which the topic follows."""
        return f"{self.webhook_base_url.rstrip('/')}/webhooks/woocommerce"

    def delivery_url(self, store_id: StoreId, resource: str, event: str) -> str:
        """The intake endpoint for one topic, marked with the installation (store record) that
        registered it: two companies may connect one store, and each must recognise its own
        webhooks there and leave the other's alone. The intake ignores the mark; it knows a
        delivery by its source, webhook id and signature."""
        return f"{self.intake_url}/{resource}/{event}?{urlencode({INSTALLATION: store_id})}"

    def is_delivery_url_of(self, store_id: StoreId, url: str) -> bool:
        """Whether a webhook's delivery URL is ours and marked with this installation."""
        path, _, query = url.partition("?")
        return path.startswith(self.intake_url + "/") and parse_qs(query).get(INSTALLATION) == [
            store_id
        ]


class Clocked(Protocol):
    """What every use case has: the time, and new ids."""

    @property
    def clock(self) -> Clock: ...

    @property
    def new_id(self) -> Callable[[], str]: ...


class Records(Clocked, Protocol):
    """A use case that reads and writes our records."""

    @property
    def uow_factory(self) -> UnitOfWorkFactory: ...

    @property
    def reads(self) -> UnitOfWorkFactory: ...


class StoreCalls(Records, Protocol):
    """A use case that also calls stores."""

    def client_for(self, store: Store) -> AbstractContextManager[StoreClient]: ...


class StoreWork(StoreCalls, Protocol):
    """A use case that also holds a store's lock while it works."""

    @property
    def store_lock(self) -> StoreLock: ...

    @property
    def sync_lock_ttl(self) -> timedelta: ...

    @property
    def prepare_ahead(self) -> PrepareAhead: ...


class Deliveries(Clocked, Protocol):
    """A use case of kept webhook deliveries."""

    @property
    def inbox(self) -> Inbox: ...


class Intake(Deliveries, Protocol):
    """The intake: kept deliveries, and the sealed webhook secrets to check them with."""

    @property
    def secrets(self) -> SecretBox: ...


class Schedule(Records, Deliveries, Protocol):
    """The scheduler: our records and the kept deliveries."""
