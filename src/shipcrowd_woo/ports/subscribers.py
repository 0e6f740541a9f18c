"""Sending feed events to subscribers' URLs."""

from collections.abc import Mapping
from typing import Protocol

from shipcrowd_woo.domain.subscriptions import Attempt


class SubscriberClient(Protocol):
    """POSTs to subscription URLs through the SSRF guard, following no redirect."""

    def check(self, url: str) -> None:
        """Raise ValidationFailed (field `url`) when the URL's host may not be called: a
        private or loopback address without the allow-private-hosts setting, link-local
        always, a name that does not resolve."""
        ...

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Attempt:
        """Send one delivery; never raises for what the network or subscriber did (that is
        the Attempt: a status, or why none came)."""
        ...

    def close(self) -> None:
        """Release the connections."""
        ...
