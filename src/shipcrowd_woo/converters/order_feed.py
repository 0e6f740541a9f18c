"""An order as the feed renders it: its data as JSON text, and digests of its content."""

import hashlib
from typing import Any

import orjson

from shipcrowd_woo.converters.shipcrowd import to_json_data
from shipcrowd_woo.domain.feed import Change, FeedEvent
from shipcrowd_woo.domain.order import Order

# Our stamps, not the order's: the feed shows its version as its own field.
_STAMPS = ("observed_at", "current_from", "fingerprint", "deleted_at_store")


def order_data(order: Order) -> dict[str, Any]:
    """The Shipcrowd order as stored, as JSON-ready data, without our stamps."""
    data: dict[str, Any] = to_json_data(order)
    for stamp in _STAMPS:
        data.pop(stamp, None)
    return data


def order_text(data: dict[str, Any]) -> str:
    """`order_data` as compact JSON text."""
    return orjson.dumps(data).decode()


def event_text(event: FeedEvent) -> str:
    """An event as JSON text, its data spliced in as stored (never parsed again: what a
    reader receives is what a subscriber's signature covers)."""
    head = orjson.dumps(
        {
            "id": event.id,
            "seq": event.seq,
            "type": event.type.value,
            "occurred_at": event.occurred_at.isoformat(),
            "changes": [change.value for change in event.changes],
            "store_id": event.key.store_id,
            "order_id": event.key.source_id,
        }
    ).decode()
    return f'{head[:-1]},"data":{event.data}}}'


def content_facets(data: dict[str, Any]) -> dict[str, str]:
    """A digest of each content facet of `order_data` (its status in words)."""
    lines = data["lines"]
    return {
        Change.STATUS.value: data["woo_status"],
        Change.SHIPPING_ADDRESS.value: _digest(data["shipping_address"]),
        Change.LINES.value: _digest(
            [
                (li["woo_line_id"], li["product_id"], li["variation_id"], li["sku"], li["name"])
                for li in lines
            ]
        ),
        Change.QUANTITIES.value: _digest([(li["woo_line_id"], li["quantity"]) for li in lines]),
        Change.CUSTOMER_NOTE.value: _digest(data["customer_note"]),
        Change.TOTALS.value: _digest([data["totals"], data["fees"], data["coupons"]]),
        Change.SHIPPING_METHOD.value: _digest(data["shipping_lines"]),
        Change.CUSTOMER.value: _digest(
            [data["customer"], data["billing_address"], data["billing_email"]]
        ),
        Change.PAYMENT.value: _digest(
            [data["payment_method"], data["payment_status"], data["transaction_id"]]
        ),
    }


def _digest(value: object) -> str:
    rendered = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(rendered, digest_size=8).hexdigest()
