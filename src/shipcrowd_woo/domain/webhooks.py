"""Webhook topics we subscribe to and the deliveries the intake keeps."""

import enum
from datetime import datetime

import attrs

from shipcrowd_woo.domain.ids import DeliveryId, StoreId


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


class DeliveryState(enum.Enum):
    """Where a verified delivery stands in the inbox."""

    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


@attrs.frozen
class Delivery:
    """A verified webhook delivery, kept byte for byte until the worker has processed it."""

    id: DeliveryId
    store_id: StoreId
    topic: Topic
    woo_webhook_id: int
    body: bytes = attrs.field(repr=lambda body: f"<{len(body)} bytes>")
    body_sha256: str
    received_at: datetime
    state: DeliveryState = DeliveryState.RECEIVED
    processed_at: datetime | None = None
    error: str | None = None
