"""WooCommerce order status -> Shipcrowd order status: one test per row."""

import pytest

from shipcrowd_woo.domain.statuses import WOO_STATUS_TABLE, OrderStatus, map_order_status

EXPECTED = {
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
    "new": OrderStatus.DRAFT,
    "trash": OrderStatus.TRASHED,
    "ready-for-pickup": OrderStatus.READY_FOR_PICKUP,
}

# Every value of OrderStatus::get_all() in plugins/woocommerce/src/Enums/OrderStatus.php.
WOOCOMMERCE_STATUSES = [
    "pending",
    "failed",
    "on-hold",
    "completed",
    "processing",
    "refunded",
    "cancelled",
    "trash",
    "new",
    "auto-draft",
    "draft",
    "checkout-draft",
    "ready-for-pickup",
]


@pytest.mark.parametrize(("woo_status", "expected"), sorted(EXPECTED.items()))
def test_each_woocommerce_status_maps_to_its_shipcrowd_status(woo_status, expected):
    """Each row of the table gives the status this test expects."""
    assert map_order_status(woo_status) is expected


def test_the_table_has_exactly_the_rows_this_test_checks():
    """No row is added or dropped without a test saying what it means."""
    assert dict(WOO_STATUS_TABLE) == EXPECTED


@pytest.mark.parametrize("woo_status", WOOCOMMERCE_STATUSES)
def test_every_status_woocommerce_defines_has_a_row(woo_status):
    """No core status falls through to the unknown-status fallback."""
    assert woo_status in WOO_STATUS_TABLE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("wc-processing", OrderStatus.READY_TO_SHIP),
        ("  Completed ", OrderStatus.COMPLETED),
        ("WC-ON-HOLD", OrderStatus.ON_HOLD),
    ],
)
def test_the_database_prefix_case_and_spaces_do_not_matter(raw, expected):
    """`wc-processing` as stored in the database means `processing`."""
    assert map_order_status(raw) is expected


@pytest.mark.parametrize("raw", ["awaiting-shipment", "wc-awaiting-shipment", "", "shipped"])
def test_an_extension_status_needs_review(raw):
    """Statuses added through the `wc_order_statuses` filter are not guessed."""
    assert map_order_status(raw) is OrderStatus.NEEDS_REVIEW


def test_a_store_can_say_what_its_extension_status_means():
    """The store's own table is consulted before the fallback."""
    custom = {"awaiting-shipment": OrderStatus.READY_TO_SHIP}
    assert map_order_status("wc-awaiting-shipment", custom) is OrderStatus.READY_TO_SHIP
    assert map_order_status("processing", custom) is OrderStatus.READY_TO_SHIP
