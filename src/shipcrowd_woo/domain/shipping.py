"""When an imported order is to be shipped, and how much of each line is left to ship.

A store's `ShippingRules` map each WooCommerce status — extensions' own included — to what the
shipping side does with an order in it: `ship` it, `hold` it (it may still ship), `cancel` what
was prepared, or `ignore` it (it needs nothing from us: completed elsewhere, a draft). Like
ShipStation's "export statuses", with its two rules on refunds: a line ships `quantity -
refunded quantity`, and an order refunded in full is cancelled, whatever its status says.
"""

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

import attrs

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.payments import PaymentStatus
from shipcrowd_woo.domain.statuses import normalise_woo_status


class Shipping(enum.Enum):
    """What the shipping side does with an order."""

    SHIP = "ship"
    HOLD = "hold"
    CANCEL = "cancel"
    IGNORE = "ignore"


DEFAULT_STATUS_RULES: Final[Mapping[str, Shipping]] = {
    "processing": Shipping.SHIP,
    "on-hold": Shipping.HOLD,
    "pending": Shipping.HOLD,
    "completed": Shipping.IGNORE,
    "cancelled": Shipping.CANCEL,
    "refunded": Shipping.CANCEL,
    "failed": Shipping.CANCEL,
    # Not placed yet (WooCommerce's block checkout saves the cart as an order).
    "checkout-draft": Shipping.IGNORE,
    # WooCommerce 11.3+ local pickup: the customer collects it.
    "ready-for-pickup": Shipping.IGNORE,
    "trash": Shipping.CANCEL,
}

# A status nobody gave a rule — an extension's, added after the store was connected — waits
# for a person rather than shipping or cancelling on a guess.
UNKNOWN_STATUS: Final = Shipping.HOLD
MAX_STATUS_LENGTH: Final = 64


@attrs.frozen
class ShippingRules:
    """A store's map of WooCommerce status → Shipping. `statuses` holds only what the
    merchant chose; every other status follows `DEFAULT_STATUS_RULES`. A pending order paid
    in cash on delivery ships by default: there is nothing to wait for before the carrier
    collects the money."""

    statuses: Mapping[str, Shipping] = attrs.field(factory=dict)
    ship_pending_cash_on_delivery: bool = True

    def rule_for(self, woo_status: str) -> Shipping:
        """The rule of a status, chosen or default."""
        status = normalise_woo_status(woo_status)
        chosen = self.statuses.get(status)
        if chosen is not None:
            return chosen
        return DEFAULT_STATUS_RULES.get(status, UNKNOWN_STATUS)

    def spelled(self) -> str:
        """The rules as one text, equal for equal rules (what a first event was made with)."""
        chosen = ",".join(
            f"{status}={rule.value}" for status, rule in sorted(self.statuses.items())
        )
        return f"{chosen};cod={self.ship_pending_cash_on_delivery}"

    def effective(self) -> dict[str, Shipping]:
        """Every status with a rule: the defaults, overridden by the merchant's choices."""
        return {**DEFAULT_STATUS_RULES, **self.statuses}


def chosen_rules(current: ShippingRules, statuses: Mapping[str, str]) -> ShippingRules:
    """`current` with `statuses` (status → "ship" | "hold" | "cancel" | "ignore" | "default")
    applied; "default" drops a choice. ValidationFailed names every bad entry."""
    problems: dict[str, str] = {}
    merged = dict(current.statuses)
    for raw, rule in statuses.items():
        status = normalise_woo_status(raw)
        field = f"shipping.statuses.{raw}"
        if not status or len(status) > MAX_STATUS_LENGTH or not _is_slug(status):
            problems[field] = "a status is a WooCommerce status slug (letters, digits, - and _)"
        elif rule == "default":
            merged.pop(status, None)
        elif rule in _BY_VALUE:
            merged[status] = _BY_VALUE[rule]
        else:
            problems[field] = f"must be one of {', '.join([*_BY_VALUE, 'default'])}"
    if problems:
        raise ValidationFailed(problems)
    return attrs.evolve(current, statuses=merged)


_BY_VALUE: Final = {rule.value: rule for rule in Shipping}


def _is_slug(status: str) -> bool:
    return all(c.isascii() and (c.isalnum() or c in "-_") for c in status)


@attrs.frozen
class LineToShip:
    """One line of an order: what was ordered, refunded and fulfilled, and what is left."""

    line_id: int | None
    ordered: int
    refunded: int
    fulfilled: int

    @property
    def to_ship(self) -> int:
        """Ordered - refunded - fulfilled, never below 0."""
        return max(0, self.ordered - self.refunded - self.fulfilled)


@attrs.frozen
class ShippingBasis:
    """What of an order decides whether it ships: small enough to travel with a staged
    order from the process that read it."""

    woo_status: str
    cash_on_delivery: bool
    refunded_in_full: bool
    deleted_at: datetime | None
    lines: tuple[tuple[int | None, int], ...]

    @property
    def deleted(self) -> bool:
        """True when the store deleted (or trashed) the order."""
        return self.deleted_at is not None


def basis_of(order: Order) -> ShippingBasis:
    """The order's shipping basis."""
    return ShippingBasis(
        woo_status=order.woo_status,
        cash_on_delivery=order.is_cash_on_delivery,
        refunded_in_full=order.payment_status is PaymentStatus.REFUNDED,
        deleted_at=order.deleted_at_store,
        lines=tuple((line.woo_line_id, line.quantity) for line in order.lines),
    )


def lines_to_ship(basis: ShippingBasis, fulfilled: Mapping[int, int]) -> tuple[LineToShip, ...]:
    """Each line with its units left to ship. An order refunded in full refunds every line
    (WooCommerce's order lists refunds by amount only; which units a partial refund covers
    is on the refund itself); `fulfilled` counts the units shipped of each line id."""
    lines = []
    for line_id, quantity in basis.lines:
        ordered = max(0, quantity)
        refunded = ordered if basis.refunded_in_full else 0
        shipped = fulfilled.get(line_id, 0) if line_id is not None else 0
        lines.append(LineToShip(line_id, ordered, refunded, max(0, shipped)))
    return tuple(lines)


@attrs.frozen
class Shippable:
    """An order's Shipping and why, in words for the merchant."""

    state: Shipping
    why: str


def shippable(basis: ShippingBasis, rules: ShippingRules, lines: Iterable[LineToShip]) -> Shippable:
    """Whether the order ships. A deleted order, or one refunded in full (its money or every
    unit), is cancelled; one with nothing left to ship that still would ship is ignored (shipped);
    otherwise its status's rule decides, and a pending cash-on-delivery order ships."""
    lines = tuple(lines)
    status = normalise_woo_status(basis.woo_status)
    if basis.deleted:
        return Shippable(Shipping.CANCEL, "the store deleted the order")
    every_line = any(line.ordered for line in lines) and all(
        line.refunded >= line.ordered for line in lines
    )
    if basis.refunded_in_full or every_line:
        return Shippable(Shipping.CANCEL, "refunded in full")
    rule = rules.rule_for(status)
    chosen = "the store's rule" if status in rules.statuses else "the default rule"
    cash_on_delivery = rules.ship_pending_cash_on_delivery and basis.cash_on_delivery
    if status == "pending" and "pending" not in rules.statuses and cash_on_delivery:
        return Shippable(Shipping.SHIP, "pending, paid in cash on delivery")
    if rule is Shipping.SHIP and lines and all(line.to_ship == 0 for line in lines):
        return Shippable(Shipping.IGNORE, f"status {status} ships, and every unit has shipped")
    if status not in rules.statuses and status not in DEFAULT_STATUS_RULES:
        return Shippable(rule, f"status {status} has no rule: held until the store gives it one")
    return Shippable(rule, f"status {status}: {rule.value} ({chosen})")
