"""The rules for changing a store's sync and fulfilment settings (issue 18, section 3)."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.store_settings import SettingsChange, with_settings
from tests.builders import make_store

STORE = make_store()
SWITCHES = st.one_of(st.none(), st.booleans())


def test_an_empty_change_changes_nothing():
    assert with_settings(STORE, SettingsChange()) == STORE


@pytest.mark.parametrize(
    ("minutes", "allowed"), [(4, False), (5, True), (1440, True), (1441, False)]
)
def test_the_interval_is_5_minutes_to_24_hours(minutes, allowed):
    change = SettingsChange(order_sync_interval_minutes=minutes)
    if allowed:
        assert with_settings(STORE, change).order_sync.interval == timedelta(minutes=minutes)
    else:
        with pytest.raises(ValidationFailed) as refused:
            with_settings(STORE, change)
        assert set(refused.value.problems) == {"order_sync.interval_minutes"}


def test_every_bad_field_is_named_at_once():
    change = SettingsChange(order_sync_interval_minutes=0, order_sync_overlap_minutes=-1)
    with pytest.raises(ValidationFailed) as refused:
        with_settings(STORE, change)
    assert set(refused.value.problems) == {
        "order_sync.interval_minutes",
        "order_sync.overlap_minutes",
    }


@given(
    SWITCHES,
    SWITCHES,
    SWITCHES,
    SWITCHES,
    SWITCHES,
    SWITCHES,
    st.one_of(st.none(), st.integers(5, 1440)),
    st.one_of(st.none(), st.integers(0, 1440)),
)
def test_what_a_change_names_is_set_and_the_rest_kept(
    orders, orders_auto, stock, stock_auto, complete, notify, interval, overlap
):
    change = SettingsChange(
        order_sync_enabled=orders,
        order_sync_auto_sync=orders_auto,
        order_sync_interval_minutes=interval,
        order_sync_overlap_minutes=overlap,
        inventory_sync_enabled=stock,
        inventory_sync_auto_sync=stock_auto,
        fulfilment_complete_on_ship=complete,
        fulfilment_notify_customer=notify,
    )
    changed = with_settings(STORE, change)
    for given_value, now, before in [
        (orders, changed.order_sync.enabled, STORE.order_sync.enabled),
        (orders_auto, changed.order_sync.auto_sync, STORE.order_sync.auto_sync),
        (stock, changed.inventory_sync.enabled, STORE.inventory_sync.enabled),
        (stock_auto, changed.inventory_sync.auto_sync, STORE.inventory_sync.auto_sync),
        (complete, changed.fulfilment.complete_on_ship, STORE.fulfilment.complete_on_ship),
        (notify, changed.fulfilment.notify_customer, STORE.fulfilment.notify_customer),
    ]:
        assert now == (before if given_value is None else given_value)
    minutes = changed.order_sync.interval.total_seconds() / 60
    assert minutes == (
        STORE.order_sync.interval.total_seconds() / 60 if interval is None else interval
    )
    assert changed.order_sync.overlap == (
        STORE.order_sync.overlap if overlap is None else timedelta(minutes=overlap)
    )
    assert (changed.id, changed.stats, changed.order_cursor) == (
        STORE.id,
        STORE.stats,
        STORE.order_cursor,
    )
