"""What the order feed keeps of an order: its draft (facets and the order as JSON text)."""

import json

from shipcrowd_woo.converters.shipcrowd import to_json_data
from shipcrowd_woo.domain.feed import FeedDraft, content_facets
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.shipping import basis_of


def order_document(order: Order) -> str:
    """The Shipcrowd order as stored, as compact JSON text (its stamps but the version left
    out: `observed_at` and `current_from` are ours, not the order's)."""
    data = to_json_data(order)
    for stamp in ("observed_at", "current_from", "fingerprint", "deleted_at_store"):
        data.pop(stamp, None)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def feed_draft(order: Order) -> FeedDraft:
    """The order's draft for the feed."""
    return FeedDraft(
        basis=basis_of(order),
        facets=content_facets(order),
        refunded=order.totals.refunded,
        version=(order.modified_at, order.fingerprint),
        document=order_document(order),
    )
