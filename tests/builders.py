"""Builders of domain objects for tests, with sensible defaults."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shipcrowd_woo.converters.woocommerce import order_from_json
from shipcrowd_woo.domain.ids import CompanyId, DeliveryId, MappingId, StoreId, SyncLogId
from shipcrowd_woo.domain.mapping_rules import MappingType, ProductMapping
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.store import Store, Webhook
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType, start_sync
from shipcrowd_woo.domain.transform import TransformContext
from shipcrowd_woo.domain.webhooks import Delivery, Topic

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
COMPANY_A = CompanyId("company-a")
COMPANY_B = CompanyId("company-b")


def sealed(label: str = "x") -> EncryptedSecret:
    return EncryptedSecret("key-1", b"sealed:" + label.encode())


def make_store(
    company: CompanyId = COMPANY_A,
    url: str = "https://shop.example.com",
    store_id: str | None = None,
    installed_at: datetime = T0,
    **changes: Any,
) -> Store:
    return Store(
        id=StoreId(store_id or str(uuid.uuid4())),
        company_id=company,
        url=url,
        name="Example shop",
        consumer_key=sealed("ck"),
        consumer_secret=sealed("cs"),
        installed_at=installed_at,
        wp_version="6.8.8",
        wc_version="10.0.2",
        currency="USD",
        currency_decimals=2,
        timezone="UTC",
        **changes,
    )


def make_webhook(store: Store, topic: Topic = Topic.ORDER_UPDATED, woo_id: int = 1) -> Webhook:
    return Webhook(
        id=str(uuid.uuid4()),
        store_id=store.id,
        topic=topic,
        delivery_url=f"https://shipcrowd.example/webhooks/woocommerce/{topic.resource}/{topic.event}",
        secret=sealed(topic.value),
        created_at=T0,
        woo_webhook_id=woo_id,
    )


def order_payload(
    order_id: int,
    *,
    status: str = "processing",
    modified: datetime = T0,
    quantities: tuple[int, ...] = (1,),
    note: str = "",
) -> dict[str, Any]:
    """A consistent WooCommerce order: one line per quantity at 10.00 each, 5.00 shipping."""
    lines = [
        {
            "id": order_id * 100 + index,
            "name": f"Widget {index}",
            "product_id": 10 + index,
            "variation_id": 0 if index % 2 == 0 else 50 + index,
            "quantity": quantity,
            "sku": f"W-{index:03d}",
            "price": Decimal("10.00"),
            "subtotal": f"{10 * quantity}.00",
            "subtotal_tax": "0.00",
            "total": f"{10 * quantity}.00",
            "total_tax": "0.00",
        }
        for index, quantity in enumerate(quantities)
    ]
    return {
        "id": order_id,
        "number": str(order_id),
        "status": status,
        "currency": "USD",
        "date_created_gmt": "2026-11-01T08:00:00",
        "date_modified_gmt": modified.replace(tzinfo=None).isoformat(),
        "date_paid_gmt": "2026-11-01T08:00:05" if status in ("processing", "completed") else None,
        "discount_total": "0.00",
        "shipping_total": "5.00",
        "total": f"{10 * sum(quantities) + 5}.00",
        "total_tax": "0.00",
        "customer_note": note,
        "billing": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address_1": "1 Analytical Way",
            "city": "London",
            "postcode": "N1",
            "country": "GB",
            "email": "ada@example.com",
        },
        "shipping": {},
        "payment_method": "stripe",
        "line_items": lines,
        "shipping_lines": [{"method_id": "flat_rate", "method_title": "Flat", "total": "5.00"}],
    }


def make_order(
    order_id: int,
    *,
    store_id: StoreId,
    company: CompanyId = COMPANY_A,
    observed: datetime = T0,
    fetched: datetime | None = None,
    **payload_options: Any,
) -> Order:
    """An order as received at `observed`; with `fetched`, as fetched by a request that
    proves it current from then (a fetch's `current_from`)."""
    context = TransformContext(company, store_id, observed, "USD", 2, current_from=fetched)
    order = order_from_json(order_payload(order_id, **payload_options), context)
    assert isinstance(order, Order), order
    return order


def make_mapping(
    store: Store,
    product_id: int = 10,
    variation_id: int | None = None,
    sku: str = "W-000",
    **changes: Any,
) -> ProductMapping:
    return ProductMapping(
        id=MappingId(str(uuid.uuid4())),
        company_id=store.company_id,
        store_id=store.id,
        woo_product_id=product_id,
        woo_variation_id=variation_id,
        **(
            {
                "woo_sku": sku,
                "woo_title": f"Product {product_id}",
                "shipcrowd_sku": sku,
                "mapping_type": MappingType.AUTO,
                "created_at": T0,
            }
            | changes
        ),
    )


def make_sync_log(
    store: Store, started_at: datetime = T0, sync_type: SyncType = SyncType.ORDER
) -> SyncLog:
    return start_sync(
        SyncLogId(str(uuid.uuid4())),
        store.company_id,
        store.id,
        sync_type,
        started_at,
        {"mode": "incremental"},
    )


def make_delivery(
    store: Store, body: bytes = b'{"id":1}', topic: Topic = Topic.ORDER_UPDATED
) -> Delivery:
    return Delivery(
        id=DeliveryId(str(uuid.uuid4())),
        company_id=store.company_id,
        store_id=store.id,
        topic=topic,
        woo_webhook_id=2,
        body=body,
        body_sha256=hashlib.sha256(body).hexdigest(),
        received_at=T0,
    )


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
