"""The webhook intake, fed what a real WooCommerce 10.0.2 store sent
(tests/fixtures/woocommerce-10.0.2/webhook_deliveries*.jsonl) with the secrets it was given.

WooCommerce signs with base64(HMAC-SHA256(raw body)) keyed by the HTML-entity-decoded secret
(WC_Webhook::generate_signature over wp_specialchars_decode'd secret — see the fixtures'
README); it sends the eight creation pings as a bare form body without X-WC headers."""

import base64
import hashlib
import hmac
import html
import io
import json
import logging
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from sqlalchemy import select

from shipcrowd_woo.adapters.sqlalchemy.tables import DeliveryRow
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.webhooks import Topic
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.api.conftest import COMPANY, OTHER_COMPANY
from tests.fixtures import RECORDED, recorded_deliveries

SOURCE = "http://127.0.0.1:8089"
RECORDED_SECRETS = {
    Topic(topic): (entry["webhook_id"], html.unescape(entry["secret_given_at_creation"]))
    for topic, entry in json.loads((RECORDED / "webhook_secrets.json").read_text()).items()
}
# Headers a client library sets for itself.
TRANSPORT_HEADERS = {"Host", "Content-Length", "Connection", "Accept-Encoding"}


def _body(delivery):
    return base64.b64decode(delivery["body_b64"])


def _headers(delivery):
    return {k: v for k, v in delivery["headers"].items() if k not in TRANSPORT_HEADERS}


def _sign(body, secret):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def _post(api, path, body, headers):
    return api.client.post(path, data=body, headers=headers)


def _endpoint(path):
    """The recorded deleted-file pings went to /order.deleted-style paths."""
    if path.startswith("/webhooks/"):
        return path
    resource, _, event = path.strip("/").partition(".")
    return f"/webhooks/woocommerce/{resource}/{event}"


def _signed(delivery):
    return "X-WC-Webhook-Signature" in delivery["headers"]


@attrs.define
class Recorded:
    """The recording store installed for COMPANY, its webhooks given the recorded ids and
    secrets, and the fake store answering refetches with the order as it ended up."""

    store_id: str
    sandbox: SandboxStore


def _give_recorded_identity(api, store_id, overrides=None):
    identities = dict(RECORDED_SECRETS) | (overrides or {})
    box = api.services.context.secrets
    with api.services.uow_factory() as uow:
        for webhook in uow.webhooks.for_store(StoreId(store_id)):
            woo_id, secret = identities[webhook.topic]
            uow.webhooks.update(
                attrs.evolve(webhook, woo_webhook_id=woo_id, secret=box.seal(Secret(secret)))
            )
        uow.commit()


@pytest.fixture
def recorded(api):
    sandbox = SandboxStore(seed=5, products=0, orders=0)
    credentials = api.stores.add(SOURCE, sandbox)
    store = api.install(url=SOURCE, credentials=credentials)
    _give_recorded_identity(api, store["id"])
    signed = [d for d in recorded_deliveries() if _signed(d)]
    final_order = json.loads(_body(signed[-2]))
    assert (final_order["id"], final_order["status"]) == (329, "processing")
    sandbox.orders[329] = final_order
    return Recorded(store["id"], sandbox)


def _inbox(api):
    with api.services.engine.connect() as connection:
        return connection.execute(
            select(DeliveryRow.topic, DeliveryRow.state, DeliveryRow.body).order_by(
                DeliveryRow.received_at
            )
        ).all()


def test_every_recorded_delivery_is_accepted_and_processed(api, recorded):
    api.call("PUT", "/stock", json={"items": [{"sku": "REC-1", "quantity": 9}]})
    answers = []
    for delivery in recorded_deliveries():
        response = _post(api, delivery["path"], _body(delivery), _headers(delivery))
        assert response.status_code == 200, response.get_json()
        answers.append(response.get_json()["status"])
    assert answers == ["ping"] * 8 + ["accepted"] * 9
    api.drain()
    inbox = _inbox(api)
    assert len(inbox) == 9
    assert {state for _, state, _ in inbox} == {"processed"}
    with api.services.uow_factory() as uow:
        key = OrderKey(CompanyId(COMPANY), StoreId(recorded.store_id), 329)
        order = uow.orders.get(key)
        customer = uow.customers.get(CompanyId(COMPANY), StoreId(recorded.store_id), 2)
        mappings = uow.mappings.for_store(CompanyId(COMPANY), StoreId(recorded.store_id))
    # pending then processing within one second, under one Delivery-ID: the later wins.
    assert order.woo_status == "processing"
    assert customer is not None
    assert [(m.woo_product_id, m.shipcrowd_sku) for m in mappings] == [(328, "REC-1")]


def test_one_delivery_id_over_two_bodies_is_two_deliveries(api, recorded):
    """WooCommerce derives X-WC-Webhook-Delivery-ID from the webhook id and the second."""
    updates = [
        d
        for d in recorded_deliveries()
        if d["headers"].get("X-WC-Webhook-Topic") == "order.updated"
    ]
    assert len({d["headers"]["X-WC-Webhook-Delivery-ID"] for d in updates}) == 1
    answers = [_post(api, d["path"], _body(d), _headers(d)).get_json()["status"] for d in updates]
    assert answers == ["accepted", "accepted"]


def test_an_identical_redelivery_is_answered_200_and_processed_once(api, recorded):
    delivery = next(d for d in recorded_deliveries() if _signed(d))
    first = _post(api, delivery["path"], _body(delivery), _headers(delivery))
    again = _post(api, delivery["path"], _body(delivery), _headers(delivery))
    assert (first.status_code, first.get_json()["status"]) == (200, "accepted")
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    api.drain()
    [(_, state, _)] = _inbox(api)
    assert state == "processed"


@pytest.mark.parametrize("where", ["first", "middle", "last", "signature"])
def test_one_changed_byte_is_refused_and_nothing_is_kept(api, recorded, where):
    for delivery in recorded_deliveries():
        if not _signed(delivery):
            continue
        body = bytearray(_body(delivery))
        headers = _headers(delivery)
        if where == "signature":
            signature = headers["X-WC-Webhook-Signature"]
            swapped = "A" if signature[5] != "A" else "B"
            headers["X-WC-Webhook-Signature"] = signature[:5] + swapped + signature[6:]
        else:
            index = {"first": 0, "middle": len(body) // 2, "last": len(body) - 1}[where]
            body[index] ^= 0x01
        response = _post(api, delivery["path"], bytes(body), headers)
        assert response.status_code == 401
        assert response.get_json()["detail"] == "the delivery could not be authenticated"
    assert _inbox(api) == []


def test_pings_of_the_deleted_file_are_200_and_unknown_topics_404(api, recorded):
    answers = {}
    for delivery in recorded_deliveries("webhook_deliveries_deleted"):
        if _signed(delivery):
            continue
        response = _post(api, _endpoint(delivery["path"]), _body(delivery), _headers(delivery))
        answers[delivery["path"]] = response.status_code
    # order.restored is not a topic we register, so no endpoint of ours takes it.
    assert answers == {"/order.deleted": 200, "/product.deleted": 200, "/order.restored": 404}


def test_recorded_deleted_deliveries(api, recorded):
    """The recording kept no secret for webhooks 9 and 10: with the secrets we hold they
    cannot verify (401). Signed again with a secret of ours, the very same bytes are taken
    in and processed: the trashed order is marked deleted, the product's mapping switched
    off."""
    deleted = [d for d in recorded_deliveries("webhook_deliveries_deleted") if _signed(d)]
    for delivery in deleted:
        refused = _post(api, _endpoint(delivery["path"]), _body(delivery), _headers(delivery))
        assert refused.status_code == 401
    _give_recorded_identity(
        api,
        recorded.store_id,
        {Topic.ORDER_DELETED: (9, "ours-9"), Topic.PRODUCT_DELETED: (10, "ours-10")},
    )
    api.call(
        "POST",
        f"/stores/{recorded.store_id}/mappings",
        json={"woo_product_id": 330, "shipcrowd_sku": "GONE-1"},
    )
    recorded.sandbox.orders[331] = {**recorded.sandbox.orders[329], "id": 331, "number": "331"}
    job = api.call(
        "POST", f"/stores/{recorded.store_id}/sync/orders", json={"mode": "single", "order_id": 331}
    ).get_json()
    api.drain()
    assert api.call("GET", f"/sync/jobs/{job['id']}").get_json()["state"] == "completed"
    for delivery in deleted:
        headers = _headers(delivery)
        secret = "ours-9" if headers["X-WC-Webhook-ID"] == "9" else "ours-10"
        headers["X-WC-Webhook-Signature"] = _sign(_body(delivery), secret)
        accepted = _post(api, _endpoint(delivery["path"]), _body(delivery), headers)
        assert accepted.get_json() == {"status": "accepted"}
    api.drain()
    assert {state for _, state, _ in _inbox(api)} == {"processed"}
    with api.services.uow_factory() as uow:
        order = uow.orders.get(OrderKey(CompanyId(COMPANY), StoreId(recorded.store_id), 331))
        [mapping] = uow.mappings.for_store(CompanyId(COMPANY), StoreId(recorded.store_id))
    assert order.deleted_at_store is not None
    assert mapping.is_active is False


def _order_created():
    return next(
        d
        for d in recorded_deliveries()
        if d["headers"].get("X-WC-Webhook-Topic") == "order.created"
    )


def test_a_topic_that_disagrees_with_the_path_is_refused(api, recorded):
    delivery = _order_created()
    wrong_path = _post(
        api, "/webhooks/woocommerce/order/updated", _body(delivery), _headers(delivery)
    )
    assert wrong_path.status_code == 400
    headers = _headers(delivery) | {"X-WC-Webhook-Topic": "order.deleted"}
    wrong_header = _post(api, delivery["path"], _body(delivery), headers)
    assert wrong_header.status_code == 400
    assert _inbox(api) == []


@pytest.mark.parametrize(
    "change",
    [
        {"X-WC-Webhook-ID": "99"},
        {"X-WC-Webhook-ID": "one"},
        {"X-WC-Webhook-ID": ""},
        {"X-WC-Webhook-Source": "http://127.0.0.1:8090/"},
        {"X-WC-Webhook-Source": "not a url"},
        {"X-WC-Webhook-Source": ""},
        {"X-WC-Webhook-Signature": ""},
        {"X-WC-Webhook-Signature": "x" * 3000},
    ],
    ids=[
        "unknown-webhook",
        "non-numeric-id",
        "no-id",
        "unknown-store",
        "bad-source",
        "no-source",
        "no-signature",
        "overlong-signature",
    ],
)
def test_unauthentic_deliveries_all_read_the_same(api, recorded, change):
    delivery = _order_created()
    response = _post(api, delivery["path"], _body(delivery), _headers(delivery) | change)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "https://docs.shipcrowd.com/woocommerce/problems/unauthorized",
        "title": "The delivery is not authentic",
        "status": 401,
        "detail": "the delivery could not be authenticated",
    }


def test_an_unsigned_body_that_is_not_a_ping_is_401(api, recorded):
    for body in (b"webhook_id=1&x=2", b'{"id": 1}', b""):
        assert _post(api, "/webhooks/woocommerce/order/created", body, {}).status_code == 401


def test_a_disconnected_or_another_companys_copy_does_not_verify(api, recorded):
    """Disconnecting deactivates the webhooks: their deliveries are refused from then on."""
    delivery = _order_created()
    api.call("DELETE", f"/stores/{recorded.store_id}")
    response = _post(api, delivery["path"], _body(delivery), _headers(delivery))
    assert response.status_code == 401
    assert api.call("GET", "/stores", OTHER_COMPANY).get_json()["total"] == 0


def test_a_verified_body_that_is_not_a_json_object_is_400(api, recorded):
    delivery = _order_created()
    _, secret = RECORDED_SECRETS[Topic.ORDER_CREATED]
    for body in (b"[1, 2]", b"not json", b"\xff\xfe"):
        headers = _headers(delivery) | {"X-WC-Webhook-Signature": _sign(body, secret)}
        response = _post(api, delivery["path"], body, headers)
        assert response.status_code == 400
        assert response.get_json()["type"].endswith("/bad-delivery")
    assert _inbox(api) == []


def test_unknown_endpoints_are_404(api):
    for path in ("coupon/created", "customer/deleted", "order/restored"):
        response = api.client.post(f"/webhooks/woocommerce/{path}", data=b"webhook_id=1")
        assert response.status_code == 404


def test_too_large_deliveries_are_413(api, recorded):
    delivery = _order_created()
    body = b'{"id": 1, "pad": "' + b"x" * (300 * 1024) + b'"}'
    declared = _post(api, delivery["path"], body, _headers(delivery))
    assert declared.status_code == 413
    chunked = api.client.post(
        delivery["path"],
        input_stream=io.BytesIO(body),
        headers=_headers(delivery) | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 413


def test_nothing_of_an_unverified_request_is_kept_or_logged(api, recorded, caplog):
    delivery = _order_created()
    marker = b"MARKER-7f3a-secret-looking-payload"
    body = _body(delivery).replace(b'"pending"', b'"' + marker + b'"')
    with caplog.at_level(logging.DEBUG):
        response = _post(api, delivery["path"], body, _headers(delivery))
    assert response.status_code == 401
    assert marker.decode() not in caplog.text
    assert delivery["headers"]["X-WC-Webhook-Signature"] not in caplog.text
    assert _inbox(api) == []


def test_deliveries_update_the_stores_last_delivery(api, recorded):
    before = datetime.now(UTC) - timedelta(seconds=1)
    delivery = _order_created()
    _post(api, delivery["path"], _body(delivery), _headers(delivery))
    store = api.call("GET", f"/stores/{recorded.store_id}").get_json()
    assert datetime.fromisoformat(store["last_delivery_at"]) > before
    with api.services.uow_factory() as uow:
        hooks = {w.topic: w for w in uow.webhooks.for_store(StoreId(recorded.store_id))}
    assert hooks[Topic.ORDER_CREATED].last_delivery_at > before
    assert hooks[Topic.ORDER_UPDATED].last_delivery_at is None
