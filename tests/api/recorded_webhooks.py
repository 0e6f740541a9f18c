"""The deliveries a real WooCommerce 10.0.2 sent (tests/fixtures/woocommerce-10.0.2), and a
store installed to receive them again: its webhooks given the recorded ids and secrets.

WooCommerce signs with base64(HMAC-SHA256(raw body)) keyed by the HTML-entity-decoded secret
(see the fixtures' README); it sends the creation pings as a bare form body without X-WC
headers."""

import base64
import hashlib
import hmac
import html
import json

import attrs

from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.fixtures import RECORDED, recorded_deliveries

SOURCE = "http://127.0.0.1:8089"
RECORDED_SECRETS = {
    Topic(topic): (entry["webhook_id"], html.unescape(entry["secret_given_at_creation"]))
    for topic, entry in json.loads((RECORDED / "webhook_secrets.json").read_text()).items()
}
# Headers a client library sets for itself.
TRANSPORT_HEADERS = {"Host", "Content-Length", "Connection", "Accept-Encoding"}


def body_of(delivery):
    return base64.b64decode(delivery["body_b64"])


def headers_of(delivery):
    return {k: v for k, v in delivery["headers"].items() if k not in TRANSPORT_HEADERS}


def sign(body, secret):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_signed(delivery):
    return "X-WC-Webhook-Signature" in delivery["headers"]


def endpoint_of(path):
    """The deleted-file pings were recorded at /order.deleted-style paths."""
    if path.startswith("/webhooks/"):
        return path
    resource, _, event = path.strip("/").partition(".")
    return f"/webhooks/woocommerce/{resource}/{event}"


def signed_deliveries(name="webhook_deliveries"):
    return [d for d in recorded_deliveries(name) if is_signed(d)]


@attrs.define
class RecordingStore:
    """The store the deliveries came from, installed; the fake store behind it answers
    refetches with order 329 as it ended up (processing)."""

    store_id: str
    sandbox: SandboxStore


def give_recorded_identity(api, store_id, overrides=None):
    """Our webhooks take the recorded WooCommerce ids and secrets (or `overrides`)."""
    identities = dict(RECORDED_SECRETS) | (overrides or {})
    box = api.services.context.secrets
    with api.services.uow_factory() as uow:
        for webhook in uow.webhooks.for_store(StoreId(store_id)):
            woo_id, secret = identities[webhook.topic]
            uow.webhooks.update(
                attrs.evolve(webhook, woo_webhook_id=woo_id, secret=box.seal(Secret(secret)))
            )
        uow.commit()


def install_recording_store(api):
    sandbox = SandboxStore(seed=5, products=0, orders=0)
    credentials = api.stores.add(SOURCE, sandbox)
    store = api.install(url=SOURCE, credentials=credentials)
    give_recorded_identity(api, store["id"])
    final_order = json.loads(body_of(signed_deliveries()[-2]))
    assert (final_order["id"], final_order["status"]) == (329, "processing")
    sandbox.orders[329] = final_order
    return RecordingStore(store["id"], sandbox)
