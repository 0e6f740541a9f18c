"""The sandbox delivers webhooks the way WooCommerce does (includes/class-wc-webhook.php)."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.receivers import Receiver
from tests.sandboxes import client_for

SECRET_AS_GIVEN = "s3cr3t&amp;<x>'\"ü"
SECRET_AS_SIGNED = "s3cr3t&<x>'\"ü"


class FrozenClock:
    def __init__(self) -> None:
        # Frozen, but near the real time: OAuth timestamps must be within 15 minutes.
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return FrozenClock()


@pytest.fixture
def sandbox(clock):
    with SandboxServer(SandboxStore(seed=41, products=10, orders=20, clock=clock)) as server:
        yield server


def hook(sandbox, receiver: Receiver, topic: str, secret: str = SECRET_AS_GIVEN):
    key, cs = sandbox.store.create_api_key()
    resource, _, event = topic.partition(".")
    with client_for(sandbox, key, cs) as client:
        return client.create_webhook(
            topic, f"{receiver.url}/webhooks/woocommerce/{resource}/{event}", Secret(secret)
        )


def event_deliveries(receiver: Receiver) -> list[dict]:
    return [d for d in receiver.received if "X-Wc-Webhook-Topic" in d["headers"]]


def test_creating_a_webhook_pings_its_url_with_a_bare_form_body(sandbox, receiver):
    """`webhook_id=N`, form-encoded, no X-WC headers and no signature."""
    webhook = hook(sandbox, receiver, "order.updated")
    [ping] = receiver.received
    assert ping["body"] == f"webhook_id={webhook.id}".encode()
    assert ping["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert not any(name.lower().startswith("x-wc-") for name in ping["headers"])


def test_an_update_is_delivered_signed_over_the_raw_body_with_the_decoded_secret(sandbox, receiver):
    """base64(HMAC-SHA256(body)) keyed with the HTML-entity-decoded secret; the headers name
    source, topic, resource, event, webhook and delivery."""
    webhook = hook(sandbox, receiver, "order.updated")
    order_id = min(sandbox.store.orders)
    sandbox.store.update_order(order_id, status="completed")
    sandbox.deliverer.flush()
    [delivery] = event_deliveries(receiver)
    headers, body = delivery["headers"], delivery["body"]
    expected = base64.b64encode(
        hmac.new(SECRET_AS_SIGNED.encode(), body, hashlib.sha256).digest()
    ).decode()
    assert headers["X-Wc-Webhook-Signature"] == expected
    assert headers["X-Wc-Webhook-Source"] == sandbox.url + "/"
    assert (
        headers["X-Wc-Webhook-Topic"],
        headers["X-Wc-Webhook-Resource"],
        headers["X-Wc-Webhook-Event"],
    ) == ("order.updated", "order", "updated")
    assert headers["X-Wc-Webhook-Id"] == str(webhook.id)
    assert headers["User-Agent"].startswith("WooCommerce/10.0.2 Hookshot")
    document = json.loads(body)
    assert (document["id"], document["status"]) == (order_id, "completed")
    assert b"\\/" in body, "wp_json_encode escapes slashes"


def test_the_delivery_id_repeats_within_one_second(sandbox, receiver, clock):
    """Two deliveries in the same second share X-WC-Webhook-Delivery-ID; the next second
    changes it — it identifies nothing."""
    hook(sandbox, receiver, "order.updated")
    first, second = sorted(sandbox.store.orders)[:2]
    sandbox.store.update_order(first, status="completed")
    sandbox.deliverer.flush()
    sandbox.store.update_order(second, status="completed")
    sandbox.deliverer.flush()
    clock.now += timedelta(seconds=1)
    sandbox.store.update_order(first, customer_note="later")
    sandbox.deliverer.flush()
    ids = [d["headers"]["X-Wc-Webhook-Delivery-Id"] for d in event_deliveries(receiver)]
    assert ids[0] == ids[1] != ids[2]


def test_trashing_sends_only_the_id_and_a_permanent_delete_sends_nothing(sandbox, receiver):
    """order.deleted carries {"id": N} on trash; force-deleting another order is silent."""
    hook(sandbox, receiver, "order.deleted")
    trashed, deleted = sorted(sandbox.store.orders)[:2]
    sandbox.store.trash_order(trashed)
    sandbox.store.delete_order(deleted)
    sandbox.deliverer.flush()
    assert [json.loads(d["body"]) for d in event_deliveries(receiver)] == [{"id": trashed}]


def test_the_seventh_consecutive_failure_disables_the_webhook(sandbox, receiver):
    """failed_delivery(): the count rises to 6, the next failure disables; nothing is
    delivered afterwards."""
    webhook = hook(sandbox, receiver, "order.updated")
    receiver.status = 500
    order_id = min(sandbox.store.orders)
    for attempt in range(1, 8):
        sandbox.store.update_order(order_id, customer_note=f"try {attempt}")
        sandbox.deliverer.flush()
        record = sandbox.store.webhooks[webhook.id]
        assert record.status == ("disabled" if attempt == 7 else "active"), attempt
    sandbox.store.update_order(order_id, customer_note="after")
    sandbox.deliverer.flush()
    assert len(event_deliveries(receiver)) == 7


def test_a_success_resets_the_failure_count(sandbox, receiver):
    """Five failures, a success, five failures: still active."""
    webhook = hook(sandbox, receiver, "order.updated")
    order_id = min(sandbox.store.orders)
    for status in [500] * 5 + [200] + [500] * 5:
        receiver.status = status
        sandbox.store.update_order(order_id, customer_note=str(status))
        sandbox.deliverer.flush()
    record = sandbox.store.webhooks[webhook.id]
    assert (record.status, record.failure_count) == ("active", 5)


def test_a_stock_batch_fires_product_updated_for_each_saved_product(sandbox, receiver):
    """product.updated fires on every save, our own stock pushes included."""
    hook(sandbox, receiver, "product.updated")
    product = next(i for i, p in sandbox.store.products.items() if p["type"] == "simple")
    key, cs = sandbox.store.create_api_key()
    from shipcrowd_woo.domain.woo_catalog import StockUpdate

    with client_for(sandbox, key, cs) as client:
        client.update_stock([StockUpdate(product, None, 42)])
    sandbox.deliverer.flush()
    [delivery] = event_deliveries(receiver)
    assert json.loads(delivery["body"])["stock_quantity"] == 42
