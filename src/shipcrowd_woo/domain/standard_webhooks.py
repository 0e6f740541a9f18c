"""Signing per the Standard Webhooks specification (standard-webhooks/standard-webhooks:
spec/standard-webhooks.md, "Signature scheme"): HMAC-SHA256 over `id.timestamp.body`, the
exact bytes sent, written `v1,` + base64; several signatures space-separated (a rotation).
Secrets are shown as `whsec_` + standard base64 of 24 to 64 random bytes, the form the
reference library (PyPI standardwebhooks 1.1.0, webhooks.py `Webhook.__init__`) reads."""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Final

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.secrets import Secret

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the shown form's prefix, not a secret
SECRET_BYTES: Final = 32
ID_HEADER: Final = "webhook-id"
TIMESTAMP_HEADER: Final = "webhook-timestamp"
SIGNATURE_HEADER: Final = "webhook-signature"


def secret_from_bytes(raw: bytes) -> Secret:
    """A signing secret in its shown form (ValidationFailed outside 24 to 64 bytes)."""
    if not 24 <= len(raw) <= 64:
        raise ValidationFailed({"secret": "must be 24 to 64 bytes"})
    return Secret(SECRET_PREFIX + base64.b64encode(raw).decode("ascii"))


def _key(secret: Secret) -> bytes:
    text = secret.reveal().removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValidationFailed({"secret": f"must be {SECRET_PREFIX} and base64"}) from None


def signature(secret: Secret, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` + base64 HMAC-SHA256 of `message_id.timestamp.body` under the secret."""
    if "." in message_id:
        # The spec: ids must not contain the separator, or two messages could sign alike.
        raise ValidationFailed({"message_id": "must not contain '.'"})
    signed = b"%s.%d.%s" % (message_id.encode("utf-8"), timestamp, body)
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(
    secrets: Iterable[Secret], message_id: str, timestamp: int, body: bytes
) -> Mapping[str, str]:
    """The three headers of a delivery, signed with every secret given (made at each
    attempt: the timestamp is the attempt's, the replay defence)."""
    signatures = " ".join(signature(s, message_id, timestamp, body) for s in secrets)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signatures,
    }


def verified(
    secret: Secret, headers: Mapping[str, str], body: bytes, now: int, tolerance: int = 300
) -> bool:
    """Whether a delivery carries a valid signature under `secret` and a timestamp within
    `tolerance` seconds of `now` (what a subscriber checks; header names in any case)."""
    lower = {name.lower(): value for name, value in headers.items()}
    try:
        message_id = lower[ID_HEADER]
        timestamp = int(lower[TIMESTAMP_HEADER])
        offered = lower[SIGNATURE_HEADER].split(" ")
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance or "." in message_id:
        return False
    expected = signature(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)
