"""The management API's product mapping and stock routes (registered on its blueprint by
management.py; the same rules: the bearer token's company, 404 across companies)."""

from flask import Blueprint, Response, jsonify, request

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.ids import MappingId, StoreId
from shipcrowd_woo.domain.inventory import DEFAULT_WAREHOUSE
from shipcrowd_woo.domain.mapping_rules import MappingFilter, MappingType
from shipcrowd_woo.entrypoints.api.handling import body_of, page_request
from shipcrowd_woo.entrypoints.api.problems import invalid
from shipcrowd_woo.entrypoints.api.requests import (
    MAX_SKUS,
    MappingRequest,
    MappingStockRequest,
    StockRequest,
    ToggleRequest,
    query_bool,
    read_body,
)
from shipcrowd_woo.entrypoints.api.state import principal, state
from shipcrowd_woo.entrypoints.api.views import (
    import_view,
    mapping_stats_view,
    mapping_view,
    page_view,
)
from shipcrowd_woo.services.inventory import StockLevel

MAX_CSV_BYTES = 10 * 1024 * 1024


def list_mappings(store_id: str) -> Response:
    """A filtered page of mappings."""
    errors: list[dict[str, str]] = []
    kind = request.args.get("type")
    if kind not in (None, "", "auto", "manual"):
        errors.append({"field": "type", "message": "must be auto or manual"})
    criteria = MappingFilter(
        active=query_bool(request.args, "active", errors),
        sync_inventory=query_bool(request.args, "sync_inventory", errors),
        erroring=query_bool(request.args, "erroring", errors),
        mapping_type=MappingType(kind) if kind in ("auto", "manual") else None,
        search=request.args.get("search", "")[:100],
    )
    page = page_request()
    if errors:
        raise invalid(errors)
    found = state().services.mappings.list(
        principal().company_id, StoreId(store_id), criteria, page
    )
    return jsonify(page_view(found, mapping_view))


def create_mapping(store_id: str) -> tuple[Response, int]:
    """Map a product or variation to a warehouse SKU by hand."""
    body: MappingRequest = body_of(MappingRequest)
    mapping = state().services.mappings.create(
        principal().company_id,
        StoreId(store_id),
        body.woo_product_id,
        body.woo_variation_id,
        body.shipcrowd_sku,
        woo_sku=body.woo_sku,
        title=body.woo_title,
        product_name=body.shipcrowd_product_name,
        sync_inventory=body.sync_inventory,
    )
    return jsonify(mapping_view(mapping)), 201


def delete_mapping(mapping_id: str) -> tuple[str, int]:
    """Remove a mapping."""
    state().services.mappings.delete(principal().company_id, MappingId(mapping_id))
    return "", 204


def get_mapping(mapping_id: str) -> Response:
    """A mapping, with its limits and what its last push was made of."""
    return jsonify(
        mapping_view(state().services.mappings.get(principal().company_id, MappingId(mapping_id)))
    )


def change_mapping_stock(mapping_id: str) -> Response:
    """Set the mapping's own stock limits; its SKU is pushed again when they changed."""
    body: MappingStockRequest = body_of(MappingStockRequest)
    mapping = state().services.mappings.change_stock(
        principal().company_id,
        MappingId(mapping_id),
        body.buffer,
        body.floor,
        body.maximum,
        body.direction,
    )
    return jsonify(mapping_view(mapping))


def toggle_mapping(mapping_id: str) -> Response:
    """Switch a mapping on or off."""
    body: ToggleRequest = body_of(ToggleRequest)
    mapping = state().services.mappings.toggle(
        principal().company_id, MappingId(mapping_id), body.active
    )
    return jsonify(mapping_view(mapping))


def mapping_stats(store_id: str) -> Response:
    """Mapped, active, inactive, erroring and unmapped counts."""
    stats = state().services.mappings.stats(principal().company_id, StoreId(store_id))
    return jsonify(mapping_stats_view(stats))


def import_mappings(store_id: str) -> Response:
    """Apply a mapping CSV (text/csv body); every bad line is reported."""
    raw = read_body(request, MAX_CSV_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed({"body": "the CSV must be UTF-8"}) from None
    report = state().services.mappings.import_csv(principal().company_id, StoreId(store_id), text)
    return jsonify(import_view(report))


def export_mappings(store_id: str) -> Response:
    """Every mapping of the store as CSV (importing it again changes nothing)."""
    text = state().services.mappings.export_csv(principal().company_id, StoreId(store_id))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="mappings-{store_id[:40]}.csv"'},
    )


def set_stock() -> Response:
    """Shipcrowd's warehouse reports stock levels (what inventory pushes send)."""
    body: StockRequest = body_of(StockRequest)
    if len(body.items) > MAX_SKUS:
        raise ValidationFailed({"items": f"at most {MAX_SKUS} items a request"})
    recorded = state().services.inventory.set_stock(
        principal().company_id,
        [
            StockLevel(item.sku, item.quantity, item.name, item.warehouse or DEFAULT_WAREHOUSE)
            for item in body.items
        ],
    )
    return jsonify(recorded=recorded)


def register(blueprint: Blueprint) -> None:
    """Add these routes to the management API's blueprint."""
    blueprint.get("/stores/<store_id>/mappings")(list_mappings)
    blueprint.post("/stores/<store_id>/mappings")(create_mapping)
    blueprint.get("/mappings/<mapping_id>")(get_mapping)
    blueprint.patch("/mappings/<mapping_id>/stock")(change_mapping_stock)
    blueprint.delete("/mappings/<mapping_id>")(delete_mapping)
    blueprint.post("/mappings/<mapping_id>/toggle")(toggle_mapping)
    blueprint.get("/stores/<store_id>/mappings/stats")(mapping_stats)
    blueprint.post("/stores/<store_id>/mappings/import")(import_mappings)
    blueprint.get("/stores/<store_id>/mappings/export")(export_mappings)
    blueprint.put("/stock")(set_stock)
