"""Webhook topics we subscribe to and the deliveries the intake keeps."""

import base64
import enum
import hashlib
import hmac
from datetime import datetime

import attrs

from shipcrowd_woo.domain.errors import DomainError
from shipcrowd_woo.domain.ids import CompanyId, DeliveryId, StoreId


class DeliveryRefused(DomainError):
    """A request to the webhook endpoints that is not a delivery we accept; `reason` is for
    our log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAWebhookEndpoint(DeliveryRefused):
    """The endpoint names no topic we take."""


class DeliveryNotAuthentic(DeliveryRefused):
    """Unsigned, unknown store or webhook, or a bad signature: one kind for all, so nothing
    can be learned from which it was."""


class DeliveryMalformed(DeliveryRefused):
    """Authentic, but not a delivery of its endpoint's topic as a JSON object."""


class Topic(enum.Enum):
    """The eight topics registered at every store."""

    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_DELETED = "order.deleted"
    PRODUCT_CREATED = "product.created"
    PRODUCT_UPDATED = "product.updated"
    PRODUCT_DELETED = "product.deleted"
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_UPDATED = "customer.updated"

    @property
    def resource(self) -> str:
        """`order`, `product` or `customer` (WooCommerce's X-WC-Webhook-Resource)."""
        return self.value.partition(".")[0]

    @property
    def event(self) -> str:
        """`created`, `updated` or `deleted` (WooCommerce's X-WC-Webhook-Event)."""
        return self.value.partition(".")[2]


class Kept(enum.Enum):
    """What keeping a verified delivery came to."""

    NEW = "new"
    # The same store, topic and body is kept already (WooCommerce sent it again).
    DUPLICATE = "duplicate"
    # Nothing kept: the webhook it was verified against changed or went since it was read.
    SENDER_CHANGED = "sender_changed"


class DeliveryState(enum.Enum):
    """Where a verified delivery stands in the inbox."""

    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


@attrs.frozen
class Delivery:
    """A verified webhook delivery, kept byte for byte until the worker has processed it."""

    id: DeliveryId
    company_id: CompanyId
    store_id: StoreId
    topic: Topic
    woo_webhook_id: int
    body: bytes = attrs.field(repr=lambda body: f"<{len(body)} bytes>")
    body_sha256: str
    received_at: datetime
    state: DeliveryState = DeliveryState.RECEIVED
    processed_at: datetime | None = None
    error: str | None = None


def body_digest(body: bytes) -> str:
    """The SHA-256 of a delivery's exact bytes: with the store and topic, its identity.

    Not X-WC-Webhook-Delivery-ID (a hash of the webhook id and the current second, shared by
    different deliveries) and not `date_modified_gmt` (one-second resolution).
    """
    return hashlib.sha256(body).hexdigest()


def signature_of(body: bytes, secret: str) -> str:
    """What WooCommerce sends as X-WC-Webhook-Signature: base64 of the binary HMAC-SHA256 of
    the raw body (class-wc-webhook.php, generate_signature())."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_matches(body: bytes, secret: str, claimed: str) -> bool:
    """Constant-time comparison of the claimed signature with the one `secret` gives."""
    return hmac.compare_digest(signature_of(body, secret).encode(), claimed.strip().encode())


def topic_of(resource: str, event: str) -> Topic | None:
    """The topic for a `resource/event` pair, or None when it is not one of ours."""
    try:
        return Topic(f"{resource}.{event}")
    except ValueError:
        return None
