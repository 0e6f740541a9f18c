"""Structured JSON logs: each line carries the company, store, job and delivery it concerns,
and never a secret."""

import io
import json
import logging

import pytest

from shipcrowd_woo.entrypoints.logs import configure_logging
from tests.api.recorded_webhooks import body_of, headers_of, signed_deliveries
from tests.apps import JWT_SECRET, token


@pytest.fixture
def json_logs():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("json", logging.DEBUG, stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


def _lines(stream):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_job_and_delivery_logs_carry_their_ids_and_no_secrets(api, json_logs):
    store = api.install()
    job = api.call("POST", f"/stores/{store['id']}/sync/orders", json={"mode": "full"}).get_json()
    api.drain()
    completed = next(line for line in _lines(json_logs) if "completed" in line["message"])
    assert completed["job_id"] == job["id"]
    assert completed["store_id"] == store["id"]
    assert completed["company_id"] == "company-a"
    assert completed["levelname"] == "INFO"

    text = json_logs.getvalue()
    for secret in (api.key, api.secret, JWT_SECRET, token()):
        assert secret not in text
    with api.services.uow_factory() as uow:
        hooks = uow.webhooks.for_store(store["id"])
        secrets = [api.services.context.secrets.open(h.secret).reveal() for h in hooks]
    assert secrets
    assert not any(secret in text for secret in secrets)


def test_an_accepted_delivery_is_logged_with_its_ids(api, json_logs, recorded):
    delivery = signed_deliveries()[0]
    api.client.post(delivery["path"], data=body_of(delivery), headers=headers_of(delivery))
    [accepted] = [line for line in _lines(json_logs) if line["message"].endswith("accepted")]
    assert accepted["store_id"] == recorded.store_id
    assert accepted["delivery_id"]
    assert delivery["headers"]["X-WC-Webhook-Signature"] not in json_logs.getvalue()
