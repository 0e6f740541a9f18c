"""Fulfilments: Shipcrowd shipped (part of) an order, and the store is to show it.

At the store a fulfilment becomes what the WooCommerce Shipment Tracking extension keeps (the
order meta `_wc_shipment_tracking_items`, which themes, e-mails and tracking plugins read), a
note to the customer, and the status `completed` once every line has shipped. WooCommerce does
not guard status moves (recorded: a cancelled order is completed when asked,
recorded/woocommerce-10.0.2/fulfilment_cancelled_order_put_completed.json), so the rules here
do: an order that ended without shipping is never fulfilled.
"""

import enum
import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final, NewType

import attrs

from shipcrowd_woo.domain.errors import DomainError, ValidationFailed
from shipcrowd_woo.domain.ids import CompanyId, JobId, StoreId
from shipcrowd_woo.domain.inventory import DEFAULT_WAREHOUSE, clean_warehouse
from shipcrowd_woo.domain.order import Order, OrderKey

FulfilmentId = NewType("FulfilmentId", str)

# Order statuses a shipment cannot follow: the order ended without being shipped (or is in
# the trash). WooCommerce's own statuses; `checkout-draft` was never placed.
UNSHIPPABLE: Final = frozenset({"cancelled", "refunded", "failed", "trash", "checkout-draft"})
COMPLETED: Final = "completed"
MAX_CARRIER_LENGTH: Final = 100
MAX_TRACKING_NUMBER_LENGTH: Final = 100
MAX_TRACKING_URL_LENGTH: Final = 2048
MAX_CLIENT_ID_LENGTH: Final = 100
# The extension's meta key; core WooCommerce stores and returns it as sent (recorded).
TRACKING_META_KEY: Final = "_wc_shipment_tracking_items"
# The namespace the extension's REST index entry adds (woocommerce.com's Shipment Tracking
# REST API docs); its route is {namespace}/orders/{id}/shipment-trackings.
TRACKING_NAMESPACE: Final = "wc-shipment-tracking/v3"
# How a fulfilment key named by the client's own id begins.
CLIENT_KEY: Final = "id:"


class FulfilmentState(enum.Enum):
    """Where a fulfilment stands at the store."""

    PENDING = "pending"
    DELIVERED = "delivered"
    REFUSED = "refused"
    FAILED = "failed"


class OrderNotShippable(DomainError):
    """The order ended without shipping (cancelled, refunded, failed, trashed): a fulfilment
    would move it backwards."""

    def __init__(self, order_id: int, status: str) -> None:
        super().__init__(f"order {order_id} is {status}: it cannot be fulfilled")
        self.order_id = order_id
        self.status = status


@attrs.frozen
class ShippedLine:
    """How many units of one order line (WooCommerce's line item id) a fulfilment ships."""

    line_id: int
    quantity: int


@attrs.frozen
class FulfilmentRequest:
    """What Shipcrowd tells about a shipment. `lines` None ships every line's remainder;
    `client_id` names the fulfilment for idempotency (else carrier + tracking number do)."""

    carrier: str
    tracking_number: str
    tracking_url: str = ""
    shipped_at: datetime | None = None
    lines: tuple[ShippedLine, ...] | None = None
    client_id: str | None = None
    # Which warehouse shipped it (its stock goes down); None: the default one.
    warehouse: str | None = None


@attrs.frozen
class TrackingItem:
    """One entry of `_wc_shipment_tracking_items`, with the extension's field names.
    `date_shipped` is unix seconds as text; `tracking_provider` is one of the extension's
    slugs or empty, with `custom_tracking_provider` naming the carrier."""

    tracking_provider: str = ""
    custom_tracking_provider: str = ""
    custom_tracking_link: str = ""
    tracking_number: str = ""
    date_shipped: str = ""
    tracking_id: str = ""

    @property
    def carrier(self) -> str:
        """The carrier's name as shown."""
        return self.custom_tracking_provider or self.tracking_provider


@attrs.frozen
class OrderNote:
    """A note on an order; customer notes are e-mailed to the buyer by WooCommerce."""

    id: int
    note: str
    customer_note: bool


@attrs.frozen
class TrackedOrder:
    """An order's status and shipment tracking as the store holds them now."""

    order_id: int
    status: str
    tracking: tuple[TrackingItem, ...] = ()


@attrs.frozen
class Fulfilment:
    """A shipment of one order, as accepted and as delivered to the store so far.

    Delivery is resumable: `tracking_written` and `note_id` record the steps done, and
    `note_started` is written before the note is sent, so a run that died between sending it
    and recording it looks for the note at the store instead of writing a second one.
    """

    id: FulfilmentId
    company_id: CompanyId
    store_id: StoreId
    order_id: int
    key: str
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime
    lines: tuple[ShippedLine, ...]
    # Every line of the order has shipped once this one has.
    completes_order: bool
    created_at: datetime
    job_id: JobId
    state: FulfilmentState = FulfilmentState.PENDING
    tracking_written: bool = False
    note_started: bool = False
    note_id: int | None = None
    status_completed: bool = False
    finished_at: datetime | None = None
    error: str | None = None
    warehouse: str = DEFAULT_WAREHOUSE

    @property
    def is_final(self) -> bool:
        """Delivered or refused: nothing more will happen to it."""
        return self.state in (FulfilmentState.DELIVERED, FulfilmentState.REFUSED)


def fulfilment_key(request: FulfilmentRequest) -> str:
    """What makes two requests the same fulfilment: the client's id, or else the carrier and
    tracking number compared as people write them (case and spacing aside)."""
    if request.client_id:
        return f"{CLIENT_KEY}{request.client_id}"
    carrier = " ".join(unicodedata.normalize("NFKC", request.carrier).casefold().split())
    number = "".join(unicodedata.normalize("NFKC", request.tracking_number).upper().split())
    return f"tracking:{carrier}:{number}"


def tracking_id_of(key: str) -> str:
    """The `tracking_id` we give our item: derived from the fulfilment's key, so the same
    fulfilment always finds its own item (32 hex digits, as the extension's ids)."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def validate_request(request: FulfilmentRequest) -> None:
    """Every problem of the request's own fields at once (ValidationFailed)."""
    problems: dict[str, str] = {}
    for name, value, limit in (
        ("carrier", request.carrier, MAX_CARRIER_LENGTH),
        ("tracking_number", request.tracking_number, MAX_TRACKING_NUMBER_LENGTH),
    ):
        if not value.strip():
            problems[name] = "is required"
        elif len(value) > limit:
            problems[name] = f"at most {limit} characters"
        elif any(unicodedata.category(char) == "Cc" for char in value):
            problems[name] = "contains control characters"
    url = request.tracking_url
    if url and (
        len(url) > MAX_TRACKING_URL_LENGTH
        or not url.lower().startswith(("https://", "http://"))
        or any(char.isspace() or unicodedata.category(char) == "Cc" for char in url)
    ):
        problems["tracking_url"] = "must be an http(s) URL without spaces"
    if request.client_id is not None and not 0 < len(request.client_id) <= MAX_CLIENT_ID_LENGTH:
        problems["fulfillment_id"] = f"between 1 and {MAX_CLIENT_ID_LENGTH} characters"
    if request.shipped_at is not None and request.shipped_at.tzinfo is None:
        problems["shipped_at"] = "needs a time zone offset"
    if request.warehouse is not None:
        try:
            clean_warehouse(request.warehouse)
        except ValueError as refused:
            problems["warehouse"] = str(refused)
    if request.lines is not None:
        if not request.lines:
            problems["lines"] = "leave it out to ship every line; an empty list ships nothing"
        seen: set[int] = set()
        for index, line in enumerate(request.lines):
            if line.quantity < 1:
                problems[f"lines[{index}].quantity"] = "must be at least 1"
            if line.line_id in seen:
                problems[f"lines[{index}].line_id"] = "names a line already listed"
            seen.add(line.line_id)
    if problems:
        raise ValidationFailed(problems)


def ensure_shippable(order_id: int, woo_status: str) -> None:
    """Refuse an order that ended without shipping (OrderNotShippable)."""
    status = woo_status.removeprefix("wc-")
    if status in UNSHIPPABLE:
        raise OrderNotShippable(order_id, status)


def shipped_so_far(earlier: Iterable[Fulfilment]) -> Counter[int]:
    """Units shipped of each line by the order's fulfilments (refused ones shipped nothing)."""
    shipped: Counter[int] = Counter()
    for fulfilment in earlier:
        if fulfilment.state is not FulfilmentState.REFUSED:
            for line in fulfilment.lines:
                shipped[line.line_id] += line.quantity
    return shipped


@attrs.frozen
class ShipmentPlan:
    """The lines a new fulfilment ships, and whether the order is then fully shipped."""

    lines: tuple[ShippedLine, ...]
    completes_order: bool


def plan_shipment(
    order: Order, earlier: Sequence[Fulfilment], request: FulfilmentRequest
) -> ShipmentPlan:
    """The lines shipped: those asked for (each within what is left of its line), or every
    line's remainder. ValidationFailed names each line asked for that the order lacks or
    that asks for more than is left; OrderNotShippable refuses an order that ended."""
    ensure_shippable(order.key.source_id, order.woo_status)
    if order.deleted_at_store is not None:
        raise OrderNotShippable(order.key.source_id, "trash")
    ordered = {line.woo_line_id: line.quantity for line in order.lines if line.woo_line_id}
    shipped = shipped_so_far(earlier)
    left = {line_id: max(0, quantity - shipped[line_id]) for line_id, quantity in ordered.items()}
    if request.lines is None:
        lines = tuple(ShippedLine(i, n) for i, n in sorted(left.items()) if n > 0)
    else:
        problems: dict[str, str] = {}
        for index, line in enumerate(request.lines):
            if line.line_id not in ordered:
                problems[f"lines[{index}].line_id"] = (
                    f"order {order.key.source_id} has no line {line.line_id}"
                )
            elif line.quantity > left[line.line_id]:
                problems[f"lines[{index}].quantity"] = (
                    f"only {left[line.line_id]} of line {line.line_id} left to ship"
                )
        if problems:
            raise ValidationFailed(problems)
        lines = request.lines
    after = Counter({line.line_id: line.quantity for line in lines})
    completes = all(shipped[i] + after[i] >= n for i, n in ordered.items())
    return ShipmentPlan(lines, completes)


def accepted(
    fulfilment_id: FulfilmentId,
    order: OrderKey,
    request: FulfilmentRequest,
    plan: ShipmentPlan,
    job_id: JobId,
    now: datetime,
) -> Fulfilment:
    """The fulfilment a checked request becomes: its carrier and number trimmed, shipped now
    unless it says when, the planned lines, delivered by the job `job_id`."""
    return Fulfilment(
        id=fulfilment_id,
        company_id=order.company_id,
        store_id=order.store_id,
        order_id=order.source_id,
        key=fulfilment_key(request),
        carrier=request.carrier.strip(),
        tracking_number=request.tracking_number.strip(),
        tracking_url=request.tracking_url,
        shipped_at=request.shipped_at or now,
        lines=plan.lines,
        completes_order=plan.completes_order,
        created_at=now,
        job_id=job_id,
        warehouse=DEFAULT_WAREHOUSE
        if request.warehouse is None
        else clean_warehouse(request.warehouse),
    )


def tracking_item(fulfilment: Fulfilment) -> TrackingItem:
    """Our entry in the order's tracking list."""
    return TrackingItem(
        tracking_provider="",
        custom_tracking_provider=fulfilment.carrier,
        custom_tracking_link=fulfilment.tracking_url,
        tracking_number=fulfilment.tracking_number,
        date_shipped=str(int(fulfilment.shipped_at.timestamp())),
        tracking_id=tracking_id_of(fulfilment.key),
    )


def is_same_shipment(existing: TrackingItem, ours: TrackingItem) -> bool:
    """An item already there is ours: our tracking id, or (written through the extension's
    route, which picks its own ids) the same number with the same carrier."""
    if existing.tracking_id and existing.tracking_id == ours.tracking_id:
        return True
    return (
        existing.tracking_number.strip().upper() == ours.tracking_number.strip().upper()
        and existing.carrier.strip().casefold() == ours.carrier.strip().casefold()
    )


def with_tracking(
    existing: Sequence[TrackingItem], ours: TrackingItem
) -> tuple[TrackingItem, ...] | None:
    """The order's tracking list with our item added after every other shipment's, or None
    when it is already there (a fulfilment sent twice adds one item)."""
    if any(is_same_shipment(item, ours) for item in existing):
        return None
    return (*existing, ours)


def customer_message(fulfilment: Fulfilment) -> str:
    """The note the customer receives (as in the recorded note: carrier, number, link)."""
    opening = (
        "Your order has shipped" if fulfilment.completes_order else "Part of your order has shipped"
    )
    text = f"{opening} with {fulfilment.carrier}. Tracking number {fulfilment.tracking_number}"
    return f"{text}: {fulfilment.tracking_url}" if fulfilment.tracking_url else f"{text}."


def find_note(notes: Iterable[OrderNote], fulfilment: Fulfilment) -> OrderNote | None:
    """The note a run that died before recording it already wrote."""
    message = customer_message(fulfilment)
    return next((note for note in notes if note.note.strip() == message), None)


def status_to_set(fulfilment: Fulfilment, woo_status: str, complete_on_ship: bool) -> str | None:
    """`completed` when this fulfilment ships the last lines and the store wants it, unless
    the order already is."""
    if not (fulfilment.completes_order and complete_on_ship):
        return None
    return None if woo_status.removeprefix("wc-") == COMPLETED else COMPLETED


def delivered(fulfilment: Fulfilment, at: datetime) -> Fulfilment:
    """Every step done at the store."""
    return attrs.evolve(fulfilment, state=FulfilmentState.DELIVERED, finished_at=at, error=None)


def refused(fulfilment: Fulfilment, at: datetime, reason: str) -> Fulfilment:
    """The store's order turned out unshippable: nothing was written there."""
    return attrs.evolve(fulfilment, state=FulfilmentState.REFUSED, finished_at=at, error=reason)


def failed(fulfilment: Fulfilment, at: datetime, reason: str) -> Fulfilment:
    """Delivery gave up (its job ran out of attempts); sending it again resumes it."""
    return attrs.evolve(fulfilment, state=FulfilmentState.FAILED, finished_at=at, error=reason)


def resent(fulfilment: Fulfilment, job_id: JobId) -> Fulfilment:
    """A failed fulfilment sent again: pending under a new job, the steps done kept."""
    return attrs.evolve(
        fulfilment, state=FulfilmentState.PENDING, job_id=job_id, finished_at=None, error=None
    )
