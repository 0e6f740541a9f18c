"""Every JSON entry point over HTTP takes hostile documents (tests/strategies_hostile_json.py)
with a 4xx problem, or, for a signed delivery, a recorded outcome: never a 5xx, never a
delivery left `received` (issue 14, point 4)."""

from hypothesis import HealthCheck, given, settings

from shipcrowd_woo.domain.webhooks import Topic
from tests.api.recorded_webhooks import RECORDED_SECRETS, headers_of, sign
from tests.api.test_webhook_intake import _inbox, _order_created, _post
from tests.strategies_hostile_json import HOSTILE_DOCUMENTS, REFUSED_DOCUMENTS

# Each example is a request through the app; the app's state is only read, never changed by
# a refused request, so one app serves every example of a test.
HTTP_EXAMPLES = settings(
    max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
JSON = {"Content-Type": "application/json"}
HOSTILE = "hostile JSON (deep, surrogates, huge numbers, NaN, repeated names, UTF-16)"


@HTTP_EXAMPLES
@given(body=HOSTILE_DOCUMENTS)
def test_management_bodies_are_refused_with_a_4xx_problem(api, body, figures):
    for method, path in (("PUT", "/stock"), ("POST", "/install")):
        response = api.call(method, path, data=body, headers=JSON)
        assert 400 <= response.status_code < 500, (path, response.get_json())
        assert response.mimetype == "application/problem+json"
        figures[HOSTILE]["management requests answered 4xx"] += 1


@HTTP_EXAMPLES
@given(body=REFUSED_DOCUMENTS)
def test_a_signed_delivery_that_is_not_json_we_take_is_400(api, recorded, body, figures):
    """UTF-16, NaN, repeated names, huge numbers, deep nesting: WooCommerce sends none of
    them, so a signed one is refused and nothing is kept."""
    delivery = _order_created()
    _, secret = RECORDED_SECRETS[Topic.ORDER_CREATED]
    headers = headers_of(delivery) | {"X-WC-Webhook-Signature": sign(body, secret)}
    response = _post(api, delivery["path"], body, headers)
    assert response.status_code in (400, 413), response.get_json()
    assert _inbox(api) == []
    figures[HOSTILE]["signed deliveries refused 400/413, nothing kept"] += 1


@HTTP_EXAMPLES
@given(body=HOSTILE_DOCUMENTS)
def test_a_signed_hostile_delivery_is_answered_and_never_left_received(
    api, recorded, body, figures
):
    delivery = _order_created()
    _, secret = RECORDED_SECRETS[Topic.ORDER_CREATED]
    headers = headers_of(delivery) | {"X-WC-Webhook-Signature": sign(body, secret)}
    response = _post(api, delivery["path"], body, headers)
    assert response.status_code in (200, 400, 413), response.get_json()
    api.drain()
    assert {row.state for row in _inbox(api)} <= {"processed", "failed"}
    figures[HOSTILE]["signed deliveries answered, none left received"] += 1
