"""A StoreClient fake over the sandbox's in-memory store (no HTTP), with visible calls and
failures to inject; and fakes of the SecretBox and StoreLock ports."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import attrs

from shipcrowd_woo.converters.woocommerce import (
    parse_order,
    parse_product,
    parse_tracked_order,
    structure,
)
from shipcrowd_woo.domain.errors import (
    AuthenticationFailed,
    SecretsUnavailable,
    StoreClientError,
    StoreResourceNotFound,
    StoreUnavailable,
    ValidationFailed,
)
from shipcrowd_woo.domain.fulfilment import (
    TRACKING_META_KEY,
    OrderNote,
    TrackedOrder,
    TrackingItem,
)
from shipcrowd_woo.domain.ids import JobId, StoreId
from shipcrowd_woo.domain.jobs import Job
from shipcrowd_woo.domain.rejections import Rejection
from shipcrowd_woo.domain.secrets import EncryptedSecret, Secret
from shipcrowd_woo.domain.site_index import RestStyle, SiteIndex
from shipcrowd_woo.domain.store_url import normalise_store_url
from shipcrowd_woo.domain.subscriptions import Attempt
from shipcrowd_woo.domain.woo_catalog import (
    BatchItemResult,
    StockUpdate,
    SystemStatus,
    WooProduct,
    WooWebhook,
)
from shipcrowd_woo.domain.woo_order import WooOrder
from shipcrowd_woo.ports.queue import ScheduleGuard, StoreLock, TaskQueue
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.ports.store_client import OrderPage, StoreClient, StoreClientFactory
from shipcrowd_woo.sandbox.store import SandboxStore

PER_PAGE = 100
_EMPTY_STORE = SandboxStore(seed=0, products=0, orders=0)


class FakeStoreClient:
    """The StoreClient port answered from a SandboxStore, recording every call."""

    def __init__(
        self,
        store: SandboxStore,
        calls: list[tuple[str, object]],
        failures: dict[str, list[Exception | None]],
        now: Callable[[], datetime],
        unreachable: StoreClientError | None = None,
    ) -> None:
        self.store = store
        self.calls = calls
        self.failures = failures
        self.now = now
        self.closed = False
        self.unreachable = unreachable

    def _call(self, name: str, argument: object = None) -> None:
        self.calls.append((name, argument))
        if self.unreachable is not None:
            raise self.unreachable
        pending = self.failures.get(name)
        if pending:
            failure = pending.pop(0)  # None: this call goes through
            if failure is not None:
                raise failure

    def system_status(self) -> SystemStatus:
        self._call("system_status")
        s = self.store
        return SystemStatus(
            s.base_url, s.wc_version, s.wp_version, s.currency, s.decimals, s.timezone
        )

    def order_count(self) -> int:
        self._call("order_count")
        return len(self._every_id())

    def order_pages(
        self,
        *,
        modified_after: datetime | None = None,
        statuses: Sequence[str] = (),
        expected_orders: int | None = None,
    ) -> Iterator[OrderPage]:
        self._call("order_pages", modified_after)
        ids = self.store.list_orders(
            statuses=set(statuses) or None,
            modified_after=modified_after,
            modified_before=None,
            created_after=None,
            created_before=None,
            include=None,
            descending=False,
            key="id",
        )
        pages = [ids[i : i + PER_PAGE] for i in range(0, len(ids), PER_PAGE)] or [[]]
        for number, chunk in enumerate(pages, 1):
            self._call("order_page", number)
            requested_at = self.now()
            orders = tuple(parse_order(self.store.order_json(i)) for i in chunk)
            yield OrderPage.of(orders, requested_at, self.now(), number, len(pages))

    def order_ids(self) -> Iterator[int]:
        self._call("order_ids")
        yield from self._every_id()

    def _every_id(self) -> list[int]:
        return self.store.list_orders(
            statuses=None,
            modified_after=None,
            modified_before=None,
            created_after=None,
            created_before=None,
            include=None,
            descending=False,
            key="id",
        )

    def get_order(self, order_id: int) -> WooOrder | Rejection:
        self._call("get_order", order_id)
        if order_id not in self.store.orders:
            raise StoreResourceNotFound(self.store.base_url, f"order {order_id}")
        return parse_order(self.store.order_json(order_id))

    def update_order_status(self, order_id: int, status: str) -> WooOrder | Rejection:
        self._call("update_order_status", (order_id, status))
        self.store.update_order(order_id, status=status)
        return parse_order(self.store.order_json(order_id))

    def order_tracking(self, order_id: int) -> TrackedOrder:
        self._call("order_tracking", order_id)
        return self._tracked(order_id)

    def save_order_tracking(
        self, order_id: int, tracking: Sequence[TrackingItem], status: str | None
    ) -> TrackedOrder:
        self._call("save_order_tracking", (order_id, len(tracking), status))
        self._existing(order_id)
        items = [attrs.asdict(item) for item in tracking]
        changes: dict[str, object] = {"meta_data": [{"key": TRACKING_META_KEY, "value": items}]}
        if status is not None:
            changes["status"] = status
        self.store.update_order(order_id, **changes)
        return self._tracked(order_id)

    def add_shipment_tracking(self, order_id: int, item: TrackingItem) -> TrackingItem:
        self._call("add_shipment_tracking", order_id)
        self._existing(order_id)
        day = datetime.fromtimestamp(int(item.date_shipped), UTC).date().isoformat()
        saved = self.store.add_shipment_tracking(
            order_id, {**attrs.asdict(item), "date_shipped": day}
        )
        return TrackingItem(**saved)

    def order_notes(self, order_id: int) -> Sequence[OrderNote]:
        self._call("order_notes", order_id)
        self._existing(order_id)
        return [
            OrderNote(n["id"], n["note"], n["customer_note"])
            for n in self.store.order_notes(order_id)
        ]

    def add_order_note(self, order_id: int, note: str, customer_note: bool) -> OrderNote:
        self._call("add_order_note", order_id)
        self._existing(order_id)
        record = self.store.add_order_note(order_id, note, customer_note=customer_note)
        return OrderNote(record["id"], record["note"], record["customer_note"])

    def _existing(self, order_id: int) -> None:
        if order_id not in self.store.orders:
            raise StoreResourceNotFound(self.store.base_url, f"order {order_id}")

    def _tracked(self, order_id: int) -> TrackedOrder:
        self._existing(order_id)
        tracked = parse_tracked_order(self.store.order_json(order_id))
        assert isinstance(tracked, TrackedOrder)
        return tracked

    def products(self) -> Iterator[WooProduct]:
        self._call("products")
        for product_id, product in sorted(self.store.products.items()):
            if product["type"] != "variation":
                parsed = parse_product(self.store.product_json(product_id))
                assert isinstance(parsed, WooProduct)
                yield parsed

    def variations(self, product_id: int) -> Iterator[WooProduct]:
        self._call("variations", product_id)
        for variation_id in sorted(self.store.products[product_id]["variations"]):
            parsed = parse_product(self.store.product_json(variation_id))
            assert isinstance(parsed, WooProduct)
            yield parsed

    def update_stock(self, updates: Sequence[StockUpdate]) -> Sequence[BatchItemResult]:
        self._call("update_stock", len(updates))
        results = []
        for update in updates:
            target = update.variation_id or update.product_id
            product = self.store.products.get(target)
            valid = product is not None and (
                (update.variation_id is None and product["type"] != "variation")
                or (update.variation_id is not None and product["parent_id"] == update.product_id)
            )
            if not valid:
                results.append(
                    BatchItemResult(target, "woocommerce_rest_product_invalid_id", "Invalid ID.")
                )
                continue
            self.store.set_stock(target, update.quantity)
            results.append(BatchItemResult(target))
        return results

    def webhooks(self) -> Sequence[WooWebhook]:
        self._call("webhooks")
        return [self._webhook(record) for _, record in sorted(self.store.webhooks.items())]

    def create_webhook(self, topic: str, delivery_url: str, secret: Secret) -> WooWebhook:
        self._call("create_webhook", topic)
        record = self.store.add_webhook(f"Shipcrowd {topic}", topic, delivery_url, secret.reveal())
        return self._webhook(record)

    def activate_webhook(self, webhook_id: int) -> WooWebhook:
        self._call("activate_webhook", webhook_id)
        record = self.store.webhooks[webhook_id]
        record.status = "active"
        return self._webhook(record)

    def delete_webhook(self, webhook_id: int) -> None:
        self._call("delete_webhook", webhook_id)
        self.store.webhooks.pop(webhook_id, None)

    def close(self) -> None:
        self.closed = True

    def _webhook(self, record: object) -> WooWebhook:
        result = structure(self.store.webhook_json(record), WooWebhook)  # type: ignore[arg-type]
        assert isinstance(result, WooWebhook)
        return result


@attrs.define
class FakeStoreClientFactory:
    """Stores by URL with the one key pair each accepts; clients it made stay inspectable."""

    stores: dict[str, tuple[SandboxStore, str, str]] = attrs.Factory(dict)
    calls: list[tuple[str, object]] = attrs.Factory(list)
    failures: dict[str, list[Exception | None]] = attrs.Factory(dict)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    aliases: dict[str, str] = attrs.Factory(dict)
    rest_styles: dict[str, RestStyle] = attrs.Factory(dict)

    def add(self, url: str, store: SandboxStore) -> tuple[str, str]:
        key, secret = store.create_api_key()
        store.base_url = url
        self.stores[url] = (store, key, secret)
        return key, secret

    def fail(self, method: str, *errors: Exception | None) -> None:
        """The next calls of `method` raise these errors in turn (None: that call works)."""
        self.failures.setdefault(method, []).extend(errors)

    def called(self, name: str) -> list[object]:
        return [argument for called, argument in self.calls if called == name]

    def discover(self, url: str) -> SiteIndex:
        """A registered store names itself by the URL it was registered under; `aliases`
        maps other spellings to it."""
        typed = normalise_store_url(url.strip().removesuffix("/").removesuffix("/wp-json"))
        home = self.aliases.get(typed, typed)
        self.calls.append(("discover", typed))
        if home not in self.stores:
            raise StoreUnavailable(typed, f"GET {typed}/wp-json/: could not connect")
        store = self.stores[home][0]
        return SiteIndex(
            home,
            "Sandbox Store",
            tuple(store.rest_namespaces),
            self.rest_styles.get(home, RestStyle.PRETTY),
        )

    def __call__(
        self,
        url: str,
        consumer_key: Secret,
        consumer_secret: Secret,
        rest_style: RestStyle = RestStyle.PRETTY,
    ) -> StoreClient:
        if url not in self.stores:
            # What the real client says of a host that does not answer.
            nowhere = StoreUnavailable(url, "could not connect to the store")
            return FakeStoreClient(_EMPTY_STORE, self.calls, {}, self.now, nowhere)
        store, key, secret = self.stores[url]
        if (consumer_key.reveal(), consumer_secret.reveal()) != (key, secret):
            # This client's every call is refused, as the store refuses a wrong key.
            refused = AuthenticationFailed(url, "Consumer secret is invalid.")
            return FakeStoreClient(store, self.calls, {}, self.now, refused)
        return FakeStoreClient(store, self.calls, self.failures, self.now)


class FakeSecretBox:
    """Seals by reversing the text, tagged with the current key id; refuses unknown ids."""

    def __init__(self, current: str = "key-1", others: Sequence[str] = ()) -> None:
        self.current_key_id = current
        self.known = {current, *others}

    def seal(self, secret: Secret) -> EncryptedSecret:
        return EncryptedSecret(self.current_key_id, secret.reveal()[::-1].encode())

    def open(self, sealed: EncryptedSecret) -> Secret:
        if sealed.key_id not in self.known:
            raise SecretsUnavailable(f"key {sealed.key_id!r} is not configured")
        return Secret(sealed.ciphertext.decode()[::-1])


class FakeStoreLock:
    """Locks in a set; `busy` marks stores another worker is syncing."""

    def __init__(self) -> None:
        self.busy: set[str] = set()
        self.taken: list[str] = []

    @contextmanager
    def hold(self, store_id: StoreId, ttl: timedelta) -> Iterator[bool]:
        if store_id in self.busy:
            yield False
            return
        self.busy.add(store_id)
        self.taken.append(store_id)
        try:
            yield True
        finally:
            self.busy.discard(store_id)


class FakeTaskQueue:
    """Keeps what is sent, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[JobId, Job, timedelta | None]] = []
        self.inbox_wakes = 0
        self.delivery_wakes: list[timedelta | None] = []

    def wake_deliveries(self, delay: timedelta | None = None) -> None:
        self.delivery_wakes.append(delay)

    def send(self, job_id: JobId, job: Job, delay: timedelta | None = None) -> None:
        self.sent.append((job_id, job, delay))

    def wake_inbox(self) -> None:
        self.inbox_wakes += 1

    def depth(self) -> int:
        return len(self.sent)


class FakeScheduleGuard:
    """Claims expiring on a clock the test moves."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.claimed_at: dict[str, datetime] = {}

    def claim(self, name: str, period: timedelta) -> bool:
        claimed_at = self.claimed_at.get(name)
        if claimed_at is not None and self.now() - claimed_at < period:
            return False
        self.claimed_at[name] = self.now()
        return True

    def release(self, name: str) -> None:
        self.claimed_at.pop(name, None)


def _typecheck() -> None:
    """mypy holds the fakes to the ports."""
    _factory: StoreClientFactory = FakeStoreClientFactory()
    _box: SecretBox = FakeSecretBox()
    _lock: StoreLock = FakeStoreLock()
    _queue: TaskQueue = FakeTaskQueue()
    _guard: ScheduleGuard = FakeScheduleGuard(lambda: datetime.now(UTC))


class FakeSubscriberClient:
    """A subscriber endpoint in memory: keeps every request, answers with `answer` (a
    status, or an Attempt for errors and Retry-After), refuses the hosts in `refused`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []
        self.answer: Callable[[str, bytes], Attempt] = lambda url, body: Attempt(200)
        self.refused: set[str] = set()

    def check(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        if host in self.refused:
            raise ValidationFailed({"url": f"{host} is not a public address"})

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        self.requests.append((url, body, dict(headers)))
        return self.answer(url, body)

    def close(self) -> None:
        pass

    def delivered_ids(self) -> list[str]:
        return [headers["webhook-id"] for _, _, headers in self.requests]
