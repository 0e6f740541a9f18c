"""WooCommerce order status -> Shipcrowd order status.

WooCommerce's statuses are listed in plugins/woocommerce/src/Enums/OrderStatus.php; the REST API
sends them without the `wc-` prefix that the database stores, but extensions and some exports
send the prefixed form, so both are accepted. Extensions register their own statuses through the
`wc_order_statuses` filter (e.g. `awaiting-shipment`): those map to NEEDS_REVIEW unless the store
configures what they mean.
"""

import enum
from collections.abc import Mapping
from typing import Final


class OrderStatus(enum.Enum):
    """Where an order stands for Shipcrowd."""

    PENDING_PAYMENT = "pending_payment"
    ON_HOLD = "on_hold"
    READY_TO_SHIP = "ready_to_ship"
    READY_FOR_PICKUP = "ready_for_pickup"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"
    DRAFT = "draft"
    TRASHED = "trashed"
    NEEDS_REVIEW = "needs_review"


WOO_STATUS_TABLE: Final[Mapping[str, OrderStatus]] = {
    "pending": OrderStatus.PENDING_PAYMENT,
    "processing": OrderStatus.READY_TO_SHIP,
    "on-hold": OrderStatus.ON_HOLD,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
    "checkout-draft": OrderStatus.DRAFT,
    "draft": OrderStatus.DRAFT,
    "auto-draft": OrderStatus.DRAFT,
    # Legacy draft status (OrderStatus::NEW): an order nobody has placed yet.
    "new": OrderStatus.DRAFT,
    "trash": OrderStatus.TRASHED,
    # WooCommerce 11.3+, stores offering local pickup: the customer collects it, we don't ship.
    "ready-for-pickup": OrderStatus.READY_FOR_PICKUP,
}

# Statuses WooCommerce treats as paid (wc_get_is_paid_statuses()).
WOO_PAID_STATUSES: Final[frozenset[str]] = frozenset({"processing", "completed"})


def normalise_woo_status(raw: str) -> str:
    """Lower-case, trimmed, without the database's `wc-` prefix."""
    status = raw.strip().lower()
    return status.removeprefix("wc-")


def map_order_status(raw: str, custom: Mapping[str, OrderStatus] | None = None) -> OrderStatus:
    """Map a WooCommerce status, consulting the store's table for extension statuses first."""
    status = normalise_woo_status(raw)
    if custom:
        configured = custom.get(status)
        if configured is not None:
            return configured
    return WOO_STATUS_TABLE.get(status, OrderStatus.NEEDS_REVIEW)
