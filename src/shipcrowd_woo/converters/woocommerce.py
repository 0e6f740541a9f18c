"""Tolerant structuring of WooCommerce REST v3 JSON into the domain's `Woo*` types.

Real stores omit fields, add many, send `null` for text and PHP's `[]` for an empty object;
none of that is an error. A value of an impossible type (a list where an amount belongs) is,
and every such value is reported with its JSON path, not just the first.
"""

import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn

from shipcrowd_woo.domain.fulfilment import TRACKING_META_KEY, OrderNote, TrackedOrder, TrackingItem
from shipcrowd_woo.domain.ids import LARGEST_WOO_ID
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.rejections import Problem, Rejection
from shipcrowd_woo.domain.text import storable
from shipcrowd_woo.domain.transform import TransformContext, transform_order
from shipcrowd_woo.domain.woo_catalog import SystemStatus, WooCustomer, WooDeleted, WooProduct
from shipcrowd_woo.domain.woo_order import WooOrder

T = TypeVar("T")

_TRUE_WORDS = frozenset({"true", "yes", "1"})
_FALSE_WORDS = frozenset({"false", "no", "0", ""})


def _text(value: object, _: type) -> str:
    if type(value) is str and value.isascii() and "\x00" not in value:
        return value  # most of a store's text, as storable() would return it: spared the call
    if isinstance(value, str):
        return storable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError(f"expected text, got {str(value).lower()}")
    if isinstance(value, int | float | Decimal):
        return str(value)
    raise TypeError(f"expected text, got {_kind(value)}")


def _integer(value: object, _: type) -> int:
    if isinstance(value, bool):
        raise TypeError(f"expected a whole number, got {str(value).lower()}")
    number: int
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        number = int(value.strip())
    elif isinstance(value, float | Decimal) and value == int(value):
        number = int(value)
    else:
        raise ValueError(f"expected a whole number, got {_kind(value)}")
    if abs(number) > LARGEST_WOO_ID:
        raise ValueError(f"{number} is out of range")
    return number


def _boolean(value: object, _: type) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
        return value.strip().lower() in _TRUE_WORDS
    raise ValueError(f"expected true or false, got {_kind(value)}")


def _optional(hook: Callable[[object, type], T]) -> Callable[[object, type], T | None]:
    def structure(value: object, type_: type) -> T | None:
        return None if value is None else hook(value, type_)

    return structure


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and value != value:
        return "NaN"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _is_homogeneous_tuple(type_: Any) -> bool:
    args = get_args(type_)
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_hook_factory(
    converter: cattrs.Converter,
) -> Callable[[Any], Callable[[object, type], tuple[Any, ...]]]:
    def factory(type_: Any) -> Callable[[object, type], tuple[Any, ...]]:
        element_type = get_args(type_)[0]
        # Looked up once: a dispatch per element was a fifth of structuring an order.
        element_hook = converter.get_structure_hook(element_type)

        def structure(value: object, _: type) -> tuple[Any, ...]:
            if value is None:
                return ()
            if not isinstance(value, list | tuple):
                raise TypeError(f"expected a list, got {_kind(value)}")
            items, errors = [], []
            for index, element in enumerate(value):
                try:
                    items.append(element_hook(element, element_type))
                except Exception as error:  # gathered, then raised as one group
                    error.__notes__ = [
                        *getattr(error, "__notes__", []),
                        IterableValidationNote(f"@ index {index}", index, element_type),
                    ]
                    errors.append(error)
            if errors:
                raise IterableValidationError("invalid list items", errors, type_)
            return tuple(items)

        return structure

    return factory


def _object_hook_factory(
    converter: cattrs.Converter,
) -> Callable[[Any], Callable[[object, type], Any]]:
    def factory(type_: Any) -> Callable[[object, type], Any]:
        structure_fields = make_dict_structure_fn(type_, converter)

        def structure(value: object, cls: type) -> Any:
            # PHP's json_encode writes an empty associative array as [].
            if value is None or value == []:
                value = {}
            if not isinstance(value, dict):
                raise TypeError(f"expected an object, got {_kind(value)}")
            return structure_fields(value, cls)

        return structure

    return factory


@functools.cache
def woocommerce_converter() -> cattrs.Converter:
    """The converter for WooCommerce payloads (built once; converters are thread-safe)."""
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_structure_hook(str, _text)
    converter.register_structure_hook(int, _integer)
    converter.register_structure_hook(bool, _boolean)
    # Optional text and ids are most of an order's fields: hooks of their own spare cattrs'
    # generic optional hook a dispatch for each of them.
    converter.register_structure_hook(str | None, _optional(_text))
    converter.register_structure_hook(int | None, _optional(_integer))
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_hook_factory(converter))
    converter.register_structure_hook_factory(attrs.has, _object_hook_factory(converter))
    return converter


def structure(payload: object, type_: type[T]) -> T | tuple[Problem, ...]:
    """Structure a decoded JSON value as `type_`, or return every problem found in it."""
    try:
        return woocommerce_converter().structure(payload, type_)
    except Exception as error:  # any structuring failure is a problem
        return tuple(_problems(error))


def parse_order(payload: object) -> WooOrder | Rejection:
    """Structure a decoded order document, or reject it with every problem found."""
    if not isinstance(payload, dict):
        return Rejection((Problem("", f"an order is a JSON object, not {_kind(payload)}"),))
    result = structure(payload, WooOrder)
    if isinstance(result, WooOrder):
        return result
    return Rejection(result, source_id=_claimed_id(payload))


def order_from_json(payload: object, context: TransformContext) -> Order | Rejection:
    """Decoded JSON -> Shipcrowd order, or a rejection. Total: any value gives one of the two."""
    woo = parse_order(payload)
    if isinstance(woo, Rejection):
        return woo
    return transform_order(woo, context)


def parse_product(payload: object) -> WooProduct | tuple[Problem, ...]:
    """Structure a product or variation; `manage_stock: "parent"` (variations that take the
    parent's stock) becomes `stock_managed_by_parent`."""
    if isinstance(payload, dict) and payload.get("manage_stock") == "parent":
        payload = {**payload, "manage_stock": False, "stock_managed_by_parent": True}
    return structure(payload, WooProduct)


def parse_customer(payload: object) -> WooCustomer | tuple[Problem, ...]:
    """Structure a customer of a `customer.*` delivery."""
    return structure(payload, WooCustomer)


def parse_deleted(payload: object) -> WooDeleted | tuple[Problem, ...]:
    """Structure the `{"id": N}` of a `*.deleted` delivery."""
    return structure(payload, WooDeleted)


def parse_tracked_order(payload: object) -> TrackedOrder | tuple[Problem, ...]:
    """An order's id, status and the entries of its `_wc_shipment_tracking_items` meta.
    Entries that are not objects are left out: they are no shipment anyone could show."""
    if not isinstance(payload, dict):
        return (Problem("", f"an order is a JSON object, not {_kind(payload)}"),)
    meta = payload.get("meta_data")
    entries = next(
        (
            entry.get("value")
            for entry in (meta if isinstance(meta, list) else [])
            if isinstance(entry, dict) and entry.get("key") == TRACKING_META_KEY
        ),
        None,
    )
    return structure(
        {
            "order_id": payload.get("id"),
            "status": payload.get("status"),
            "tracking": [e for e in entries if isinstance(e, dict)]
            if isinstance(entries, list)
            else [],
        },
        TrackedOrder,
    )


def parse_tracking_item(payload: object) -> TrackingItem | tuple[Problem, ...]:
    """One shipment as the Shipment Tracking extension's route answers it."""
    return structure(payload, TrackingItem)


def parse_order_note(payload: object) -> OrderNote | tuple[Problem, ...]:
    """An order note of `orders/{id}/notes`."""
    return structure(payload, OrderNote)


def parse_system_status(payload: object, timezone: str) -> SystemStatus | tuple[Problem, ...]:
    """The connection-test facts from `GET system_status` (`environment` and `settings`)."""
    if not isinstance(payload, dict):
        return (Problem("", "system status is not a JSON object"),)
    environment = _object_at(payload, "environment")
    settings = _object_at(payload, "settings")
    return structure(
        {
            "home_url": environment.get("home_url"),
            "wc_version": environment.get("version"),
            "wp_version": environment.get("wp_version"),
            "currency": settings.get("currency"),
            "decimals": settings.get("number_of_decimals", 2),
            "timezone": timezone,
        },
        SystemStatus,
    )


def _object_at(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _claimed_id(payload: object) -> int | None:
    claimed = payload.get("id") if isinstance(payload, dict) else None
    return claimed if isinstance(claimed, int) and not isinstance(claimed, bool) else None


def _problems(error: BaseException) -> Iterable[Problem]:
    for line in cattrs.transform_error(error, path="$", format_exception=_describe):
        message, _, path = line.rpartition(" @ ")
        yield Problem(_relative(path), message)


def _relative(path: str) -> str:
    return path.removeprefix("$").removeprefix(".")


def _describe(error: BaseException, type_: type | None) -> str:
    if isinstance(error, KeyError):
        return "is missing"
    if isinstance(error, ValueError | TypeError) and error.args:
        return str(error.args[0])
    return f"is invalid ({type(error).__name__})"
