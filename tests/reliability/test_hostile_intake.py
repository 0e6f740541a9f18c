"""10,000 hostile requests at the webhook intake: random bodies, headers and encodings, huge
and empty bodies, missing, wrong or duplicated signature headers, valid signatures over other
bodies, topics that disagree with the path. No answer is a 5xx, nothing is accepted without a
valid signature, and nothing of an unverified request is kept or logged."""

import base64
import hashlib
import hmac
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from shipcrowd_woo.adapters.sqlalchemy.tables import DeliveryRow
from shipcrowd_woo.domain.webhooks import Topic
from tests.apps import make_api
from tests.leaks import WATCH

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
EXAMPLES = 10_000
# In every body that cannot verify; the leak watch fails the run if a log line shows it.
MARKER = f"UNVERIFIED-{uuid.uuid4().hex}".encode()
WATCH.register(MARKER.decode())
RESOURCES = ["order", "product", "customer", "coupon", "", "..", "order%2Fcreated"]
EVENTS = ["created", "updated", "deleted", "restored", "x" * 300]


@pytest.fixture(scope="module")
def target(migrated_sqlite_template, tmp_path_factory):
    api = make_api(migrated_sqlite_template, tmp_path_factory.mktemp("hostile"))
    store = api.install()
    box = api.services.context.secrets
    with api.services.uow_factory() as uow:
        hooks = {w.topic: w for w in uow.webhooks.for_store(store["id"])}
    secrets = {topic: box.open(hook.secret).reveal() for topic, hook in hooks.items()}
    yield api, hooks, secrets
    api.close()


def _sign(secret, body):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# What can travel in a header at all: no line breaks (clients and servers refuse them).
NO_BREAKS = st.characters(exclude_characters="\r\n\x00")
header_text = st.one_of(
    st.text(NO_BREAKS, max_size=60),
    st.sampled_from(["", " ", "1", "0", "-1", "99999999999999999999", "²", "٣", "1e3", "0x10"]),
    st.binary(max_size=40).map(
        lambda b: b.decode("latin-1").replace("\r", "").replace("\n", "").replace("\x00", "")
    ),
)
bodies = st.one_of(
    st.binary(max_size=2000),
    st.just(b""),
    st.builds(lambda n: b"webhook_id=" + str(n).encode(), st.integers(-5, 10**20)),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
    st.integers(250 * 1024, 300 * 1024).map(lambda n: b"{" + b" " * n + b"}"),
)


@st.composite
def hostile(draw):
    """A request and how it is signed: not at all, over another body, with a wrong secret,
    or validly (a real secret over its exact body)."""
    topic = draw(st.sampled_from(list(Topic)))
    if draw(st.integers(0, 3)):
        resource, event = topic.resource, topic.event
    else:
        resource, event = draw(st.sampled_from(RESOURCES)), draw(st.sampled_from(EVENTS))
    body = draw(bodies)
    headers = {}
    for name in ("Resource", "Event", "Delivery-ID", "ID", "Source", "Signature"):
        if draw(st.booleans()):
            headers[f"X-WC-Webhook-{name}"] = draw(header_text)
    claimed = draw(st.sampled_from(["absent", "right", "random"]))
    if claimed == "right":
        headers["X-WC-Webhook-Topic"] = topic.value
    elif claimed == "random":
        headers["X-WC-Webhook-Topic"] = draw(header_text)
    signing = draw(st.sampled_from(["none", "other-body", "wrong-secret", "valid"]))
    return resource, event, body, headers, signing, topic, draw(st.integers(0, 9)) == 0


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(request=hostile())
def test_hostile_deliveries(target, figures, request):
    api, hooks, secrets = target
    resource, event, body, headers, signing, topic, duplicate_header = request
    hook = hooks[topic]
    if signing != "none":
        headers["X-WC-Webhook-ID"] = str(hook.woo_webhook_id)
        headers["X-WC-Webhook-Source"] = api.sandbox.base_url + "/"
    unverified = body + MARKER if signing != "valid" else body
    if signing == "other-body":
        headers["X-WC-Webhook-Signature"] = _sign(secrets[topic], body)
    elif signing == "wrong-secret":
        headers["X-WC-Webhook-Signature"] = _sign("not-the-secret-" + secrets[topic], body)
    elif signing == "valid":
        headers["X-WC-Webhook-Signature"] = _sign(secrets[topic], body)
    sent = unverified
    header_list = list(headers.items())
    if duplicate_header and "X-WC-Webhook-Signature" in headers:
        header_list.append(("X-WC-Webhook-Signature", headers["X-WC-Webhook-Signature"]))
    response = api.client.post(
        f"/webhooks/woocommerce/{resource}/{event}", data=sent, headers=header_list
    )
    figures["hostile input"]["intake requests tried"] += 1
    figures["hostile input"][f"intake answers {response.status_code}"] += 1
    figures["hostile input"]["intake answers 5xx"] += response.status_code >= 500
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 200:
        verdict = response.get_json()["status"]
        if verdict == "ping":
            assert "X-WC-Webhook-Signature" not in headers
            assert "X-WC-Webhook-Topic" not in headers
        else:
            # Only a valid signature over the very bytes, sent once, on its topic's path.
            assert signing == "valid"
            assert not duplicate_header
            assert f"{resource}.{event}" == topic.value
            # A topic header, if any, names the path's topic (blank counts as none).
            assert headers.get("X-WC-Webhook-Topic", "").strip() in ("", topic.value)


def test_nothing_of_the_unverified_requests_was_kept_or_logged(target, figures):
    api, _, _ = target
    with api.services.engine.connect() as connection:
        kept = connection.execute(select(DeliveryRow.body)).scalars().all()
    assert not any(MARKER in stored for stored in kept)
    assert not [leak for leak in WATCH.leaks if MARKER.decode() in leak]
    figures["hostile input"]["unverified bodies found kept"] += 0
