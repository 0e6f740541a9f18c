"""What a merchant may change of how a store is synced and fulfilled, and the rules for it."""

from collections.abc import Mapping, Sequence
from datetime import timedelta

import attrs

from shipcrowd_woo.domain.availability import changed_limits
from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.inventory import clean_warehouse
from shipcrowd_woo.domain.shipping import chosen_rules
from shipcrowd_woo.domain.store import Store

# The scheduler ticks every minute; more often than every 5 minutes would poll the store's PHP
# for little, and less than daily leaves a store without webhooks unsynced for days.
MIN_INTERVAL_MINUTES = 5
MAX_INTERVAL_MINUTES = 24 * 60
MAX_OVERLAP_MINUTES = 24 * 60


@attrs.frozen
class SettingsChange:
    """Settings to change, named as the API shows them; None leaves a setting as it is."""

    order_sync_enabled: bool | None = None
    order_sync_auto_sync: bool | None = None
    order_sync_interval_minutes: int | None = None
    order_sync_overlap_minutes: int | None = None
    inventory_sync_enabled: bool | None = None
    inventory_sync_auto_sync: bool | None = None
    # Units (5, "5") or a percentage ("10%"); "none" takes the limit away (availability.py).
    inventory_sync_buffer: object = None
    inventory_sync_floor: object = None
    inventory_sync_maximum: object = None
    # The warehouses the store draws from; an empty list: every one.
    inventory_sync_warehouses: Sequence[str] | None = None
    fulfilment_complete_on_ship: bool | None = None
    fulfilment_notify_customer: bool | None = None
    # Status -> ship/hold/cancel/ignore/default (domain/shipping.py), merged into the store's.
    shipping_statuses: Mapping[str, str] | None = None
    shipping_ship_pending_cash_on_delivery: bool | None = None


def with_settings(store: Store, change: SettingsChange) -> Store:
    """The store with `change` applied, or ValidationFailed naming every field out of range."""
    problems: dict[str, str] = {}
    interval = change.order_sync_interval_minutes
    if interval is not None and not MIN_INTERVAL_MINUTES <= interval <= MAX_INTERVAL_MINUTES:
        problems["order_sync.interval_minutes"] = (
            f"must be {MIN_INTERVAL_MINUTES} to {MAX_INTERVAL_MINUTES} minutes (24 hours)"
        )
    overlap = change.order_sync_overlap_minutes
    if overlap is not None and not 0 <= overlap <= MAX_OVERLAP_MINUTES:
        problems["order_sync.overlap_minutes"] = f"must be 0 to {MAX_OVERLAP_MINUTES} minutes"
    shipping = store.shipping
    if change.shipping_statuses is not None:
        try:
            shipping = chosen_rules(shipping, change.shipping_statuses)
        except ValidationFailed as refused:
            problems.update(refused.problems)
    if change.shipping_ship_pending_cash_on_delivery is not None:
        shipping = attrs.evolve(
            shipping, ship_pending_cash_on_delivery=change.shipping_ship_pending_cash_on_delivery
        )
    inventory_sync = store.inventory_sync
    try:
        limits = changed_limits(
            inventory_sync.limits,
            change.inventory_sync_buffer,
            change.inventory_sync_floor,
            change.inventory_sync_maximum,
        )
    except ValidationFailed as refused:
        problems.update({f"inventory_sync.{k}": v for k, v in refused.problems.items()})
    warehouses = inventory_sync.warehouses
    if change.inventory_sync_warehouses is not None:
        try:
            warehouses = frozenset(map(clean_warehouse, change.inventory_sync_warehouses)) or None
        except ValueError as refused:
            problems["inventory_sync.warehouses"] = str(refused)
    if problems:
        raise ValidationFailed(problems)
    order_sync = store.order_sync
    fulfilment = store.fulfilment
    return attrs.evolve(
        store,
        order_sync=attrs.evolve(
            order_sync,
            enabled=_chosen(change.order_sync_enabled, order_sync.enabled),
            auto_sync=_chosen(change.order_sync_auto_sync, order_sync.auto_sync),
            interval=order_sync.interval if interval is None else timedelta(minutes=interval),
            overlap=order_sync.overlap if overlap is None else timedelta(minutes=overlap),
        ),
        inventory_sync=attrs.evolve(
            inventory_sync,
            enabled=_chosen(change.inventory_sync_enabled, inventory_sync.enabled),
            auto_sync=_chosen(change.inventory_sync_auto_sync, inventory_sync.auto_sync),
            limits=limits,
            warehouses=warehouses,
        ),
        fulfilment=attrs.evolve(
            fulfilment,
            complete_on_ship=_chosen(
                change.fulfilment_complete_on_ship, fulfilment.complete_on_ship
            ),
            notify_customer=_chosen(change.fulfilment_notify_customer, fulfilment.notify_customer),
        ),
        shipping=shipping,
    )


def _chosen(new: bool | None, current: bool) -> bool:
    return current if new is None else new
