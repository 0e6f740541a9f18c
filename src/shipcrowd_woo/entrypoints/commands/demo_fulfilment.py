"""The demo's fulfilment loop: Shipcrowd ships imported orders through the API and the
store shows it, the stock that left the warehouse reaching the store by itself."""

import httpx

from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.entrypoints.bootstrap import Services
from shipcrowd_woo.entrypoints.commands.demo_report import COMPANY, Report, ok
from shipcrowd_woo.entrypoints.commands.demo_stock import offered, reserved_through_the_api
from shipcrowd_woo.sandbox.server import SandboxServer

FULFILLED_ORDERS = 50
TRACKING_META = "_wc_shipment_tracking_items"


def fulfilment_loop(
    report: Report,
    api: httpx.Client,
    services: Services,
    sandbox: SandboxServer,
    store_id: StoreId,
) -> None:
    """Shipcrowd ships orders: each fulfilment puts tracking and a customer note on the order
    and completes it; the shipped units leave the warehouse, and the new levels reach the
    store by themselves. A cancelled order is refused; a repeated fulfilment changes
    nothing."""
    store = sandbox.store
    chosen = [i for i, o in sorted(store.orders.items()) if o["status"] == "processing"]
    chosen = chosen[:FULFILLED_ORDERS]
    skus = sorted({p["sku"] for p in store.products.values() if p["type"] != "variable"})
    with services.uow_factory() as uow:
        before = uow.warehouse.quantities(COMPANY, skus)
        sku_of = {m.target: m.shipcrowd_sku for m in uow.mappings.for_store(COMPANY, store_id)}
    shipped: dict[str, int] = {}
    for order_id in chosen:
        for line in store.orders[order_id]["line_items"]:
            sku = sku_of.get((line["product_id"], line["variation_id"] or None))
            if sku is not None:
                shipped[sku] = shipped.get(sku, 0) + line["quantity"]
    with report.step(f"fulfil {len(chosen)} orders through the API; stock follows by itself"):
        answers = [_fulfil(api, store_id, order_id) for order_id in chosen]
        services.broker.join(QUEUE)
        sandbox.deliverer.flush()
        services.broker.join(QUEUE)
    report.check("fulfilments accepted", [202] * len(chosen), [a.status_code for a in answers])
    jobs = [ok(api.get(f"/sync/jobs/{a.json()['job']['id']}")) for a in answers]
    report.figures["store requests per fulfilment"] = sorted(
        {job["result"].get("requests") for job in jobs}
    )
    tracked = [
        [item["tracking_number"] for item in store.order_meta(order_id, TRACKING_META) or []]
        for order_id in chosen
    ]
    report.check("tracking on every fulfilled order", [[f"DEMO-{i}"] for i in chosen], tracked)
    report.check(
        "one customer note on every fulfilled order",
        [1] * len(chosen),
        [sum(n["customer_note"] for n in store.order_notes(i)) for i in chosen],
    )
    report.check(
        "fulfilled orders completed at the store",
        ["completed"] * len(chosen),
        [store.orders[i]["status"] for i in chosen],
    )
    with services.uow_factory() as uow:
        ours = [uow.orders.get(OrderKey(COMPANY, store_id, i)) for i in chosen]
        after = uow.warehouse.quantities(COMPANY, skus)
    report.check(
        "our own completions came back by webhook",
        ["completed"] * len(chosen),
        [order.woo_status if order else None for order in ours],
    )
    expected = {sku: max(0, before[sku] - units) for sku, units in shipped.items()}
    report.figures["warehouse SKUs shipped from"] = len(expected)
    report.check(
        "shipped stock left the warehouse", expected, {sku: after[sku] for sku in expected}
    )
    by_sku = {p["sku"]: p for p in store.products.values() if p["type"] != "variable"}
    # Shipping took the units off on hand and off what the orders hold: the store's level
    # is what the open orders left of the new on hand, as before they shipped.
    left = offered(expected, reserved_through_the_api(api))
    report.check(
        "the new levels reached the store by themselves",
        left,
        {sku: by_sku[sku]["stock_quantity"] for sku in expected},
    )
    cancelled = next(i for i, o in sorted(store.orders.items()) if o["status"] == "cancelled")
    refused = _fulfil(api, store_id, cancelled)
    report.check(
        "a cancelled order is refused, and stays cancelled",
        (409, "cancelled"),
        (refused.status_code, store.orders[cancelled]["status"]),
    )
    first = chosen[0]
    notes_before = len(store.order_notes(first))
    again = _fulfil(api, store_id, first)
    services.broker.join(QUEUE)
    report.check(
        "a repeated fulfilment changes nothing",
        (200, answers[0].json()["fulfillment"]["id"], notes_before, 1, after),
        (
            again.status_code,
            again.json()["fulfillment"]["id"],
            len(store.order_notes(first)),
            len(store.order_meta(first, TRACKING_META)),
            _quantities(services, skus),
        ),
    )


def _fulfil(api: httpx.Client, store_id: StoreId, order_id: int) -> httpx.Response:
    return api.post(
        f"/stores/{store_id}/orders/{order_id}/fulfillments",
        json={
            "carrier": "PPL",
            "tracking_number": f"DEMO-{order_id}",
            "tracking_url": f"https://www.ppl.cz/vyhledat-zasilku?shipmentId=DEMO-{order_id}",
        },
    )


def _quantities(services: Services, skus: list[str]) -> dict[str, int]:
    with services.uow_factory() as uow:
        return uow.warehouse.quantities(COMPANY, skus)
