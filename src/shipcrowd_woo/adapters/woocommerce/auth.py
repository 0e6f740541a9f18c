"""Authentication exactly as WooCommerce checks it (includes/class-wc-rest-authentication.php).

- HTTPS: HTTP Basic with the consumer key and secret (`perform_basic_authentication`), or the
  same two as `consumer_key`/`consumer_secret` query parameters for hosts that strip the
  Authorization header — WooCommerce reads `$_GET` first.
- Plain HTTP: one-legged OAuth 1.0a with the parameters in the query string
  (`perform_oauth_authentication`): every query parameter plus `oauth_consumer_key`,
  `oauth_timestamp`, `oauth_nonce`, `oauth_signature_method`, sorted by name, each name and
  value RFC 3986 encoded and joined `name=value` with `&`; the base string is
  `METHOD&enc(url without query)&enc(that)`, the URL being the home URL plus the path below
  it — the home URL alone for `/?rest_route=…` (check_oauth_signature strips the home path
  and asks `get_home_url(null, rest)`); the key is the consumer secret plus `&`. The
  timestamp must be within 15 minutes of the store's clock and a nonce may not repeat within
  15 minutes, so each attempt of a request is signed afresh.
"""

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Generator, Sequence
from urllib.parse import quote

import attrs
import httpx

from shipcrowd_woo.domain.secrets import Secret

SIGNATURE_METHOD = "HMAC-SHA256"


def rfc3986(text: str) -> str:
    """Percent-encode everything but RFC 3986's unreserved characters."""
    return quote(text, safe="~")


def oauth1_signature(
    method: str, url: str, params: Sequence[tuple[str, str]], consumer_secret: str
) -> str:
    """The base64 HMAC-SHA256 signature WooCommerce expects for this request."""
    normalised = "&".join(f"{rfc3986(name)}={rfc3986(value)}" for name, value in sorted(params))
    base_string = "&".join((method.upper(), rfc3986(url), rfc3986(normalised)))
    digest = hmac.new(
        (consumer_secret + "&").encode(), base_string.encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def oauth1_query(
    method: str,
    url: httpx.URL,
    consumer_key: str,
    consumer_secret: str,
    *,
    timestamp: int,
    nonce: str,
    home: str = "",
) -> list[tuple[str, str]]:
    """The request's query parameters with the OAuth ones added and signed (against `home`
    when the request is for the home page itself, as WooCommerce checks it)."""
    params = [
        *url.params.multi_items(),
        ("oauth_consumer_key", consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", SIGNATURE_METHOD),
        ("oauth_timestamp", str(timestamp)),
    ]
    signed_url = str(url.copy_with(query=None, fragment=None))
    if home and signed_url == f"{home}/":
        signed_url = home
    signature = oauth1_signature(method, signed_url, params, consumer_secret)
    return [*params, ("oauth_signature", signature)]


@attrs.define(eq=False)
class OAuth1QueryAuth(httpx.Auth):
    """Signs every request (every retry too) with a fresh timestamp and nonce."""

    _key: Secret
    _secret: Secret
    _now: Callable[[], float] = attrs.field(default=time.time, kw_only=True)
    _nonce: Callable[[], str] = attrs.field(default=lambda: secrets.token_hex(16), kw_only=True)
    _home: str = attrs.field(default="", kw_only=True)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        query = oauth1_query(
            request.method,
            request.url,
            self._key.reveal(),
            self._secret.reveal(),
            timestamp=int(self._now()),
            nonce=self._nonce(),
            home=self._home,
        )
        request.url = request.url.copy_with(params=query)
        yield request


@attrs.define(eq=False)
class QueryStringAuth(httpx.Auth):
    """`consumer_key` and `consumer_secret` as query parameters (HTTPS only)."""

    _key: Secret
    _secret: Secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params(
            {"consumer_key": self._key.reveal(), "consumer_secret": self._secret.reveal()}
        )
        yield request


def authentication_for(
    store_url: str, consumer_key: Secret, consumer_secret: Secret, *, query_string: bool = False
) -> httpx.Auth:
    """What WooCommerce accepts on this scheme: Basic (or query string) over HTTPS, OAuth 1.0a
    over plain HTTP, where it refuses Basic credentials."""
    if not store_url.startswith("https://"):
        return OAuth1QueryAuth(consumer_key, consumer_secret, home=store_url)
    if query_string:
        return QueryStringAuth(consumer_key, consumer_secret)
    return httpx.BasicAuth(consumer_key.reveal(), consumer_secret.reveal())
