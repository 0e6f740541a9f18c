"""Turning WooCommerce's answers into values or typed errors.

WooCommerce errors are JSON `{"code": …, "message": …, "data": {"status": …}}` (WP_Error as
rendered by the REST server). Messages are HTML-escaped; they never contain credentials, but
request URLs can (OAuth or query-string auth), so no URL with its query is ever put into an
error or a log line.
"""

import email.utils
import html
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import httpx
import orjson

from shipcrowd_woo.domain.errors import (
    AuthenticationFailed,
    InvalidResponse,
    PermissionDenied,
    RateLimited,
    RequestRejected,
    StoreClientError,
    StoreResourceNotFound,
    StoreUnavailable,
)

MAX_MESSAGE_LENGTH = 300


@attrs.frozen
class WooResponse:
    """A successful answer, decoded; `sent_at` is when the request that got it was sent,
    `received_at` when its last byte arrived."""

    status: int
    headers: httpx.Headers = attrs.field(repr=False)
    body: Any = attrs.field(repr=False)
    sent_at: datetime
    received_at: datetime

    def header_int(self, name: str) -> int | None:
        """An integer header such as X-WP-TotalPages, or None when absent or malformed."""
        value = self.headers.get(name, "").strip()
        return int(value) if value.isdecimal() else None


def decode_json(store_url: str, content: bytes) -> Any:
    """Decode a JSON body; anything else (a PHP notice, a cut-off body) is an
    InvalidResponse.

    WooCommerce writes its amounts as strings; its few fractional numbers (a line's `price`)
    are PHP doubles, which json_encode writes in the shortest form that reads back as the same
    double (PHP's serialize_precision -1, the default since 7.1): read as Python floats they
    are exactly what the store held, and `str()` spells them as PHP did. orjson reads a page
    about five times faster than the standard library (a tenth of an import's CPU); what it
    refuses (NaN, lone surrogates, integers past 64 bits, UTF-16) goes to the standard
    reader, fractions then as exact Decimals, so nothing decodes worse than before."""
    body = content.removeprefix(b"\xef\xbb\xbf")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        shown = "empty" if not content else f"{len(content)} bytes that are not JSON"
        raise InvalidResponse(store_url, f"the store answered with {shown}") from None


def error_for(store_url: str, response: httpx.Response, path: str) -> StoreClientError:
    """The typed error for a non-2xx answer."""
    status = response.status_code
    code, message = _woo_error(response)
    detail = f"{response.request.method} {path}: HTTP {status}" + (
        f" {code}: {message}" if code else ""
    )
    if status == 429 or (status == 400 and code == "rate_limit_exceeded"):
        return RateLimited(store_url, detail, retry_after(response))
    # WordPress answers 401 when no user is authenticated (an unknown key falls through to
    # "cannot view") and 403 when the user lacks the capability; a key lacking read or write
    # permission is a 401 whose message says so (check_permissions()).
    if status == 403 or (status == 401 and "permissions" in message.lower()):
        return PermissionDenied(store_url, detail)
    if status == 401:
        return AuthenticationFailed(store_url, detail)
    if status == 404:
        return StoreResourceNotFound(store_url, detail)
    if 300 <= status < 400:
        location = response.headers.get("location", "").split("?")[0]
        return RequestRejected(
            store_url,
            f"{detail}; the store redirects to {location or 'elsewhere'}: "
            "connect it with its final URL",
            code="redirect",
            status=status,
        )
    if status >= 500:
        return StoreUnavailable(store_url, detail)
    return RequestRejected(store_url, detail, code=code, status=status)


def retry_after(response: httpx.Response, now: datetime | None = None) -> timedelta | None:
    """How long the store asked us to wait: Retry-After (seconds or an HTTP date), or the
    Store API limiter's RateLimit-Retry-After / RateLimit-Reset."""
    for name in ("retry-after", "ratelimit-retry-after", "ratelimit-reset"):
        value = response.headers.get(name, "").strip()
        if not value:
            continue
        if value.isdecimal():
            return timedelta(seconds=int(value))
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(timedelta(0), moment - (now or datetime.now(UTC)))
    return None


def _woo_error(response: httpx.Response) -> tuple[str, str]:
    try:
        body = json.loads(response.content)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    code = body.get("code")
    message = body.get("message")
    return (
        code if isinstance(code, str) else "",
        html.unescape(message)[:MAX_MESSAGE_LENGTH] if isinstance(message, str) else "",
    )
