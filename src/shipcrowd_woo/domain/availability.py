"""Available to sell: how much of a SKU a store is offered (issue 32).

`level = on hand - reserved - buffer`, never below 0; 0 when that is at or below the floor; at
most the maximum. On hand is the stock of the warehouses the store draws from; reserved is what
the company's open orders (on any of its stores) still have to ship of the SKU. Shipping an
order takes its units off both, so the level a store is offered does not move when it ships.

Limits are set per store and per mapping; a mapping's limit, where it sets one, replaces the
store's for that limit alone (buffer, floor and maximum each on its own). The floor judges what
is available and the maximum caps what is shown, so every combination means something: a
maximum below the floor offers nothing until more than the floor is available, then the maximum.
"""

import re
from collections.abc import Iterable
from typing import Final

import attrs

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.feed import Change
from shipcrowd_woo.domain.shipping import Shipping

# As much as the warehouse feed accepts of a SKU (services/inventory.py, MAX_QUANTITY).
MAX_UNITS: Final = 10**9
# An order that ships or is held may still ship, so its units are promised; one cancelled or
# ignored (shipped, completed elsewhere) promises nothing.
OPEN: Final = frozenset({Shipping.SHIP, Shipping.HOLD})
# What an order's event may move of what it reserves: its lines and their units, whether it
# may still ship, and its refunds, fulfilments and deletion (a first event names them all).
_RESERVING: Final = frozenset(
    {
        Change.LINES,
        Change.QUANTITIES,
        Change.SHIPPABLE,
        Change.REFUNDED,
        Change.FULFILLED,
        Change.DELETED,
    }
)
# A whole number of units, or a percentage; more digits than this are out of range anyway, and
# capping them keeps int() from refusing an absurdly long string.
_AMOUNT: Final = re.compile(r"\s*([+-]?[0-9]{1,12})\s*(%?)\s*")


@attrs.frozen
class Buffer:
    """Stock held back from sale: `amount` units, or `amount` percent of what is left after
    reservations."""

    amount: int
    in_percent: bool = False

    def held_back(self, unreserved: int) -> int:
        """The units kept back of `unreserved` (never more than it). A percentage rounds up:
        a fraction of a unit kept back is a whole unit not offered."""
        wanted = -(-self.amount * unreserved // 100) if self.in_percent else self.amount
        return min(max(0, wanted), unreserved)

    def spelled(self) -> str:
        """As a person writes it, and `stock_limits` reads it: "5" or "10%"."""
        return f"{self.amount}%" if self.in_percent else str(self.amount)


@attrs.frozen
class StockLimits:
    """A store's or a mapping's limits on what is offered. None leaves a limit unset: a
    mapping's then follows the store's, and a store's is no buffer, floor 0, no maximum."""

    buffer: Buffer | None = None
    floor: int | None = None
    maximum: int | None = None


def limits_for_mapping(store: StockLimits, mapping: StockLimits) -> StockLimits:
    """The mapping's limits where it sets them, the store's for the others."""
    return StockLimits(
        buffer=store.buffer if mapping.buffer is None else mapping.buffer,
        floor=store.floor if mapping.floor is None else mapping.floor,
        maximum=store.maximum if mapping.maximum is None else mapping.maximum,
    )


def stock_limits(
    buffer: object = None, floor: object = None, maximum: object = None
) -> StockLimits:
    """Limits from the values a person sent: `buffer` as units (5 or "5") or a percentage
    ("10%"), `floor` and `maximum` as units; None leaves one unset. ValidationFailed names
    every bad one."""
    problems: dict[str, str] = {}
    parsed_buffer = None if buffer is None else _buffer(buffer)
    if buffer is not None and parsed_buffer is None:
        problems["buffer"] = f'must be 0 to {MAX_UNITS} units, or a percentage like "10%"'
    elif parsed_buffer and parsed_buffer.in_percent and not 0 <= parsed_buffer.amount <= 100:
        problems["buffer"] = "a percentage must be 0 to 100"
    parsed_floor, parsed_maximum = _units(floor), _units(maximum)
    if floor is not None and parsed_floor is None:
        problems["floor"] = f"must be a whole number of units, 0 to {MAX_UNITS}"
    if maximum is not None and parsed_maximum is None:
        problems["maximum"] = f"must be a whole number of units, 0 to {MAX_UNITS}"
    if problems:
        raise ValidationFailed(problems)
    return StockLimits(parsed_buffer, parsed_floor, parsed_maximum)


# What a person sends to take a limit away (the store's then applies to a mapping).
UNSET: Final = "none"


def changed_limits(
    current: StockLimits, buffer: object = None, floor: object = None, maximum: object = None
) -> StockLimits:
    """`current` with the limits sent: None keeps one, "none" unsets it, anything else is
    read as `stock_limits` reads it (ValidationFailed names every bad one)."""
    sent = {"buffer": buffer, "floor": floor, "maximum": maximum}
    parsed = stock_limits(**{k: v for k, v in sent.items() if v is not None and v != UNSET})
    chosen = {}
    for name, value in sent.items():
        if value is None:
            chosen[name] = getattr(current, name)
        else:
            chosen[name] = None if value == UNSET else getattr(parsed, name)
    return StockLimits(**chosen)


def _buffer(raw: object) -> Buffer | None:
    if isinstance(raw, str) and (spelled := _AMOUNT.fullmatch(raw)) and spelled[2]:
        return Buffer(int(spelled[1]), in_percent=True)
    units = _units(raw)
    return None if units is None else Buffer(units)


def _units(raw: object) -> int | None:
    # bool is an int to Python, not to a person sending JSON.
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 <= raw <= MAX_UNITS else None
    if isinstance(raw, str) and (spelled := _AMOUNT.fullmatch(raw)) and not spelled[2]:
        return _units(int(spelled[1]))
    return None


@attrs.frozen
class Availability:
    """What a store is offered of a SKU, and every figure it came from (the push log keeps
    them): `level` is on_hand - reserved - buffer, 0 when that is at or below `floor`, at most
    `maximum`. `buffer` counts the units actually held back: never more than was left after
    reservations, so an oversold SKU holds back 0."""

    on_hand: int
    reserved: int
    buffer: int
    floor: int
    maximum: int | None
    level: int


def available_to_sell(on_hand: int, reserved: int, limits: StockLimits) -> Availability:
    """The level to push of a SKU with `on_hand` units and `reserved` of them promised."""
    unreserved = max(0, on_hand - reserved)
    buffer = (limits.buffer or Buffer(0)).held_back(unreserved)
    floor = limits.floor or 0
    available = unreserved - buffer
    level = 0 if available <= floor else available
    if limits.maximum is not None:
        level = max(0, min(level, limits.maximum))
    return Availability(on_hand, reserved, buffer, floor, limits.maximum, level)


def moves_reservations(changes: Iterable[Change]) -> bool:
    """Whether an event with these changes may move what its order reserves."""
    return not _RESERVING.isdisjoint(changes)


def reserved_by_sku(lines: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    """What the open orders (those in `OPEN`) still have to ship of each SKU, from their
    lines as (SKU, units left to ship); a line whose product maps to no SKU comes with None
    and reserves nothing."""
    reserved: dict[str, int] = {}
    for sku, to_ship in lines:
        if sku is not None:
            reserved[sku] = reserved.get(sku, 0) + max(0, to_ship)
    return reserved
