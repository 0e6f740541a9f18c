"""Authentication as WooCommerce checks it, cross-checked with independent implementations."""

import base64
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_QUERY, Client

from shipcrowd_woo.adapters.woocommerce.auth import (
    OAuth1QueryAuth,
    authentication_for,
    oauth1_query,
    oauth1_signature,
)
from shipcrowd_woo.domain.secrets import Secret

URL = "http://shop.example.com:8089/wp-json/wc/v3/orders"
QUERY = {
    "per_page": "100",
    "modified_after": "2026-11-25T16:28:07",
    "_fields": "id,status,line_items",
    "status": "processing,on-hold",
    "search": "José Müller & Söhne/~",
}


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_our_oauth_signature_equals_oauthlibs_for_the_same_request(method):
    """oauthlib (an independent RFC 5849 implementation) signs the same request, parameters
    and nonce; our signature over the same parameters is identical."""
    signed_uri, _, _ = Client(
        "ck_test",
        client_secret="cs_test",
        signature_method=SIGNATURE_HMAC_SHA256,
        signature_type=SIGNATURE_TYPE_QUERY,
        nonce="0123456789abcdef0123456789abcdef",
        timestamp="1795627057",
    ).sign(str(httpx.URL(URL, params=QUERY)), http_method=method)
    params = parse_qsl(urlsplit(signed_uri).query, keep_blank_values=True)
    theirs = dict(params)["oauth_signature"]
    unsigned = [(k, v) for k, v in params if k != "oauth_signature"]
    assert oauth1_signature(method, URL, unsigned, "cs_test") == theirs


def test_the_signed_query_carries_exactly_the_oauth_parameters_woocommerce_requires():
    """oauth_consumer_key, _nonce, _signature_method (HMAC-SHA256), _timestamp, _signature,
    plus the request's own parameters, and a base64 HMAC-SHA256 digest."""
    query = dict(
        oauth1_query(
            "GET",
            httpx.URL(URL, params={"page": "2"}),
            "ck_test",
            "cs_test",
            timestamp=1795627057,
            nonce="n" * 32,
        )
    )
    assert set(query) == {
        "page",
        "oauth_consumer_key",
        "oauth_nonce",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_signature",
    }
    assert query["oauth_signature_method"] == "HMAC-SHA256"
    assert len(base64.b64decode(query["oauth_signature"])) == 32


def test_every_attempt_is_signed_with_a_fresh_nonce():
    """WooCommerce refuses a nonce used in the last 15 minutes, so a retry must not reuse it."""
    nonces = []

    def handler(request: httpx.Request) -> httpx.Response:
        nonces.append(request.url.params["oauth_nonce"])
        return httpx.Response(200, json={})

    auth = OAuth1QueryAuth(Secret("ck_test"), Secret("cs_test"))
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.get(URL)
        client.get(URL)
    assert len(set(nonces)) == 2


def test_https_uses_basic_auth_and_plain_http_uses_oauth():
    """WooCommerce accepts Basic only over TLS; over plain HTTP it wants OAuth 1.0a."""
    assert isinstance(
        authentication_for("https://s.example", Secret("ck"), Secret("cs")), httpx.BasicAuth
    )
    assert isinstance(
        authentication_for("http://s.example", Secret("ck"), Secret("cs")), OAuth1QueryAuth
    )


def test_query_string_credentials_are_the_fallback_for_hosts_that_strip_authorization():
    """consumer_key and consumer_secret as query parameters, over HTTPS only."""
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(request.url.params)
        seen["authorization"] = request.headers.get("authorization")
        return httpx.Response(200, json={})

    auth = authentication_for(
        "https://s.example", Secret("ck_q"), Secret("cs_q"), query_string=True
    )
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as client:
        client.get("https://s.example/wp-json/wc/v3/orders", params={"page": "1"})
    assert seen == {
        "page": "1",
        "consumer_key": "ck_q",
        "consumer_secret": "cs_q",
        "authorization": None,
    }
    plain = authentication_for("http://s.example", Secret("ck"), Secret("cs"), query_string=True)
    assert isinstance(plain, OAuth1QueryAuth)
