"""The webhook intake, fed what a real WooCommerce 10.0.2 store sent, with the secrets it
was given (tests/api/recorded_webhooks.py)."""

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from sqlalchemy import select
from werkzeug.datastructures import Headers

from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.adapters.sqlalchemy.tables import DeliveryRow
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.webhooks import DeliveryNotAuthentic, Topic
from shipcrowd_woo.entrypoints.bootstrap import bootstrap
from shipcrowd_woo.entrypoints.flask_app import BACKGROUND, create_app
from shipcrowd_woo.services.intake import Verdict, WebhookIntake
from tests.api.recorded_webhooks import (
    RECORDED_SECRETS,
    body_of,
    endpoint_of,
    give_recorded_identity,
    headers_of,
    is_signed,
    sign,
    signed_deliveries,
)
from tests.apps import COMPANY, OTHER_COMPANY
from tests.fixtures import recorded_deliveries


def _post(api, path, body, headers):
    return api.client.post(path, data=body, headers=headers)


def _replay(api, delivery):
    """Post the delivery as it was recorded."""
    return _post(api, endpoint_of(delivery["path"]), body_of(delivery), headers_of(delivery))


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
        response = _replay(api, delivery)
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
    answers = [
        _post(api, d["path"], body_of(d), headers_of(d)).get_json()["status"] for d in updates
    ]
    assert answers == ["accepted", "accepted"]


def test_an_identical_redelivery_is_answered_200_and_processed_once(api, recorded):
    delivery = next(d for d in recorded_deliveries() if is_signed(d))
    first = _replay(api, delivery)
    again = _replay(api, delivery)
    assert (first.status_code, first.get_json()["status"]) == (200, "accepted")
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    api.drain()
    [(_, state, _)] = _inbox(api)
    assert state == "processed"


@pytest.mark.parametrize("where", ["first", "middle", "last", "signature"])
def test_one_changed_byte_is_refused_and_nothing_is_kept(api, recorded, where):
    for delivery in recorded_deliveries():
        if not is_signed(delivery):
            continue
        body = bytearray(body_of(delivery))
        headers = headers_of(delivery)
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
        if is_signed(delivery):
            continue
        response = _post(
            api, endpoint_of(delivery["path"]), body_of(delivery), headers_of(delivery)
        )
        answers[delivery["path"]] = response.status_code
    # order.restored is not a topic we register, so no endpoint of ours takes it.
    assert answers == {"/order.deleted": 200, "/product.deleted": 200, "/order.restored": 404}


def test_recorded_deleted_deliveries(api, recorded):
    """The recording kept no secret for webhooks 9 and 10: with the secrets we hold they
    cannot verify (401). Signed again with a secret of ours, the very same bytes are taken
    in and processed: the trashed order is marked deleted, the product's mapping switched
    off."""
    deleted = [d for d in recorded_deliveries("webhook_deliveries_deleted") if is_signed(d)]
    for delivery in deleted:
        refused = _replay(api, delivery)
        assert refused.status_code == 401
    give_recorded_identity(
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
        headers = headers_of(delivery)
        secret = "ours-9" if headers["X-WC-Webhook-ID"] == "9" else "ours-10"
        headers["X-WC-Webhook-Signature"] = sign(body_of(delivery), secret)
        accepted = _post(api, endpoint_of(delivery["path"]), body_of(delivery), headers)
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
        api, "/webhooks/woocommerce/order/updated", body_of(delivery), headers_of(delivery)
    )
    assert wrong_path.status_code == 400
    headers = headers_of(delivery) | {"X-WC-Webhook-Topic": "order.deleted"}
    wrong_header = _post(api, delivery["path"], body_of(delivery), headers)
    assert wrong_header.status_code == 400
    assert _inbox(api) == []


@pytest.mark.parametrize(
    "change",
    [
        {"X-WC-Webhook-ID": "99"},
        {"X-WC-Webhook-ID": "one"},
        {"X-WC-Webhook-ID": "\u00b2"},
        {"X-WC-Webhook-ID": "\u0663"},
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
        "superscript-digit-id",
        "arabic-digit-id",
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
    response = _post(api, delivery["path"], body_of(delivery), headers_of(delivery) | change)
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
    response = _replay(api, delivery)
    assert response.status_code == 401
    assert api.call("GET", "/stores", OTHER_COMPANY).get_json()["total"] == 0


def test_a_replaced_secret_and_a_disconnected_store_count_from_the_next_delivery(api, recorded):
    """Issue 17: the intake keeps opened secrets. A webhook given a new secret (as
    re-registering does) verifies with it, and no longer with the old one, from the very next
    delivery; a disconnected store's deliveries are refused from the very next one. The
    deliveries before each change warmed what the intake keeps."""
    delivery = _order_created()
    path, body = endpoint_of(delivery["path"]), body_of(delivery)
    _, old_secret = RECORDED_SECRETS[Topic.ORDER_CREATED]

    def post(content, secret):
        headers = headers_of(delivery) | {"X-WC-Webhook-Signature": sign(content, secret)}
        return _post(api, path, content, headers).status_code

    assert post(body, old_secret) == 200
    context = api.services.context
    with context.uow_factory() as uow:
        [hook] = [
            h for h in uow.webhooks.for_store(recorded.store_id) if h.topic is Topic.ORDER_CREATED
        ]
        uow.webhooks.update(attrs.evolve(hook, secret=context.secrets.seal(Secret("n3w-s3cret"))))
        uow.commit()
    assert post(body + b" ", old_secret) == 401
    assert post(body + b"  ", "n3w-s3cret") == 200
    api.call("DELETE", f"/stores/{recorded.store_id}")
    assert post(body + b"   ", "n3w-s3cret") == 401


def test_a_verified_body_that_is_not_a_json_object_is_400(api, recorded):
    delivery = _order_created()
    _, secret = RECORDED_SECRETS[Topic.ORDER_CREATED]
    for body in (b"[1, 2]", b"not json", b"\xff\xfe"):
        headers = headers_of(delivery) | {"X-WC-Webhook-Signature": sign(body, secret)}
        response = _post(api, delivery["path"], body, headers)
        assert response.status_code == 400
        assert response.get_json()["type"].endswith("/bad-delivery")
    assert _inbox(api) == []


def test_a_signed_body_too_big_or_deep_for_python_is_400_not_500(api, recorded):
    """Issue 14, point 4: an integer of over 4,300 digits made json.loads raise a ValueError
    the intake did not catch (500); nesting past the recursion limit is the same kind."""
    delivery = _order_created()
    _, secret = RECORDED_SECRETS[Topic.ORDER_CREATED]
    for body in (
        b'{"id": ' + b"9" * 5000 + b"}",
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ):
        headers = headers_of(delivery) | {"X-WC-Webhook-Signature": sign(body, secret)}
        response = _post(api, delivery["path"], body, headers)
        assert response.status_code == 400
        assert response.get_json()["type"].endswith("/bad-delivery")
    assert _inbox(api) == []


@pytest.mark.parametrize("topic", ["customer.updated", "product.updated", "order.updated"])
def test_a_signed_delivery_with_a_lone_surrogate_is_processed_not_stuck(api, recorded, topic):
    """Issue 14, point 4: a customer delivery carrying "\ud800" was acknowledged, then its
    job failed in the database driver, without retry, and the delivery stayed `received`.
    Text a store's JSON cannot have sent is stored with the surrogate replaced."""
    delivery = next(d for d in signed_deliveries() if d["headers"]["X-WC-Webhook-Topic"] == topic)
    _, secret = RECORDED_SECRETS[Topic(topic)]
    payload = json.loads(body_of(delivery))
    for field in ("email", "first_name", "sku", "name"):
        if field in payload:
            payload[field] = "broken \ud800 text\u0000"
    payload["meta_data"] = [{"key": "\udfff", "value": ["\ud800"]}]
    body = json.dumps(payload).encode()
    headers = headers_of(delivery) | {"X-WC-Webhook-Signature": sign(body, secret)}
    assert _post(api, endpoint_of(delivery["path"]), body, headers).status_code == 200
    api.drain()
    assert [(row.topic, row.state) for row in _inbox(api)] == [(topic, "processed")]


def test_unknown_endpoints_are_404(api):
    for path in ("coupon/created", "customer/deleted", "order/restored"):
        response = api.client.post(f"/webhooks/woocommerce/{path}", data=b"webhook_id=1")
        assert response.status_code == 404


def test_metric_labels_do_not_grow_with_the_paths_asked_for(api):
    """Issue 14, point 7: 20,000 POSTs to random paths grew /metrics by 20,000 series. Every
    path that is not one of our topics counts under one label."""
    before = api.client.get("/metrics").get_data(as_text=True).count("\n")
    for n in range(300):
        response = api.client.post(f"/webhooks/woocommerce/r{n}/e{n}", data=b"{}")
        assert response.status_code == 404
    metrics = api.client.get("/metrics").get_data(as_text=True)
    assert 'topic="unknown"' in metrics
    assert "r17" not in metrics
    assert metrics.count("\n") <= before + 4


def test_too_large_deliveries_are_413(api, recorded):
    delivery = _order_created()
    body = b'{"id": 1, "pad": "' + b"x" * (300 * 1024) + b'"}'
    declared = _post(api, delivery["path"], body, headers_of(delivery))
    assert declared.status_code == 413
    chunked = api.client.post(
        delivery["path"],
        input_stream=io.BytesIO(body),
        headers=headers_of(delivery) | {"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 413


def test_nothing_of_an_unverified_request_is_kept_or_logged(api, recorded, caplog):
    delivery = _order_created()
    marker = b"MARKER-7f3a-secret-looking-payload"
    body = body_of(delivery).replace(b'"pending"', b'"' + marker + b'"')
    with caplog.at_level(logging.DEBUG):
        response = _post(api, delivery["path"], body, headers_of(delivery))
    assert response.status_code == 401
    assert marker.decode() not in caplog.text
    assert delivery["headers"]["X-WC-Webhook-Signature"] not in caplog.text
    assert _inbox(api) == []


def test_deliveries_update_the_stores_last_delivery(api, recorded):
    before = datetime.now(UTC) - timedelta(seconds=1)
    delivery = _order_created()
    _replay(api, delivery)
    store = api.call("GET", f"/stores/{recorded.store_id}").get_json()
    assert datetime.fromisoformat(store["last_delivery_at"]) > before
    with api.services.uow_factory() as uow:
        hooks = {w.topic: w for w in uow.webhooks.for_store(StoreId(recorded.store_id))}
    assert hooks[Topic.ORDER_CREATED].last_delivery_at > before
    assert hooks[Topic.ORDER_UPDATED].last_delivery_at is None


def test_a_secret_resealed_while_a_delivery_is_taken_in_stays_resealed(api, recorded):
    """`keys rotate` re-seals the webhook secrets between the intake reading the webhook and
    recording the delivery: the insert, which checks the seal it was verified with, keeps
    nothing; the intake reads the webhook again, keeps the delivery, moves last_delivery_at
    and leaves the new seals. Once more on every keep, and the delivery is refused rather
    than judged by a seal that no longer holds."""
    delivery = next(d for d in recorded_deliveries() if is_signed(d))
    context = api.services.context

    class RotationInBetween:
        """The inbox, with the webhook secrets re-sealed just before the first `rotations`
        deliveries are kept."""

        def __init__(self, rotations):
            self.rotations = rotations

        def senders(self, *args):
            return context.inbox.senders(*args)

        def keep(self, *args):
            if self.rotations:
                self.rotations -= 1
                with context.uow_factory() as uow:
                    for hook in uow.webhooks.for_store(recorded.store_id):
                        resealed = context.secrets.seal(context.secrets.open(hook.secret))
                        uow.webhooks.update(attrs.evolve(hook, secret=resealed))
                    uow.commit()
            return context.inbox.keep(*args)

    resource, event = endpoint_of(delivery["path"]).split("/")[-2:]
    headers = Headers(headers_of(delivery))

    def accept(rotations):
        intake = WebhookIntake(
            attrs.evolve(context, inbox=RotationInBetween(rotations)), api.services.queue
        )
        return intake.accept(resource, event, headers, body_of(delivery), datetime.now(UTC))

    with pytest.raises(DeliveryNotAuthentic):
        accept(rotations=100)
    assert _inbox(api) == []
    with context.uow_factory() as uow:
        before = {h.id: h.secret for h in uow.webhooks.for_store(recorded.store_id)}
    result = accept(rotations=1)
    with context.uow_factory() as uow:
        after = {h.id: h for h in uow.webhooks.for_store(recorded.store_id)}
    assert result.verdict is Verdict.ACCEPTED
    assert all(after[i].secret != sealed_before for i, sealed_before in before.items())
    [delivered] = [h for h in after.values() if h.woo_webhook_id == int(headers["X-WC-Webhook-ID"])]
    assert delivered.last_delivery_at is not None


def test_what_a_dead_embedded_process_acknowledged_is_processed_when_the_next_starts(
    api, recorded, figures
):
    """Issue 14, point 3: after kill -9 of the embedded layout, acknowledged deliveries waited
    for the 15-minute stalled-job sweep. Here one app acknowledges every recorded delivery and
    its in-process queue dies with nothing processed; the next app on the same database
    processes them all as it starts, the sweep never consulted."""
    for delivery in signed_deliveries():
        assert _replay(api, delivery).status_code == 200
    assert {row.state for row in _inbox(api)} == {"received"}

    settings = attrs.evolve(api.services.settings, stalled_after=timedelta(days=1))
    services = bootstrap(settings, store_clients=api.stores)
    app = create_app(services=services)
    try:
        services.broker.join(QUEUE)
        states = [row.state for row in _inbox(api)]
    finally:
        for part in app.extensions[BACKGROUND]:
            part.stop()
        services.close()
    assert states == ["processed"] * len(signed_deliveries())
    crash = "embedded process died holding acknowledged deliveries (issue 14)"
    figures[crash]["acknowledged, then the process died"] += len(states)
    figures[crash]["processed as the next process started"] += states.count("processed")
