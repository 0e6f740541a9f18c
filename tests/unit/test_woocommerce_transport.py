"""Retries, throttling, typed errors, paging and secrecy of the WooCommerce client."""

import logging
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.responses import decode_json
from shipcrowd_woo.adapters.woocommerce.transport import InFlightBudget, TransportOptions
from shipcrowd_woo.domain.errors import (
    AuthenticationFailed,
    InvalidResponse,
    PermissionDenied,
    RateLimited,
    RequestRejected,
    StoreResourceNotFound,
    StoreUnavailable,
)
from shipcrowd_woo.domain.secrets import Secret

STORE = "https://shop.example.com"
KEY, SECRET = "ck_0123456789abcdef", "cs_fedcba9876543210"
ORDER = {
    "id": 1,
    "status": "processing",
    "currency": "USD",
    "total": "1.00",
    "date_created_gmt": "2026-11-25T16:28:07",
    "date_modified_gmt": "2026-11-25T16:28:07",
}


def woo_error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"code": code, "message": message, "data": {"status": status}},
        headers=headers,
    )


class Script:
    """A MockTransport handler answering from a list, recording the requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(script: Script, url: str = STORE, **options) -> HttpxStoreClient:
    transport = options.pop("transport_options", TransportOptions())
    return HttpxStoreClient(
        url,
        Secret(KEY),
        Secret(SECRET),
        ClientOptions(transport=transport, **options),
        transport=httpx.MockTransport(script),
    )


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, text="<p>There has been a critical error</p>"),
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, content=b'{"id": 1, "stat'),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
    ],
    ids=["500", "503", "429", "truncated-json", "connect-error", "read-timeout"],
)
def test_transient_failures_are_retried_and_the_third_attempt_can_succeed(failure):
    """Two failures, then the order: three attempts in all."""
    script = Script(failure, failure, httpx.Response(200, json=ORDER))
    with client(script) as store:
        assert store.get_order(1).id == 1
    assert len(script.requests) == 3


def test_after_three_failed_attempts_the_store_is_unavailable():
    """No fourth attempt; the error names the store and the call."""
    script = Script(httpx.Response(502))
    with client(script) as store, pytest.raises(StoreUnavailable) as raised:
        store.get_order(1)
    assert len(script.requests) == 3
    assert str(raised.value) == f"{STORE}: GET wc/v3/orders/1: HTTP 502"


def test_a_store_api_rate_limit_is_throttling_too():
    """The Store API limiter's 400 rate_limit_exceeded with RateLimit-* headers is RateLimited
    and retried like a 429."""
    limited = woo_error(
        400,
        "rate_limit_exceeded",
        "Too many requests.",
        **{"RateLimit-Retry-After": "2", "RateLimit-Limit": "25"},
    )
    script = Script(limited)
    with client(script) as store, pytest.raises(RateLimited) as raised:
        store.get_order(1)
    assert raised.value.retry_after == timedelta(seconds=2)
    assert len(script.requests) == 3


def test_a_retry_after_longer_than_the_cap_fails_at_once_with_the_delay():
    """Holding a worker for ten minutes is the job queue's business: RateLimited carries the
    delay after a single attempt."""
    script = Script(httpx.Response(429, headers={"Retry-After": "600"}))
    with client(script) as store, pytest.raises(RateLimited) as raised:
        store.get_order(1)
    assert len(script.requests) == 1
    assert raised.value.retry_after == timedelta(minutes=10)


def test_the_retry_waits_as_long_as_the_store_asks():
    """The retry decision for a 429 returns the Retry-After seconds as the backoff."""
    with client(Script(httpx.Response(200, json={}))) as store:
        decide = store._io._should_retry
        assert decide(RateLimited(STORE, "x", timedelta(seconds=7)), None) == 7
        assert decide(RateLimited(STORE, "x", None), None) is True
        assert decide(RateLimited(STORE, "x", timedelta(hours=1)), None) is False


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (
            woo_error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."),
            AuthenticationFailed,
        ),
        (
            woo_error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
            AuthenticationFailed,
        ),
        (
            woo_error(
                401,
                "woocommerce_rest_authentication_error",
                "The API key provided does not have write permissions.",
            ),
            PermissionDenied,
        ),
        (
            woo_error(403, "woocommerce_rest_cannot_view", "Sorry, you cannot view this."),
            PermissionDenied,
        ),
        (
            woo_error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
            StoreResourceNotFound,
        ),
        (
            woo_error(413, "woocommerce_rest_request_entity_too_large", "Unable to accept more"),
            RequestRejected,
        ),
        (httpx.Response(200, text="<br /><b>Notice</b>: Undefined index"), InvalidResponse),
        (httpx.Response(200, json=[1, 2]), InvalidResponse),
    ],
    ids=[
        "bad-secret",
        "no-user",
        "key-permission",
        "capability",
        "not-found",
        "too-large",
        "php-notice",
        "wrong-shape",
    ],
)
def test_each_failure_has_its_typed_error_and_client_errors_are_not_retried(response, error):
    """4xx are final at once; a non-JSON or wrong-shaped 200 is retried, then InvalidResponse."""
    script = Script(response)
    with client(script) as store, pytest.raises(error):
        store.get_order(1)
    assert len(script.requests) == (3 if error is InvalidResponse else 1)


def test_creating_a_webhook_is_not_retried_once_the_request_may_have_arrived():
    """A 500 after POST webhooks may mean it was created: no blind retry, no duplicate."""
    script = Script(httpx.Response(500))
    with client(script) as store, pytest.raises(StoreUnavailable):
        store.create_webhook("order.updated", "https://x.example/hook", Secret("s"))
    assert len(script.requests) == 1


def test_creating_a_webhook_is_retried_when_the_connection_never_opened():
    """A refused connection sent nothing, so trying again cannot duplicate."""
    created = {"id": 9, "status": "active", "topic": "order.updated"}
    script = Script(httpx.ConnectError("refused"), httpx.Response(201, json=created))
    with client(script) as store:
        assert store.create_webhook("order.updated", "https://x.example/h", Secret("s")).id == 9
    assert len(script.requests) == 2


def test_deleting_a_webhook_that_is_already_gone_is_not_an_error():
    """DELETE webhooks/<id>?force=true answering 404 means the goal is reached."""
    script = Script(woo_error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID."))
    with client(script) as store:
        store.delete_webhook(5)
    assert script.requests[0].url.params["force"] == "true"


def page(items: list[dict], number: int, total: int, **extra: str) -> httpx.Response:
    headers = {"X-WP-Total": str(total * 2), "X-WP-TotalPages": str(total), **extra}
    return httpx.Response(200, json=items, headers=headers)


def test_pages_are_read_by_id_with_100_per_page_and_only_the_mapped_fields():
    """orderby=id, order=asc, per_page=100, status=any, _fields limited to what we map."""
    script = Script(page([ORDER], 1, 1))
    with client(script) as store:
        [only] = list(store.order_pages())
    params = script.requests[0].url.params
    assert (params["orderby"], params["order"], params["per_page"]) == ("id", "asc", "100")
    assert params["status"] == "any"
    assert "line_items" in params["_fields"].split(",")
    assert "_links" not in params["_fields"].split(",")
    assert only.total_pages == 1


def test_an_incremental_query_asks_for_gmt_modification_times():
    """modified_after in UTC with dates_are_gmt=true (the default is site-local time)."""
    from datetime import UTC, datetime

    script = Script(page([], 1, 1))
    with client(script) as store:
        list(
            store.order_pages(
                modified_after=datetime(2026, 11, 25, 17, 0, 5, tzinfo=UTC),
                statuses=["processing", "on-hold"],
            )
        )
    params = script.requests[0].url.params
    assert params["modified_after"] == "2026-11-25T17:00:05"
    assert params["dates_are_gmt"] == "true"
    assert params["status"] == "processing,on-hold"


def test_pages_stream_lazily_within_the_budget():
    """Reading the first page of 50 fetches at most the budget's worth ahead."""

    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        return page([{**ORDER, "id": number}], number, 50)

    requests = []

    def counting(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return handler(request)

    store = HttpxStoreClient(
        STORE, Secret(KEY), Secret(SECRET), transport=httpx.MockTransport(counting)
    )
    with store:
        pages = store.order_pages()
        first = next(pages)
        second = next(pages)
        pages.close()
    assert (first.page, second.page) == (1, 2)
    assert len(requests) <= 1 + 2 + 1


def test_without_total_pages_the_link_header_leads_on():
    """Hosts that drop X-WP-TotalPages still say rel="next"."""

    def handler(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page"])
        link = '<https://shop.example.com/x?page=2>; rel="next"' if number == 1 else ""
        return httpx.Response(200, json=[{**ORDER, "id": number}], headers={"Link": link})

    with HttpxStoreClient(
        STORE, Secret(KEY), Secret(SECRET), transport=httpx.MockTransport(handler)
    ) as store:
        assert [p.page for p in store.order_pages()] == [1, 2]


def test_the_budget_halves_on_throttling_and_grows_back_after_successes():
    """2 in flight, a 429 makes it 1; twenty successes make it 2 again."""
    budget = InFlightBudget(2)
    budget.penalise()
    assert budget.limit == 1
    for _ in range(InFlightBudget.SUCCESSES_TO_GROW):
        budget.reward()
    assert budget.limit == 2


@pytest.mark.parametrize("url", [STORE, "http://shop.example.com"], ids=["basic", "oauth1"])
def test_no_secret_reaches_logs_errors_or_reprs(url, caplog):
    """A failing call logged at DEBUG (ours and httpx's) and its error never show the
    consumer key or secret, whatever the authentication scheme."""
    caplog.set_level(logging.DEBUG)
    script = Script(
        woo_error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
    )
    store = client(script, url, query_string_auth=True)
    with store, pytest.raises(AuthenticationFailed) as raised:
        store.system_status()
    visible = "\n".join(
        [caplog.text, str(raised.value), repr(raised.value), repr(store)]
        + [record.getMessage() for record in caplog.records]
    )
    assert KEY in str(script.requests[0].url) or KEY in script.requests[0].headers.get(
        "authorization", KEY
    )
    assert KEY not in visible
    assert SECRET not in visible
    assert "HTTP Request" in caplog.text


@pytest.mark.parametrize(
    ("raw", "price"),
    [
        # PHP's json_encode writes a double in the shortest form that reads back as it
        # (serialize_precision -1): read as a double, it spells the same.
        (b"18.333333333333332", "18.333333333333332"),
        (b"9.99", "9.99"),
        (b"10.0", "10.0"),
        (b"1.0e+25", "1e+25"),
    ],
)
def test_a_line_price_is_read_as_the_double_the_store_wrote(raw, price):
    body = b'[{"price": ' + raw + b', "total": "1.00"}]'
    (item,) = decode_json(STORE, body)
    assert str(item["price"]) == price
    assert Decimal(str(item["price"])) == Decimal(raw.decode())


@pytest.mark.parametrize(
    "body",
    [
        b'{"price": NaN}',
        b'{"name": "\\ud800"}',
        b'{"id": 123456789012345678901234567890}',
        "{}".encode("utf-16"),
    ],
)
def test_what_the_fast_reader_refuses_the_standard_one_still_reads(body):
    assert isinstance(decode_json(STORE, body), dict)


def test_a_body_that_is_not_json_is_an_invalid_response():
    with pytest.raises(InvalidResponse, match="bytes that are not JSON"):
        decode_json(STORE, b"<br /><b>Notice</b>: Undefined index")


@pytest.mark.parametrize(
    "body",
    [
        b"<br /><b>Notice</b>: Undefined index",
        b'[{"id": 1, "stat',
        b'{"code": "oops"}',
    ],
    ids=["php-notice", "truncated", "an-object"],
)
def test_a_page_of_orders_left_unread_is_still_refused_by_its_shape_and_asked_again(body):
    """Order pages are read where they are prepared (OrderPage.read), not where they are
    fetched; a body that is plainly no JSON list is refused and asked again all the same."""
    unread, decoded = (
        Script(httpx.Response(200, content=body, headers={"X-WP-TotalPages": "1"}))
        for _ in range(2)
    )
    with client(unread) as store, pytest.raises(InvalidResponse):
        list(store.order_pages())
    with client(decoded) as store, pytest.raises(InvalidResponse):
        list(store.order_ids())  # a listing decoded where it is fetched
    assert len(unread.requests) == len(decoded.requests) == 9  # 3 rounds of 3 attempts


def test_a_page_that_reads_as_no_json_fails_where_it_is_read():
    """What only reading finds (brackets around what is not JSON) is the store's
    InvalidResponse where the page is read: the import fails and its job is retried."""
    script = Script(httpx.Response(200, content=b"[{'id': 1}]", headers={"X-WP-TotalPages": "1"}))
    with client(script) as store:
        [only] = list(store.order_pages())
    with pytest.raises(InvalidResponse, match="bytes that are not JSON"):
        only.read()
