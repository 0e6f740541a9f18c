"""Request bodies and query strings, validated by structuring them (strictly) into attrs
types with cattrs: wrong types, unknown fields and missing fields are each reported with
their path, all at once."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.fulfilment import (
    MAX_CARRIER_LENGTH,
    MAX_CLIENT_ID_LENGTH,
    MAX_TRACKING_NUMBER_LENGTH,
    MAX_TRACKING_URL_LENGTH,
    FulfilmentRequest,
    ShippedLine,
)
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.json_text import JsonRefused, parse_json
from shipcrowd_woo.domain.mapping_rules import StockDirection
from shipcrowd_woo.domain.store_settings import (
    MAX_INTERVAL_MINUTES,
    MAX_OVERLAP_MINUTES,
    MIN_INTERVAL_MINUTES,
    SettingsChange,
)
from shipcrowd_woo.domain.text import storable
from shipcrowd_woo.entrypoints.api.problems import ApiProblem, invalid
from shipcrowd_woo.entrypoints.api.schemas import SCHEMA

T = TypeVar("T")
MAX_TEXT = 2048
MAX_SKUS = 10_000


@attrs.frozen
class InstallRequest:
    """POST /install."""

    store_url: str
    consumer_key: str
    consumer_secret: str
    name: str = ""


@attrs.frozen
class CredentialsRequest:
    """PUT /stores/<id>/credentials."""

    consumer_key: str
    consumer_secret: str


# A stock limit as sent: units, a percentage (buffers only) or "none".
LIMIT_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "examples": ["5", "10%", "none"]},
    ]
}


@attrs.frozen
class OrderSyncSettings:
    """The order import settings a PATCH may change."""

    enabled: bool | None = None
    auto_sync: bool | None = None
    interval_minutes: int | None = attrs.field(
        default=None,
        metadata={SCHEMA: {"minimum": MIN_INTERVAL_MINUTES, "maximum": MAX_INTERVAL_MINUTES}},
    )
    overlap_minutes: int | None = attrs.field(
        default=None, metadata={SCHEMA: {"minimum": 0, "maximum": MAX_OVERLAP_MINUTES}}
    )


@attrs.frozen
class InventorySyncSettings:
    """The stock push settings a PATCH may change. The limits on what the store is offered
    are units (5) or, for the buffer, a percentage ("10%"); "none" takes one away. The
    domain reads them (domain/availability.py), naming every bad one."""

    enabled: bool | None = None
    auto_sync: bool | None = None
    buffer: Any = attrs.field(default=None, metadata={SCHEMA: LIMIT_SCHEMA})
    floor: Any = attrs.field(default=None, metadata={SCHEMA: LIMIT_SCHEMA})
    maximum: Any = attrs.field(default=None, metadata={SCHEMA: LIMIT_SCHEMA})
    # The warehouses whose stock the store is offered; [] for every one.
    warehouses: list[str] | None = None


@attrs.frozen
class FulfilmentSettings:
    """The fulfilment settings a PATCH may change."""

    complete_on_ship: bool | None = None
    notify_customer: bool | None = None


@attrs.frozen
class ShippingSettings:
    """When the store's orders ship: `statuses` maps a WooCommerce status (an extension's
    too) to ship, hold, cancel or ignore ("default" gives it back its default rule)."""

    statuses: dict[str, str] | None = None
    ship_pending_cash_on_delivery: bool | None = None


@attrs.frozen
class SettingsRequest:
    """PATCH /stores/<id>/settings: what is named changes, the rest stays."""

    order_sync: OrderSyncSettings = OrderSyncSettings()
    inventory_sync: InventorySyncSettings = InventorySyncSettings()
    fulfilment: FulfilmentSettings = FulfilmentSettings()
    shipping: ShippingSettings = ShippingSettings()

    def change(self) -> SettingsChange:
        """The change the request asks for: each section's field is the change's
        `<section>_<field>`."""
        return SettingsChange(
            **{
                f"{section}_{name}": value
                for section, part in attrs.asdict(self, recurse=False).items()
                for name, value in attrs.asdict(part).items()
            }
        )


@attrs.frozen
class SyncOrdersRequest:
    """POST /stores/<id>/sync/orders."""

    mode: SyncMode = SyncMode.INCREMENTAL
    order_id: int | None = None


@attrs.frozen
class InventoryRequest:
    """POST /stores/<id>/sync/inventory: all mapped SKUs, or these."""

    skus: list[str] = attrs.Factory(list)


@attrs.frozen
class LineRequest:
    """One line of a fulfilment: WooCommerce's line item id and the units shipped."""

    line_id: int
    quantity: int = attrs.field(metadata={SCHEMA: {"minimum": 1}})


@attrs.frozen
class FulfilmentBody:
    """POST /stores/<id>/orders/<order_id>/fulfillments."""

    carrier: str = attrs.field(metadata={SCHEMA: {"minLength": 1, "maxLength": MAX_CARRIER_LENGTH}})
    tracking_number: str = attrs.field(
        metadata={SCHEMA: {"minLength": 1, "maxLength": MAX_TRACKING_NUMBER_LENGTH}}
    )
    tracking_url: str = attrs.field(
        default="", metadata={SCHEMA: {"maxLength": MAX_TRACKING_URL_LENGTH}}
    )
    shipped_at: str | None = attrs.field(default=None, metadata={SCHEMA: {"format": "date-time"}})
    lines: list[LineRequest] | None = attrs.field(default=None, metadata={SCHEMA: {"minItems": 1}})
    fulfillment_id: str | None = attrs.field(
        default=None, metadata={SCHEMA: {"minLength": 1, "maxLength": MAX_CLIENT_ID_LENGTH}}
    )
    # The warehouse that shipped it (its stock goes down); absent: the default one.
    warehouse: str | None = attrs.field(default=None, metadata={SCHEMA: {"maxLength": 64}})

    def request(self) -> FulfilmentRequest:
        """The use case's input; a `shipped_at` that is no ISO 8601 time is a bad field."""
        shipped_at = None
        if self.shipped_at is not None:
            try:
                shipped_at = datetime.fromisoformat(self.shipped_at)
            except ValueError:
                raise ValidationFailed(
                    {"shipped_at": "must be an ISO 8601 time with its offset"}
                ) from None
        return FulfilmentRequest(
            carrier=self.carrier,
            tracking_number=self.tracking_number,
            tracking_url=self.tracking_url,
            shipped_at=shipped_at,
            lines=None
            if self.lines is None
            else tuple(ShippedLine(line.line_id, line.quantity) for line in self.lines),
            client_id=self.fulfillment_id,
            warehouse=self.warehouse,
        )


@attrs.frozen
class MappingRequest:
    """POST /stores/<id>/mappings."""

    woo_product_id: int
    shipcrowd_sku: str
    woo_variation_id: int | None = None
    shipcrowd_product_name: str = ""
    sync_inventory: bool = True
    woo_sku: str = ""
    woo_title: str = ""


@attrs.frozen
class SubscriptionRequest:
    """POST /subscriptions: where to push which events (empty lists: all), from which
    sequence number (absent: events after now; 0: every event kept)."""

    url: str = attrs.field(metadata={SCHEMA: {"maxLength": MAX_TEXT}})
    event_types: tuple[str, ...] = ()
    store_ids: tuple[str, ...] = ()
    after: int | None = attrs.field(default=None, metadata={SCHEMA: {"minimum": 0}})


@attrs.frozen
class MappingStockRequest:
    """PATCH /mappings/<id>/stock: the mapping's own limits, as the store settings take
    them; "none" gives a limit back to the store's."""

    buffer: Any = attrs.field(default=None, metadata={SCHEMA: LIMIT_SCHEMA})
    floor: Any = attrs.field(default=None, metadata={SCHEMA: LIMIT_SCHEMA})
    maximum: Any = attrs.field(default=None, metadata={SCHEMA: LIMIT_SCHEMA})
    # warehouse_to_store (the default), store_to_warehouse (the store counts it) or off.
    direction: StockDirection | None = None


@attrs.frozen
class ToggleRequest:
    """POST /mappings/<id>/toggle."""

    active: bool


@attrs.frozen
class StockItem:
    """One warehouse SKU's stock."""

    sku: str
    quantity: int
    name: str = ""
    # Which warehouse holds it; absent: the default one.
    warehouse: str | None = None


@attrs.frozen
class StockRequest:
    """PUT /stock."""

    items: list[StockItem]


def _strict(kind: type, check: Callable[[Any], bool], expected: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if not check(value):
            raise TypeError(f"must be {expected}")
        return value

    return structure


def _text(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("must be text")
    if storable(value) != value:
        raise ValueError("must be Unicode text without lone surrogates or NUL characters")
    if len(value) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    return value


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _text)
    converter.register_structure_hook(
        int,
        _strict(
            int,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) < v < 2**63,
            "a whole number",
        ),
    )
    converter.register_structure_hook(
        bool, _strict(bool, lambda v: isinstance(v, bool), "true or false")
    )
    # cattrs makes a list of any iterable: "ABC" became ["A", "B", "C"] and {"X": 1} became
    # ["X"]. A list field takes a JSON array and nothing else.
    converter.register_structure_hook_factory(_is_list, lambda kind: _only_arrays(kind, converter))
    return converter


def _is_list(kind: Any) -> bool:
    origin: object = get_origin(kind)
    return origin is list


def _only_arrays(kind: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    elements = list_structure_factory(kind, converter)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, list):
            raise TypeError("must be a list")
        return elements(value, kind)

    return structure


_CONVERTER = _converter()


def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, or a 413 problem when it is longer than `max_bytes` — whether declared
    by Content-Length or found while reading a chunked stream."""
    too_large = ApiProblem(
        413, "payload-too-large", "The request body is too large", f"at most {max_bytes} bytes"
    )
    # A stream stopped at the limit reads as complete: allow one byte more to tell.
    request.max_content_length = max_bytes + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(raw) > max_bytes:
        raise too_large
    return raw


def parse_body(request: Request, kind: type[T], max_bytes: int) -> T:
    """The JSON body as `kind`, or a 400/413/415/422 problem."""
    raw = read_body(request, max_bytes)
    if not raw.strip():
        data: Any = {}
    else:
        if not request.is_json:
            raise ApiProblem(
                415, "unsupported-media-type", "Unsupported media type", "send application/json"
            )
        try:
            data = parse_json(raw)
        except JsonRefused as refused:
            raise ApiProblem(400, "bad-request", "Bad request", f"the body is {refused}") from None
    return structure(data, kind)


def structure(data: Any, kind: type[T]) -> T:
    """Structure, or a 422 listing every problem with its field path."""
    if not isinstance(data, dict):
        raise invalid([{"field": "", "message": "the body must be a JSON object"}])
    try:
        return _CONVERTER.structure(data, kind)
    except Exception as error:  # every structuring failure is the client's
        raise invalid(_errors(error)) from None


def _errors(error: BaseException) -> list[dict[str, str]]:
    found = []
    for line in cattrs.transform_error(error, path="$", format_exception=_message):
        message, _, path = line.rpartition(" @ ")
        found.append({"field": path.removeprefix("$").removeprefix("."), "message": message})
    return found


def _message(error: BaseException, _: Any) -> str:
    if isinstance(error, KeyError):
        return "is required"
    if isinstance(error, ForbiddenExtraKeysError):
        return f"unknown field(s): {', '.join(sorted(error.extra_fields))}"
    if isinstance(error, ValueError) and isinstance(error.__context__, KeyError):
        return "is required"
    if isinstance(error, ValueError | TypeError) and error.args:
        return str(error.args[0])
    return "is not valid"


def query_int(
    args: Mapping[str, str],
    name: str,
    default: int,
    low: int,
    high: int,
    errors: list[dict[str, str]],
) -> int:
    """An integer query parameter within bounds, else an error recorded."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.lstrip("-").isdecimal() or len(raw) > 12 or not low <= int(raw) <= high:
        errors.append({"field": name, "message": f"must be a whole number from {low} to {high}"})
        return default
    return int(raw)


def query_bool(args: Mapping[str, str], name: str, errors: list[dict[str, str]]) -> bool | None:
    """An optional true/false query parameter."""
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    errors.append({"field": name, "message": "must be true or false"})
    return None
