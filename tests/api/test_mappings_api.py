"""Product mappings through the API: auto-map, list with filters, create, toggle, delete,
statistics, CSV export and import."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@pytest.fixture
def store_path(api, installed):
    return f"/stores/{installed['id']}/mappings"


def _create(api, store_path, **body):
    return api.call("POST", store_path, json=body)


def test_auto_map_runs_as_a_job(api, store_path):
    skus = [p["sku"] for p in api.sandbox.products.values() if p["type"] != "variable"]
    api.call("PUT", "/stock", json={"items": [{"sku": s, "quantity": 1} for s in skus]})
    job = api.call("POST", f"{store_path}/auto").get_json()
    assert job["kind"] == "auto_map_products"
    api.drain()
    done = api.call("GET", f"/sync/jobs/{job['id']}").get_json()
    assert (done["state"], done["result"]["created"]) == ("completed", len(skus))
    listed = api.call("GET", f"{store_path}?limit=100").get_json()
    assert listed["total"] == len(skus)
    assert {m["mapping_type"] for m in listed["items"]} == {"auto"}
    stats = api.call("GET", f"{store_path}/stats").get_json()
    assert (stats["mapped"], stats["active"], stats["unmapped"]) == (len(skus), len(skus), 0)


def test_create_toggle_filter_and_delete(api, store_path):
    created = _create(api, store_path, woo_product_id=10, shipcrowd_sku="W-00000")
    assert created.status_code == 201
    mapping = created.get_json()
    assert (mapping["mapping_type"], mapping["is_active"]) == ("manual", True)
    _create(api, store_path, woo_product_id=14, woo_variation_id=15, shipcrowd_sku="TS-S")
    duplicate = _create(api, store_path, woo_product_id=10, shipcrowd_sku="OTHER")
    assert duplicate.status_code == 409

    off = api.call("POST", f"/mappings/{mapping['id']}/toggle", json={"active": False})
    assert off.get_json()["is_active"] is False
    inactive = api.call("GET", f"{store_path}?active=false").get_json()
    assert [m["id"] for m in inactive["items"]] == [mapping["id"]]
    found = api.call("GET", f"{store_path}?search=ts-s").get_json()
    assert [m["woo_variation_id"] for m in found["items"]] == [15]
    manual = api.call("GET", f"{store_path}?type=manual&limit=1").get_json()
    assert (manual["total"], len(manual["items"])) == (2, 1)

    assert api.call("DELETE", f"/mappings/{mapping['id']}").status_code == 204
    assert api.call("DELETE", f"/mappings/{mapping['id']}").status_code == 404
    assert api.call("GET", store_path).get_json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"woo_product_id", "shipcrowd_sku"}),
        ({"woo_product_id": "10", "shipcrowd_sku": 5}, {"woo_product_id", "shipcrowd_sku"}),
        ({"woo_product_id": 10, "shipcrowd_sku": "   "}, {"shipcrowd_sku"}),
        ({"woo_product_id": -1, "shipcrowd_sku": "A"}, {"woo_product_id"}),
        ({"woo_product_id": True, "shipcrowd_sku": "A"}, {"woo_product_id"}),
        ({"woo_product_id": 10, "shipcrowd_sku": "A", "sync_inventory": "yes"}, {"sync_inventory"}),
    ],
)
def test_bad_mappings_list_every_field(api, store_path, body, fields):
    response = _create(api, store_path, **body)
    assert response.status_code == 422
    assert {error["field"] for error in response.get_json()["errors"]} == fields


@pytest.mark.parametrize("query", ["active=maybe", "type=robot", "erroring=2", "limit=500"])
def test_bad_filters_are_422(api, store_path, query):
    assert api.call("GET", f"{store_path}?{query}").status_code == 422


def test_toggle_needs_a_boolean(api, store_path):
    mapping = _create(api, store_path, woo_product_id=10, shipcrowd_sku="W-00000").get_json()
    response = api.call("POST", f"/mappings/{mapping['id']}/toggle", json={"active": "no"})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "active", "message": "must be true or false"}
    ]


def test_csv_export_then_import_round_trips(api, store_path):
    _create(api, store_path, woo_product_id=10, shipcrowd_sku="W-00000")
    _create(api, store_path, woo_product_id=14, woo_variation_id=15, shipcrowd_sku="TS-S")
    exported = api.call("GET", f"{store_path}/export")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    again = api.call("POST", f"{store_path}/import", data=text, content_type="text/csv")
    assert again.get_json() == {"created": 0, "updated": 0, "unchanged": 2, "problems": []}


def test_csv_import_applies_good_lines_and_reports_bad_ones(api, store_path):
    text = (
        "woo_product_id,woo_variation_id,shipcrowd_sku,sync_inventory\n"
        "10,,W-00000,true\n"
        "x,,W-00001,true\n"
        "11,,,true\n"
        "12,,W-00002,perhaps\n"
        "13,,W-00003,no\n"
    )
    report = api.call("POST", f"{store_path}/import", data=text, content_type="text/csv").get_json()
    assert (report["created"], report["updated"]) == (2, 0)
    assert [problem["line"] for problem in report["problems"]] == [3, 4, 5]
    assert api.call("GET", store_path).get_json()["total"] == 2


def test_csv_import_refuses_what_is_not_utf8_or_too_large(api, store_path):
    latin = api.call(
        "POST",
        f"{store_path}/import",
        data="woo_product_id,shipcrowd_sku\n10,Café\n".encode("latin-1"),
        content_type="text/csv",
    )
    assert latin.status_code == 422
    assert latin.get_json()["errors"][0]["field"] == "body"
    huge = api.call(
        "POST",
        f"{store_path}/import",
        data=b"woo_product_id,shipcrowd_sku\n" + b"1,A\n" * (3 * 1024 * 1024),
        content_type="text/csv",
    )
    assert huge.status_code == 413


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.binary(max_size=300)
    | st.text(max_size=300).map(str.encode)
    | st.lists(st.text(max_size=20), max_size=6).map(
        lambda cells: (
            "woo_product_id,shipcrowd_sku,shipcrowd_product_name\n" + ",".join(cells)
        ).encode()
    )
)
def test_any_csv_body_is_a_report_or_a_4xx_never_a_5xx(api, store_path, body):
    """Issue 14, point 4, the CSV entry point: bytes that are not UTF-8, NULs, stray quotes and
    carriage returns give a report of row problems or a 4xx problem."""
    response = api.call("POST", f"{store_path}/import", data=body, content_type="text/csv")
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.get_json()


def test_a_mappings_own_limits_and_its_last_push_are_on_its_routes(api, installed, store_path):
    """Issue 32: PATCH /mappings/{id}/stock sets the mapping's own limits; each push keeps, on
    the mapping, the on hand, reserved and buffer its level came from (GET /mappings/{id})."""
    product = next(p for p in api.sandbox.products.values() if p["type"] == "simple")
    sku = product["sku"]
    # Two warehouses (the default one, and "far" with 5 more); the store draws from the first.
    stock = [{"sku": sku, "quantity": 20}, {"sku": sku, "quantity": 5, "warehouse": "far"}]
    assert api.call("PUT", "/stock", json={"items": stock}).get_json() == {"recorded": 2}
    settings = {"inventory_sync": {"warehouses": ["default"]}}
    api.call("PATCH", f"/stores/{installed['id']}/settings", json=settings)
    mapping = _create(
        api, store_path, woo_product_id=product["id"], shipcrowd_sku=product["sku"]
    ).get_json()
    assert mapping["stock_limits"] == {"buffer": None, "floor": None, "maximum": None}
    assert mapping["last_push"] is None
    limited = api.call(
        "PATCH", f"/mappings/{mapping['id']}/stock", json={"buffer": 3, "maximum": 10}
    )
    assert limited.status_code == 200
    assert limited.get_json()["stock_limits"] == {"buffer": "3", "floor": None, "maximum": 10}
    api.call("POST", f"/stores/{installed['id']}/sync/inventory", json={})
    api.drain()
    pushed = api.call("GET", f"/mappings/{mapping['id']}").get_json()["last_push"]
    assert (pushed["on_hand"], pushed["buffer"], pushed["maximum"]) == (20, 3, 10)
    assert pushed["level"] == min(10, max(0, 20 - pushed["reserved"] - 3))
    assert api.sandbox.products[product["id"]]["stock_quantity"] == pushed["level"]

    bad = api.call("PATCH", f"/mappings/{mapping['id']}/stock", json={"buffer": "x%", "floor": -1})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"buffer", "floor"}
    unset = api.call("PATCH", f"/mappings/{mapping['id']}/stock", json={"maximum": "none"})
    assert unset.get_json()["stock_limits"] == {"buffer": "3", "floor": None, "maximum": None}
    assert api.call("GET", "/mappings/no-such-mapping").status_code == 404
    assert unset.get_json()["direction"] == "warehouse_to_store"
    counted = api.call(
        "PATCH", f"/mappings/{mapping['id']}/stock", json={"direction": "store_to_warehouse"}
    )
    assert counted.get_json()["direction"] == "store_to_warehouse"
    sideways = api.call("PATCH", f"/mappings/{mapping['id']}/stock", json={"direction": "up"})
    assert [e["field"] for e in sideways.get_json()["errors"]] == ["direction"]
    nowhere = api.call("PUT", "/stock", json={"items": [{**stock[0], "warehouse": " "}]})
    assert nowhere.status_code == 422
    assert [e["field"] for e in nowhere.get_json()["errors"]] == ["items[0].warehouse"]
