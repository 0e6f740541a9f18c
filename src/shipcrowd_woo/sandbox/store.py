"""The sandbox store's state: catalogue, orders, API keys and webhooks, behind one lock.

Representations follow WooCommerce 10.0.2's REST v3 responses field for field (see
tests/fixtures/woocommerce-10.0.2/), so clients cannot tell the difference by shape.
"""

import html
import itertools
import random
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from shipcrowd_woo.sandbox.data import generate_catalogue, generate_order, gmt, money, sellable
from shipcrowd_woo.sandbox.documents import order_document, product_document, slug
from shipcrowd_woo.sandbox.stock import (
    BACKORDER_SETTINGS,
    PAYABLE_STATUSES,
    REDUCING_STATUSES,
    RESTORING_STATUSES,
    StockChange,
    display_name,
    reduce_stock,
    refusal,
    restore_stock,
)

TOPICS = [
    "order.created",
    "order.updated",
    "order.deleted",
    "order.restored",
    "product.created",
    "product.updated",
    "product.deleted",
    "product.restored",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "coupon.created",
    "coupon.updated",
    "coupon.deleted",
    "coupon.restored",
]
TOPIC_HOOKS = {
    "order.created": ["woocommerce_new_order"],
    "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded"],
    "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
    "product.created": ["woocommerce_process_product_meta", "woocommerce_new_product"],
    "product.updated": ["woocommerce_process_product_meta", "woocommerce_update_product"],
    "product.deleted": ["wp_trash_post"],
    "customer.created": ["user_register", "woocommerce_created_customer"],
    "customer.updated": ["profile_update", "woocommerce_update_customer"],
}
PERMISSIONS = ("read", "write", "read_write")
# wc_get_order_statuses(): the names status-change notes use.
STATUS_NAMES = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "checkout-draft": "Draft",
}
# The WooCommerce Shipment Tracking extension: its order meta and its REST namespace.
TRACKING_META = "_wc_shipment_tracking_items"
TRACKING_NAMESPACE = "wc-shipment-tracking/v3"
BILLING_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)
SHIPPING_FIELDS = tuple(name for name in BILLING_FIELDS if name != "email")


def utc_now() -> datetime:
    return datetime.now(UTC)


@attrs.define
class ApiKey:
    """A WooCommerce REST API key; `nonces` maps timestamps to nonces used (15 min window)."""

    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"
    nonces: dict[int, str] = attrs.Factory(dict)


@attrs.define
class WebhookRecord:
    """A webhook as WooCommerce keeps it (secret and failure count included)."""

    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str
    status: str = "active"
    failure_count: int = 0
    created: str = ""
    modified: str = ""


@attrs.frozen
class CheckoutLine:
    """A line an order is placed with: the product (or the variation, which WooCommerce's
    `get_product_id` prefers when both are named) and how many."""

    product_id: int
    variation_id: int | None = None
    quantity: int = 1


@attrs.frozen
class NewOrder:
    """What `POST orders` asks for, as far as the sandbox takes it: lines, status and
    `set_paid`, who pays how, and the addresses (fields as WooCommerce names them)."""

    lines: tuple[CheckoutLine, ...]
    status: str = "pending"
    set_paid: bool = False
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_id: int = 0
    customer_note: str = ""
    billing: dict[str, str] = attrs.Factory(dict)
    shipping: dict[str, str] = attrs.Factory(dict)


class SandboxStore:
    """Everything the sandbox knows; every method takes the lock."""

    def __init__(
        self,
        *,
        seed: int = 1,
        products: int = 0,
        orders: int = 0,
        variable_every: int = 5,
        currency: str = "USD",
        decimals: int = 2,
        timezone: str = "Europe/Berlin",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.clock = clock
        # WordPress's home URL: what the store signs OAuth against and names as the source.
        self.base_url = "http://127.0.0.1"
        # Plain permalinks: the REST API only at /?rest_route=/…, /wp-json/ is a 404 page.
        self.plain_permalinks = False
        # A web server sending any other host name to the home URL (bare -> www, an alias).
        self.canonical_redirect = False
        # What the REST index lists (a tracking plugin would add its namespace).
        self.rest_namespaces = ["wp/v2", "wc/v3"]
        self.currency = currency
        self.decimals = decimals
        self.timezone = timezone
        self.wc_version = "10.0.2"
        self.wp_version = "6.8.8"
        self._ids = itertools.count(10)
        self._item_ids = itertools.count(1)
        self._webhook_ids = itertools.count(1)
        self.products: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.trashed_orders: set[int] = set()
        self.webhooks: dict[int, WebhookRecord] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.customers: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self._note_ids = itertools.count(1)
        self._meta_ids = itertools.count(1)
        self._item_meta_ids = itertools.count(1)
        self.listeners: list[Callable[[str, int], None]] = []
        now = clock()
        self.products = generate_catalogue(self.rng, products, self.next_id, now, variable_every)
        self.add_random_orders(orders, spread=timedelta(days=60))

    @property
    def has_shipment_tracking(self) -> bool:
        """Whether the Shipment Tracking extension is active (its route is served)."""
        return TRACKING_NAMESPACE in self.rest_namespaces

    def install_shipment_tracking(self) -> None:
        """Activate the extension: its namespace joins the REST index, its route answers."""
        if not self.has_shipment_tracking:
            self.rest_namespaces.append(TRACKING_NAMESPACE)

    def next_id(self) -> int:
        """WordPress numbers posts (products, variations, orders) in one sequence."""
        return next(self._ids)

    def create_api_key(self, permissions: str = "read_write") -> tuple[str, str]:
        """A new key pair as WooCommerce generates them (`ck_`/`cs_` + 40 hex)."""
        if permissions not in PERMISSIONS:
            raise ValueError(f"permissions must be one of {PERMISSIONS}")
        key = ApiKey("ck_" + secrets.token_hex(20), "cs_" + secrets.token_hex(20), permissions)
        with self.lock:
            self.api_keys[key.consumer_key] = key
        return key.consumer_key, key.consumer_secret

    # Orders -----------------------------------------------------------------------------

    def add_random_orders(self, count: int, spread: timedelta = timedelta(0)) -> list[int]:
        """Place `count` seeded orders, created within `spread` before now, by rising id."""
        with self.lock:
            items = sellable(self.products)
            if count and not items:
                raise ValueError("the sandbox needs products before it can take orders")
            now = self.clock()
            created_ids = []
            offsets = sorted((self.rng.random() for _ in range(count)), reverse=True)
            for offset in offsets:
                order_id = self.next_id()
                self.orders[order_id] = generate_order(
                    self.rng,
                    order_id,
                    items,
                    self.products,
                    self.currency,
                    self.decimals,
                    now - spread * offset,
                    lambda: next(self._item_ids),
                )
                created_ids.append(order_id)
        for order_id in created_ids:
            self._emit("order.created", order_id)
        return created_ids

    def place_order(self, new: NewOrder) -> int:
        """`POST orders`: the order is saved pending, then reaches its status; `set_paid`
        completes its payment, which moves a payable status on to processing. An order that
        reaches processing, completed or on-hold takes its lines' stock then and there.

        WooCommerce's REST controller never refuses for stock (it lets stock go negative);
        the sandbox, like a store selling through its checkout, refuses such an order whole
        with `reserve_stock_for_order`'s StockRefused when a managed product without
        backorders is short. Check and reduction happen under one hold of the lock, so
        concurrent checkouts never sell the same units twice."""
        becomes = new.status.removeprefix("wc-")
        paying = new.set_paid and becomes in PAYABLE_STATUSES
        if paying:
            becomes = "processing"
        with self.lock:
            lines = [self._order_line(wanted) for wanted in new.lines if wanted.quantity > 0]
            if becomes in REDUCING_STATUSES:
                refusal(self.products, lines)
            order_id = self.next_id()
            now = gmt(self.clock())
            total = sum((Decimal(line["total"]) for line in lines), Decimal(0))
            zero = money(Decimal(0), self.decimals)
            order = {
                "id": order_id,
                "parent_id": 0,
                "status": "pending",
                "currency": self.currency,
                "prices_include_tax": False,
                "date_created_gmt": now,
                "date_modified_gmt": now,
                "discount_total": zero,
                "discount_tax": zero,
                "shipping_total": zero,
                "shipping_tax": zero,
                "cart_tax": zero,
                "total": money(total, self.decimals),
                "total_tax": zero,
                "customer_id": new.customer_id,
                "billing": _address(BILLING_FIELDS, new.billing),
                "shipping": _address(SHIPPING_FIELDS, new.shipping),
                "payment_method": new.payment_method,
                "payment_method_title": new.payment_method_title,
                "transaction_id": new.transaction_id,
                "customer_note": new.customer_note,
                "date_paid_gmt": now if paying else None,
                "date_completed_gmt": None,
                "number": str(order_id),
                "line_items": lines,
                "shipping_lines": [],
                "fee_lines": [],
                "coupon_lines": [],
                "refunds": [],
                "tax_lines": [],
                "meta_data": [],
                "created_via": "rest-api",
                # `_order_stock_reduced`; only orders placed here carry it, so the seeded
                # history (whose stock is already in the seeded levels) never moves stock.
                "stock_reduced": False,
            }
            self.orders[order_id] = order
            moved = self._reach_status(order, becomes)
        self._emit("order.created", order_id)
        self._emit_stock_changes(moved)
        return order_id

    def checkout(
        self,
        lines: Iterable[tuple[int, int | None, int]],
        *,
        status: str = "pending",
        set_paid: bool = True,
        payment_method: str = "bacs",
    ) -> int:
        """A paid checkout for benches: `(product_id, variation_id or None, quantity)` lines,
        placed as `POST orders` places them (place_order); raises StockRefused when short."""
        return self.place_order(
            NewOrder(
                lines=tuple(CheckoutLine(*line) for line in lines),
                status=status,
                set_paid=set_paid,
                payment_method=payment_method,
                payment_method_title=payment_method,
            )
        )

    def _order_line(self, wanted: CheckoutLine) -> dict[str, Any]:
        """A line item as `prepare_line_items` makes it: priced at the product's price; a line
        naming no existing product is kept without one (product_id 0), as WooCommerce does."""
        product = self.products.get(wanted.variation_id or wanted.product_id)
        parent = self.products.get(product["parent_id"]) if product else None
        price = Decimal(product["price"] or 0) if product else Decimal(0)
        total = money(price * wanted.quantity, self.decimals)
        zero = money(Decimal(0), self.decimals)
        return {
            "id": next(self._item_ids),
            "name": display_name(self.products, product) if product else "",
            "product_id": (parent or product)["id"] if product else 0,
            "variation_id": product["id"] if product and parent else 0,
            "quantity": wanted.quantity,
            "tax_class": "",
            "subtotal": total,
            "subtotal_tax": zero,
            "total": total,
            "total_tax": zero,
            "taxes": [],
            "meta_data": [],
            "sku": product["sku"] if product else None,
            "price": float(Decimal(money(Decimal(total) / wanted.quantity, self.decimals))),
            "image": {"id": "", "src": ""},
            "parent_name": parent["name"] if parent else None,
        }

    def update_order(self, order_id: int, **changes: Any) -> dict[str, Any]:
        """Change fields of an order (status, customer_note, meta_data…) as a save in the
        admin would: the modification time moves to now, at one-second resolution; meta is
        saved before the status moves, which adds its own system note (and, for an order
        placed through place_order, moves its stock as WooCommerce's status hooks do)."""
        moved: list[StockChange] = []
        with self.lock:
            order = self.orders[order_id]
            if "meta_data" in changes:
                self._save_meta(order, changes.pop("meta_data"))
            if "status" in changes:
                moved = self._reach_status(order, str(changes.pop("status")).removeprefix("wc-"))
            order.update(changes)
            order["date_modified_gmt"] = gmt(self.clock())
        self._emit_stock_changes(moved)
        self._emit("order.updated", order_id)
        return order

    def _reach_status(self, order: dict[str, Any], becomes: str) -> list[StockChange]:
        """WC_Order::status_transition: the new status's hooks run first (moving stock), then
        the status-change note is added; paid and completed dates are set on the way."""
        was = order["status"]
        moved = []
        if becomes != was:
            moved = self._move_stock(order, becomes)
            self.add_order_note(
                order["id"],
                f"Order status changed from {STATUS_NAMES.get(was, was)}"
                f" to {STATUS_NAMES.get(becomes, becomes)}.",
                customer_note=False,
                author="system",
            )
        becomes_paid = becomes == "completed" or (
            becomes == "processing" and order["payment_method"] != "cod"
        )
        if becomes_paid and not order["date_paid_gmt"]:
            order["date_paid_gmt"] = gmt(self.clock())
        if becomes == "completed":
            order["date_completed_gmt"] = gmt(self.clock())
        order["status"] = becomes
        return moved

    def _move_stock(self, order: dict[str, Any], becomes: str) -> list[StockChange]:
        """wc_maybe_reduce_stock_levels / wc_maybe_increase_stock_levels for a status reached,
        with their order notes; a product whose stock moved is saved (modified now)."""
        if "stock_reduced" not in order:
            return []
        if becomes in REDUCING_STATUSES and not order["stock_reduced"]:
            changes = reduce_stock(self.products, order, lambda: next(self._item_meta_ids))
            order["stock_reduced"], heading = True, "Stock levels reduced:"
        elif becomes in RESTORING_STATUSES and order["stock_reduced"]:
            changes = restore_stock(self.products, order)
            order["stock_reduced"], heading = False, "Stock levels increased:"
        else:
            return []
        if changes:
            self.add_order_note(
                order["id"],
                f"{heading} {', '.join(change.note for change in changes)}",
                customer_note=False,
                author="system",
            )
        for change in changes:
            self.products[change.product_id]["date_modified_gmt"] = gmt(self.clock())
        return changes

    def _emit_stock_changes(self, changes: list[StockChange]) -> None:
        """`wc_update_product_stock` saves the product, and a save fires `product.updated`
        (woocommerce_update_product / _variation): once per product moved."""
        for product_id in dict.fromkeys(change.product_id for change in changes):
            self._emit("product.updated", product_id)

    def _save_meta(self, order: dict[str, Any], entries: Any) -> None:
        """WooCommerce's REST meta update: an entry with an `id` replaces that meta, one
        without replaces the first meta of its key (or is added)."""
        meta = order.setdefault("meta_data", [])
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
                continue
            by_id = [m for m in meta if entry.get("id") and m["id"] == entry["id"]]
            by_key = [m for m in meta if m["key"] == entry["key"]]
            target = (by_id or by_key or [None])[0]
            if target is None:
                meta.append(
                    {"id": next(self._meta_ids), "key": entry["key"], "value": entry.get("value")}
                )
            else:
                target.update(key=entry["key"], value=entry.get("value"))

    def order_meta(self, order_id: int, key: str) -> Any:
        """The value of an order's meta, or None."""
        with self.lock:
            meta = self.orders[order_id].get("meta_data", [])
            return next((m["value"] for m in meta if m["key"] == key), None)

    def add_order_note(
        self, order_id: int, note: str, *, customer_note: bool, author: str = "WooCommerce"
    ) -> dict[str, Any]:
        """A note on the order (WooCommerce e-mails customer notes to the buyer)."""
        with self.lock:
            record = {
                "id": next(self._note_ids),
                "author": author,
                "date_created_gmt": gmt(self.clock()),
                "note": note,
                "customer_note": customer_note,
            }
            self.notes.setdefault(order_id, []).append(record)
            return record

    def order_notes(self, order_id: int) -> list[dict[str, Any]]:
        """The order's notes as WooCommerce lists them: newest first, by id within a second
        (as recorded in fulfilment_order_notes_list.json)."""
        with self.lock:
            notes = list(self.notes.get(order_id, []))
        notes.sort(key=lambda n: n["id"])
        return sorted(notes, key=lambda n: n["date_created_gmt"], reverse=True)

    def add_shipment_tracking(self, order_id: int, fields: dict[str, str]) -> dict[str, str]:
        """What the Shipment Tracking extension's route does: an item with its own id in the
        order's `_wc_shipment_tracking_items`, `date_shipped` kept as unix seconds."""
        with self.lock:
            shipped = fields.get("date_shipped") or self.clock().date().isoformat()
            moment = datetime.fromisoformat(shipped[:10]).replace(tzinfo=UTC)
            item = {
                "tracking_provider": fields.get("tracking_provider", ""),
                "custom_tracking_provider": fields.get("custom_tracking_provider", ""),
                "custom_tracking_link": fields.get("custom_tracking_link", ""),
                "tracking_number": fields.get("tracking_number", ""),
                "date_shipped": str(int(moment.timestamp())),
                "tracking_id": secrets.token_hex(16),
            }
            items = list(self.order_meta(order_id, TRACKING_META) or [])
            self.update_order(order_id, meta_data=[{"key": TRACKING_META, "value": [*items, item]}])
            return item

    def advance_orders(self, count: int) -> list[int]:
        """Move `count` open orders one step along (pending→processing→completed), as a
        busy store does between two syncs."""
        steps = {"pending": "processing", "on-hold": "processing", "processing": "completed"}
        with self.lock:
            candidates = [i for i, o in sorted(self.orders.items()) if o["status"] in steps]
            chosen = self.rng.sample(candidates, min(count, len(candidates)))
        for order_id in chosen:
            self.update_order(order_id, status=steps[self.orders[order_id]["status"]])
        return sorted(chosen)

    def trash_order(self, order_id: int) -> dict[str, Any]:
        """DELETE without force: the order goes to the trash and `order.deleted` fires."""
        with self.lock:
            order = self.orders[order_id]
            order["status"] = "trash"
            order["date_modified_gmt"] = gmt(self.clock())
            self.trashed_orders.add(order_id)
        self._emit("order.deleted", order_id)
        return order

    def delete_order(self, order_id: int) -> dict[str, Any]:
        """DELETE with force=true: gone from every listing, and no webhook fires (as seen on
        a real WooCommerce 10.0.2)."""
        with self.lock:
            self.trashed_orders.discard(order_id)
            return self.orders.pop(order_id)

    def order_json(self, order_id: int, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """An order as `GET orders/<id>` renders it."""
        with self.lock:
            return _only(order_document(self, self.orders[order_id]), fields)

    def list_orders(
        self,
        *,
        statuses: set[str] | None,
        modified_after: datetime | None,
        modified_before: datetime | None,
        created_after: datetime | None,
        created_before: datetime | None,
        include: set[int] | None,
        descending: bool,
        key: str,
    ) -> list[int]:
        """Order ids matching WooCommerce's list filters (comparisons are exclusive)."""
        with self.lock:
            chosen = []
            for order_id, order in self.orders.items():
                status = order["status"]
                if statuses is None and status in ("trash", "auto-draft"):
                    continue
                if statuses is not None and status not in statuses:
                    continue
                if include is not None and order_id not in include:
                    continue
                if _outside(order["date_modified_gmt"], modified_after, modified_before):
                    continue
                if _outside(order["date_created_gmt"], created_after, created_before):
                    continue
                chosen.append(order_id)
            sort_key = {
                "id": lambda i: i,
                "date": lambda i: (self.orders[i]["date_created_gmt"], i),
                "modified": lambda i: (self.orders[i]["date_modified_gmt"], i),
            }[key]
            return sorted(chosen, key=sort_key, reverse=descending)

    # Products ---------------------------------------------------------------------------

    def product_json(
        self, product_id: int, fields: Iterable[str] | None = None, *, edit: bool = False
    ) -> dict[str, Any]:
        """A product or variation as the API renders it; `edit` is the context batches answer
        in, which adds the slug templates of products."""
        with self.lock:
            product = self.products[product_id]
            document = product_document(self, product)
            if edit and product["type"] != "variation":
                document["generated_slug"] = slug(product["name"])
                document["permalink_template"] = f"{self.base_url}/product/%pagename%/"
            return _only(document, fields)

    def set_stock(
        self,
        product_id: int,
        quantity: int,
        manage_stock: bool = True,
        *,
        backorders: str | None = None,
    ) -> None:
        """Save a stock level (and the backorders setting when given; an unmanaged product's
        is "no", as validate_props makes it); WooCommerce fires `product.updated` on every
        product save."""
        if backorders is not None and backorders not in BACKORDER_SETTINGS:
            raise ValueError(f"backorders must be one of {BACKORDER_SETTINGS}")
        with self.lock:
            product = self.products[product_id]
            product["stock_quantity"] = quantity
            product["manage_stock"] = manage_stock
            if backorders is not None:
                product["backorders"] = backorders
            if not manage_stock:
                product["backorders"] = "no"
            product["date_modified_gmt"] = gmt(self.clock())
        self._emit("product.updated", product_id)

    # Webhooks ---------------------------------------------------------------------------

    def add_webhook(
        self, name: str, topic: str, delivery_url: str, secret: str, status: str = "active"
    ) -> WebhookRecord:
        """Create a webhook; without a secret WooCommerce generates one."""
        now = gmt(self.clock())
        with self.lock:
            record = WebhookRecord(
                id=next(self._webhook_ids),
                name=name or f"Webhook created on {now}",
                topic=topic,
                delivery_url=delivery_url,
                secret=secret or secrets.token_urlsafe(32),
                status=status,
                created=now,
                modified=now,
            )
            self.webhooks[record.id] = record
        return record

    def webhook_json(self, record: WebhookRecord) -> dict[str, Any]:
        """A webhook as `GET webhooks` renders it (the secret is never shown)."""
        resource, _, event = record.topic.partition(".")
        return {
            "id": record.id,
            "name": record.name,
            "status": record.status,
            "topic": record.topic,
            "resource": resource,
            "event": event,
            "hooks": TOPIC_HOOKS.get(record.topic, []),
            "delivery_url": record.delivery_url,
            "date_created": record.created,
            "date_created_gmt": record.created,
            "date_modified": record.modified,
            "date_modified_gmt": record.modified,
            "_links": {
                "self": [
                    {
                        "href": f"{self.api_url}/webhooks/{record.id}",
                        "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                    }
                ],
                "collection": [{"href": f"{self.api_url}/webhooks"}],
            },
        }

    def signing_secret(self, record: WebhookRecord) -> str:
        """The key WooCommerce signs with: the stored secret, HTML-entity-decoded
        (`wp_specialchars_decode( $secret, ENT_QUOTES )` in class-wc-webhook.php)."""
        return html.unescape(record.secret)

    # Customers --------------------------------------------------------------------------

    def upsert_customer(self, customer_id: int, **fields: Any) -> dict[str, Any]:
        """Create or change a customer and fire the matching webhook."""
        with self.lock:
            created = customer_id not in self.customers
            now = gmt(self.clock())
            customer = self.customers.setdefault(
                customer_id,
                {
                    "id": customer_id,
                    "date_created": now,
                    "date_created_gmt": now,
                    "email": f"customer{customer_id}@example.com",
                    "first_name": "",
                    "last_name": "",
                    "role": "customer",
                    "username": f"customer{customer_id}",
                    "billing": {},
                    "shipping": {},
                    "is_paying_customer": False,
                    "avatar_url": "",
                    "meta_data": [],
                },
            )
            customer.update(fields)
            customer["date_modified"] = customer["date_modified_gmt"] = now
        self._emit("customer.created" if created else "customer.updated", customer_id)
        return customer

    # Representations --------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/wp-json/wc/v3"

    def payload(self, resource: str, resource_id: int) -> dict[str, Any] | None:
        """What a webhook delivery for this resource carries, built at send time."""
        with self.lock:
            if resource == "order" and resource_id in self.orders:
                return self.order_json(resource_id)
            if resource == "product" and resource_id in self.products:
                return self.product_json(resource_id)
            if resource == "customer" and resource_id in self.customers:
                return dict(self.customers[resource_id])
            return None

    def _emit(self, topic: str, resource_id: int) -> None:
        for listener in list(self.listeners):
            listener(topic, resource_id)


def _only(document: dict[str, Any], fields: Iterable[str] | None) -> dict[str, Any]:
    """WordPress's `_fields`: keep the named top-level fields (and `a.b` nested ones)."""
    if fields is None:
        return document
    wanted = [field for field in fields if field]
    kept: dict[str, Any] = {}
    for field in wanted:
        top, _, nested = field.partition(".")
        if top not in document:
            continue
        if nested and isinstance(document[top], dict):
            kept.setdefault(top, {})
            if isinstance(kept[top], dict) and nested in document[top]:
                kept[top][nested] = document[top][nested]
        else:
            kept[top] = document[top]
    return kept


def _address(fields: tuple[str, ...], given: dict[str, str]) -> dict[str, str]:
    """An address with every field WooCommerce renders, empty unless given."""
    return {name: str(given.get(name, "")) for name in fields}


def _outside(stamp: str, after: datetime | None, before: datetime | None) -> bool:
    """True when the GMT stamp is not strictly between the bounds given (WooCommerce's
    `after`/`before` filters exclude the bounds). The stamp is parsed only when a bound is
    given, so a plain listing of a big store stays a cheap scan."""
    if after is None and before is None:
        return False
    moment = _moment(stamp)
    return (after is not None and not moment > after) or (
        before is not None and not moment < before
    )


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
