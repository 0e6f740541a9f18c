"""Fulfilments through the API: accepted with 202, delivered by the worker, the same one
sent twice answered with the first; validation, refusals and company scoping; stock that
reaches the store by itself."""

import pytest

PPL = {
    "carrier": "PPL",
    "tracking_number": "123456789",
    "tracking_url": "https://www.ppl.cz/vyhledat-zasilku?shipmentId=123456789",
}


def _imported(api, installed):
    api.call("POST", f"/stores/{installed['id']}/sync/orders", json={"mode": "full"})
    api.drain()


def _order(api, status="processing"):
    return next(i for i, o in sorted(api.sandbox.orders.items()) if o["status"] == status)


def _fulfil(api, store_id, order_id, company="company-a", **body):
    return api.call(
        "POST",
        f"/stores/{store_id}/orders/{order_id}/fulfillments",
        company=company,
        role="member",
        json=body,
    )


def test_a_fulfilment_is_accepted_then_delivered_and_sent_twice_answers_the_first(api, installed):
    _imported(api, installed)
    order_id = _order(api)
    accepted = _fulfil(api, installed["id"], order_id, **PPL)
    assert accepted.status_code == 202, accepted.get_json()
    body = accepted.get_json()
    assert (body["fulfillment"]["state"], body["job"]["kind"]) == ("pending", "fulfil_order")
    api.drain()
    job = api.call("GET", f"/sync/jobs/{body['job']['id']}").get_json()
    assert (job["state"], job["result"]["requests"]) == ("completed", 3)
    listed = api.call("GET", f"/stores/{installed['id']}/orders/{order_id}/fulfillments")
    (shown,) = listed.get_json()["items"]
    assert shown["state"] == "delivered"
    assert shown["status_completed"]
    assert api.sandbox.orders[order_id]["status"] == "completed"
    again = _fulfil(api, installed["id"], order_id, **PPL)
    assert again.status_code == 200
    assert again.get_json()["fulfillment"]["id"] == body["fulfillment"]["id"]
    notes = [n for n in api.sandbox.order_notes(order_id) if n["customer_note"]]
    assert len(notes) == 1
    logs = api.call("GET", f"/stores/{installed['id']}/sync/logs?type=fulfilment").get_json()
    assert [log["status"] for log in logs["items"]] == ["completed"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"tracking_number": "1"}, {"carrier"}),
        ({**PPL, "tracking_url": "ftp://x"}, {"tracking_url"}),
        ({**PPL, "shipped_at": "yesterday"}, {"shipped_at"}),
        ({**PPL, "shipped_at": "2026-12-02T10:00:00"}, {"shipped_at"}),
        ({**PPL, "lines": [{"line_id": 1, "quantity": 0}]}, {"lines[0].quantity"}),
        ({**PPL, "lines": [{"line_id": 999999, "quantity": 1}]}, {"lines[0].line_id"}),
        ({**PPL, "lines": "all"}, {"lines"}),
        ({**PPL, "carrier": " ", "tracking_number": ""}, {"carrier", "tracking_number"}),
        ({**PPL, "extra": 1}, {""}),
    ],
)
def test_bad_fulfilments_are_422_naming_every_field(api, installed, body, fields):
    _imported(api, installed)
    response = _fulfil(api, installed["id"], _order(api), **body)
    assert response.status_code == 422, response.get_json()
    assert {error["field"] for error in response.get_json()["errors"]} == fields


def test_a_cancelled_order_is_a_409_problem(api, installed):
    _imported(api, installed)
    order_id = _order(api, "cancelled")
    response = _fulfil(api, installed["id"], order_id, **PPL)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert (problem["type"].rsplit("/", 1)[1], problem["order_status"]) == (
        "order-not-shippable",
        "cancelled",
    )
    assert api.sandbox.orders[order_id]["status"] == "cancelled"


def test_another_companys_store_and_unknown_orders_are_404(api, installed):
    _imported(api, installed)
    order_id = _order(api)
    for company, store_id, order in (
        ("company-b", installed["id"], order_id),
        ("company-a", installed["id"], 999_999),
        ("company-a", "no-such-store", order_id),
    ):
        response = _fulfil(api, store_id, order, company=company, **PPL)
        assert response.status_code == 404, (company, store_id, order)
    listed = api.call(
        "GET", f"/stores/{installed['id']}/orders/{order_id}/fulfillments", company="company-b"
    )
    assert listed.status_code == 404
    assert api.call("POST", f"/stores/{installed['id']}/orders/0/fulfillments").status_code == 404


def test_stock_reported_by_the_warehouse_reaches_the_store_by_itself(api, installed):
    api.call(
        "POST",
        f"/stores/{installed['id']}/mappings",
        json={"woo_product_id": 10, "shipcrowd_sku": "W-00000"},
    )
    api.call("PUT", "/stock", json={"items": [{"sku": "W-00000", "quantity": 5}]})
    api.drain()
    assert api.sandbox.products[10]["stock_quantity"] == 5
    logs = api.call("GET", f"/stores/{installed['id']}/sync/logs?type=inventory").get_json()
    assert [(log["status"], log["synced"]) for log in logs["items"]] == [("completed", 1)]
