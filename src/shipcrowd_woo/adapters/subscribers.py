"""HttpxSubscriberClient: the SubscriberClient port over httpx, through the SSRF guard that
store calls use (the host is resolved and checked where each connection is opened)."""

import email.utils
import ssl
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import attrs
import httpx

from shipcrowd_woo.adapters.woocommerce.connections import guarded_transport
from shipcrowd_woo.adapters.woocommerce.ssrf import HostPolicy
from shipcrowd_woo.domain.errors import UnsafeStoreUrl, ValidationFailed
from shipcrowd_woo.domain.subscriptions import Attempt

# What of a refusing subscriber's answer is kept as the subscription's last error.
ANSWER_EXCERPT = 200


@attrs.frozen
class SubscriberOptions:
    """How deliveries are sent. Standard Webhooks asks for a 15-30 s request timeout."""

    allow_private_hosts: bool = False
    connect_timeout: float = 5.0
    timeout: float = 15.0
    verify: ssl.SSLContext | str | bool = True
    user_agent: str = "Shipcrowd-WooCommerce-Webhooks/0.1"
    # Deliveries in flight at once per process (one per subscription being delivered).
    max_in_flight: int = 16


class HttpxSubscriberClient:
    """POSTs deliveries; never follows a redirect (3xx is a failure, per the spec)."""

    def __init__(self, options: SubscriberOptions | None = None) -> None:
        self._options = options or SubscriberOptions()
        self._policy = HostPolicy(self._options.allow_private_hosts)
        self._client = httpx.Client(
            transport=guarded_transport(
                self._options.verify,
                self._options.allow_private_hosts,
                self._options.max_in_flight,
            ),
            timeout=httpx.Timeout(self._options.timeout, connect=self._options.connect_timeout),
            follow_redirects=False,
            headers={"user-agent": self._options.user_agent},
        )

    def check(self, url: str) -> None:
        """ValidationFailed when the guard would refuse the URL's host."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            self._policy.resolve(parts.hostname or "", port)
        except UnsafeStoreUrl as refused:
            raise ValidationFailed({"url": f"is refused by the SSRF guard: {refused}"}) from None

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        """Send one delivery and say how it went."""
        try:
            response = self._client.post(url, content=body, headers=dict(headers))
        except UnsafeStoreUrl as refused:
            return Attempt(None, f"refused by the SSRF guard: {refused}")
        except httpx.TimeoutException:
            return Attempt(None, f"no answer within {self._options.timeout:g} s")
        except httpx.HTTPError as error:
            return Attempt(None, f"{type(error).__name__}: {error}")
        excerpt = " ".join(response.text[:ANSWER_EXCERPT].split())
        return Attempt(
            response.status_code,
            excerpt or response.reason_phrase,
            _retry_after(response.headers.get("retry-after")),
        )

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


def _retry_after(value: str | None) -> timedelta | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 10.2.3); None when absent or odd."""
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment - datetime.now(UTC), timedelta(0))
