"""Imported orders and the order feed through the management API (issue 31): keyset pages
and filters, one order with its warehouse SKUs and units to ship, the shipping rules in the
store settings, events by cursor with 410 past the retention, company scoping."""

from datetime import timedelta

from shipcrowd_woo.services.feed import purge_old_events


def _imported(api, installed):
    api.call("POST", f"/stores/{installed['id']}/sync/orders", json={"mode": "full"})
    api.drain()


def _all(api, path):
    items, cursor = [], None
    while True:
        answer = api.call("GET", path + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_orders_page_by_cursor_and_filter_by_status_and_shipping(api, installed):
    _imported(api, installed)
    everything = _all(api, "/orders?limit=37")
    assert sorted(o["order_id"] for o in everything) == sorted(api.sandbox.orders)
    shipping = _all(api, f"/orders?limit=100&shippable=ship&store_id={installed['id']}")
    expected = {
        i
        for i, o in api.sandbox.orders.items()
        if o["status"] == "processing"
        or (o["status"] == "pending" and o["payment_method"] == "cod")
    }
    assert {o["order_id"] for o in shipping} == expected
    held = _all(api, "/orders?limit=100&status=on-hold,pending&shippable=hold")
    assert {o["order"]["woo_status"] for o in held} <= {"on-hold", "pending"}
    assert all(o["shippable"]["state"] == "hold" for o in held)
    assert api.call("GET", "/orders?limit=100", company="company-b").get_json() == {
        "items": [],
        "next_cursor": None,
    }
    bad = api.call("GET", "/orders?shippable=maybe&limit=0&changed_after=yesterday")
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"shippable", "limit", "changed_after"}


def test_one_order_shows_its_warehouse_skus_units_to_ship_and_version(api, installed):
    _imported(api, installed)
    order_id = next(i for i, o in sorted(api.sandbox.orders.items()) if o["status"] == "processing")
    first = api.sandbox.orders[order_id]["line_items"][0]
    target = first["variation_id"] or first["product_id"]
    mapped = api.call(
        "POST",
        f"/stores/{installed['id']}/mappings",
        json={"woo_product_id": first["product_id"], "shipcrowd_sku": "WH-1"}
        | ({"woo_variation_id": target} if first["variation_id"] else {}),
    )
    assert mapped.status_code == 201, mapped.get_json()
    answer = api.call("GET", f"/stores/{installed['id']}/orders/{order_id}")
    assert answer.status_code == 200, answer.get_json()
    order = answer.get_json()
    sandbox = api.sandbox.orders[order_id]
    assert order["order"]["external_order_number"] == sandbox["number"]
    assert order["shippable"]["state"] == "ship"
    assert order["deleted_at_store"] is None
    assert order["version"]["modified_at"].startswith(sandbox["date_modified_gmt"])
    assert order["last_event_seq"] >= 1
    for line, woo in zip(order["lines"], sandbox["line_items"], strict=True):
        assert (line["ordered"], line["to_ship"]) == (woo["quantity"], woo["quantity"])
        assert line["mapped"] is (line["warehouse_sku"] is not None)
    assert order["lines"][0]["warehouse_sku"] == "WH-1"
    missing = api.call("GET", f"/stores/{installed['id']}/orders/999999")
    assert missing.status_code == 404
    foreign = api.call("GET", f"/stores/{installed['id']}/orders/{order_id}", company="company-b")
    assert foreign.status_code == 404


def test_shipping_rules_are_store_settings_and_move_the_orders_they_cover(api, installed):
    _imported(api, installed)
    store = installed["id"]
    changed = api.call(
        "PATCH",
        f"/stores/{store}/settings",
        json={"shipping": {"statuses": {"on-hold": "ship", "awaiting-shipment": "ship"}}},
    )
    assert changed.status_code == 200, changed.get_json()
    shipping = changed.get_json()["shipping"]
    assert shipping["statuses"]["on-hold"] == "ship"
    assert shipping["statuses"]["processing"] == "ship"
    assert shipping["chosen"] == ["awaiting-shipment", "on-hold"]
    events = api.call("GET", "/events?type=order.shippable_changed&limit=1000").get_json()
    on_hold = {i for i, o in api.sandbox.orders.items() if o["status"] == "on-hold"}
    assert {e["order_id"] for e in events["events"]} == on_hold
    refused = api.call(
        "PATCH", f"/stores/{store}/settings", json={"shipping": {"statuses": {"x": "later"}}}
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "shipping.statuses.x"


def test_the_feed_reads_by_cursor_and_a_purged_cursor_is_410_with_where_to_restart(api, installed):
    _imported(api, installed)
    first = api.call("GET", "/events?limit=25")
    assert first.status_code == 200
    page = first.get_json()
    assert [e["seq"] for e in page["events"]] == list(range(1, 26))
    assert page["has_more"] is True
    event = page["events"][0]
    assert event["type"] == "order.created"
    assert event["data"]["order_id"] == event["order_id"]
    assert set(event["data"]) >= {"order", "lines", "shippable", "version", "deleted_at_store"}
    rest = api.call("GET", f"/events?after={page['next_after']}&limit=1000").get_json()
    assert rest["events"][0]["seq"] == 26
    assert rest["has_more"] is False
    total = rest["next_after"]
    assert total == len(api.sandbox.orders)
    assert api.call("GET", "/events", company="company-b").get_json()["events"] == []
    later = _Later(api.services.clock, timedelta(days=31))
    assert purge_old_events(api.services.uow_factory, later, timedelta(days=30)) == total
    gone = api.call("GET", "/events?after=5")
    assert gone.status_code == 410
    assert gone.get_json()["restart_after"] == total
    assert api.call("GET", f"/events?after={total}").get_json()["events"] == []


class _Later:
    """The process's clock, read `ahead` later (the retention passes at once)."""

    def __init__(self, clock, ahead):
        self._clock, self._ahead = clock, ahead

    def now(self):
        return self._clock.now() + self._ahead
