"""Request authentication as WooCommerce performs it, written from
includes/class-wc-rest-authentication.php (a second implementation, independent of the client,
so that the client is tested against the rules and not against itself).

Over HTTPS: `consumer_key`/`consumer_secret` in the query string first, then HTTP Basic
(`perform_basic_authentication`). Otherwise one-legged OAuth 1.0a from the query string, the
form body or an `Authorization: OAuth` header (`perform_oauth_authentication`).
"""

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import attrs
from werkzeug import Request

from shipcrowd_woo.sandbox.store import ApiKey, SandboxStore

OAUTH_PARAMETERS = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
NONCE_WINDOW_SECONDS = 15 * 60


@attrs.frozen
class AuthFailure(Exception):
    """A WP_Error from the authentication class: code, message, HTTP status."""

    code: str
    message: str
    status: int = 401
    basic_challenge: bool = False


def authenticate(request: Request, store: SandboxStore) -> ApiKey | None:
    """The key the request authenticates with, None when it carries no credentials, or
    AuthFailure when it carries wrong ones."""
    if request.scheme == "https":
        key = _basic(request, store)
        if key is not None:
            return key
    return _oauth(request, store)


def check_permission(key: ApiKey, method: str) -> None:
    """`check_permissions`: read keys may GET, write keys may change."""
    if method in ("GET", "HEAD") and key.permissions not in ("read", "read_write"):
        raise AuthFailure(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have read permissions.",
        )
    if method in ("POST", "PUT", "PATCH", "DELETE") and key.permissions not in (
        "write",
        "read_write",
    ):
        raise AuthFailure(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have write permissions.",
        )


def _basic(request: Request, store: SandboxStore) -> ApiKey | None:
    key, secret = request.args.get("consumer_key"), request.args.get("consumer_secret")
    if not (key and secret) and request.authorization and request.authorization.type == "basic":
        key = request.authorization.username
        secret = request.authorization.password
    if not key or not secret:
        return None
    found = store.api_keys.get(key)
    if found is None:
        return None
    if not hmac.compare_digest(found.consumer_secret, secret):
        raise AuthFailure(
            "woocommerce_rest_authentication_error",
            "Consumer secret is invalid.",
            basic_challenge=True,
        )
    return found


def _oauth(request: Request, store: SandboxStore) -> ApiKey | None:
    params: dict[str, str] = {**request.args.to_dict(), **request.form.to_dict()}
    header = request.headers.get("Authorization", "")
    if header.startswith("OAuth "):
        params.update(_oauth_header(header))
    missing = [name for name in OAUTH_PARAMETERS if not params.get(name)]
    if len(missing) == len(OAUTH_PARAMETERS):
        return None
    if missing:
        noun = "parameter" if len(missing) == 1 else "parameters"
        raise AuthFailure(
            "woocommerce_rest_authentication_missing_parameter",
            f"Missing OAuth {noun} {', '.join(missing)}",
        )
    key = store.api_keys.get(params["oauth_consumer_key"])
    if key is None:
        raise AuthFailure("woocommerce_rest_authentication_error", "Consumer key is invalid.")
    _check_signature(request, store, key, params)
    _check_timestamp_and_nonce(store, key, params["oauth_timestamp"], params["oauth_nonce"])
    return key


def _check_signature(
    request: Request, store: SandboxStore, key: ApiKey, params: dict[str, str]
) -> None:
    method = params["oauth_signature_method"]
    if method not in ("HMAC-SHA1", "HMAC-SHA256"):
        raise AuthFailure(
            "woocommerce_rest_authentication_error",
            "Invalid signature - signature method is invalid.",
        )
    given = params.pop("oauth_signature").replace(" ", "+")
    # WordPress signs against its home URL, whatever host the client used to reach it: the
    # home path is stripped and get_home_url(null, rest) asked — the home URL alone for
    # /?rest_route=… (class-wc-rest-authentication.php, check_oauth_signature()).
    home_path = urlsplit(store.base_url).path.rstrip("/")
    rest = request.path.removeprefix(home_path + "/")
    base_request_uri = _rawurlencode(store.base_url + (f"/{rest}" if rest else ""))
    joined = "%26".join(
        _rawurlencode(f"{_rawurlencode(name)}={_rawurlencode(value)}")
        for name, value in sorted(params.items())
    )
    string_to_sign = f"{request.method.upper()}&{base_request_uri}&{joined}"
    digest = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
    expected = base64.b64encode(
        hmac.new((key.consumer_secret + "&").encode(), string_to_sign.encode(), digest).digest()
    ).decode()
    if not hmac.compare_digest(expected, given):
        raise AuthFailure(
            "woocommerce_rest_authentication_error",
            "Invalid signature - provided signature does not match.",
        )


def _check_timestamp_and_nonce(
    store: SandboxStore, key: ApiKey, raw_timestamp: str, nonce: str
) -> None:
    now = int(store.clock().timestamp())
    timestamp = int(raw_timestamp) if raw_timestamp.lstrip("-").isdecimal() else 0
    if abs(timestamp - now) > NONCE_WINDOW_SECONDS:
        raise AuthFailure("woocommerce_rest_authentication_error", "Invalid timestamp.")
    with store.lock:
        if nonce in key.nonces.values():
            raise AuthFailure(
                "woocommerce_rest_authentication_error",
                "Invalid nonce - nonce has already been used.",
            )
        key.nonces[timestamp] = nonce
        for used_at in [t for t in key.nonces if t < now - NONCE_WINDOW_SECONDS]:
            del key.nonces[used_at]


def _oauth_header(header: str) -> dict[str, str]:
    found: dict[str, Any] = {}
    for part in header[len("OAuth ") :].split(","):
        name, _, value = part.strip().partition("=")
        if name.startswith("oauth_"):
            found[name] = unquote(value.strip('"'))
    return found


def _rawurlencode(text: str) -> str:
    """PHP's rawurlencode: RFC 3986, only unreserved characters left alone."""
    return quote(text, safe="-_.~")
