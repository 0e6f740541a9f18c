"""The demo's stock that never oversells (issue 32): each store is offered on hand less what
the open orders of every store still have to ship, and a sale on one store lowers the other
store's stock by itself."""

from typing import Any

import httpx

from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.entrypoints.bootstrap import Services
from shipcrowd_woo.entrypoints.commands.demo_report import COMPANY, Report, ok
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore


def reserved_through_the_api(api: httpx.Client) -> dict[str, int]:
    """What the open orders (ship or hold) still have to ship of each warehouse SKU, read as
    Shipcrowd's shipping side reads them: GET /orders, page by page."""
    reserved: dict[str, int] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"shippable": "ship,hold", "limit": 100}
        if cursor is not None:
            params["cursor"] = cursor
        page = ok(api.get("/orders", params=params))
        for order in page["items"]:
            for line in order["lines"]:
                if line["warehouse_sku"] is not None:
                    sku = line["warehouse_sku"]
                    reserved[sku] = reserved.get(sku, 0) + line["to_ship"]
        cursor = page["next_cursor"]
        if cursor is None:
            return reserved


def offered(on_hand: dict[str, int], reserved: dict[str, int]) -> dict[str, int]:
    """What a store with no buffer is offered of each SKU."""
    return {sku: max(0, units - reserved.get(sku, 0)) for sku, units in on_hand.items()}


def second_store_loop(
    report: Report,
    api: httpx.Client,
    services: Services,
    first: SandboxServer,
    seed: int,
    products: int,
) -> None:
    """A second store selling the same catalogue (the sandbox's seed and size) is
    connected; a sale at the first store reaches it within one push window."""
    catalogue = SandboxStore(seed=seed, products=products, orders=0)
    with SandboxServer(catalogue) as second:
        with report.step("a second store with the same catalogue: installed, mapped, pushed"):
            key, secret = second.store.create_api_key()
            body = {"store_url": second.url, "consumer_key": key, "consumer_secret": secret}
            store_id = StoreId(ok(api.post("/install", json=body))["store"]["id"])
            _run(api, services, f"/stores/{store_id}/mappings/auto")
            _run(api, services, f"/stores/{store_id}/sync/inventory")
            second.deliverer.flush()
            services.broker.join(QUEUE)
        before = _shown(second.store)
        with services.uow_factory() as uow:
            on_hand = uow.warehouse.quantities(COMPANY, sorted(before))
        report.check(
            "the second store is offered on hand less what the first store's orders hold",
            offered(on_hand, reserved_through_the_api(api)),
            before,
        )
        with report.step("a sale at the first store, delivered by webhook"):
            (order_id,) = first.store.add_random_orders(1)
            first.store.update_order(order_id, status="processing")
            first.deliverer.flush()
            services.broker.join(QUEUE)
            second.deliverer.flush()
            services.broker.join(QUEUE)
        sold: dict[str, int] = {}
        # The demo maps every item by its own SKU (auto-mapping).
        for line in first.store.orders[order_id]["line_items"]:
            sold[line["sku"]] = sold.get(line["sku"], 0) + line["quantity"]
        report.figures["units sold at the first store"] = sum(sold.values())
        report.check(
            "the sale lowered the second store's stock by its units, by itself",
            {sku: max(0, before[sku] - units) for sku, units in sold.items()},
            {sku: _shown(second.store)[sku] for sku in sold},
        )
        # Disconnected while it still answers: nothing is left to send it once it is gone.
        ok(api.delete(f"/stores/{store_id}"))
        services.broker.join(QUEUE)


def _run(api: httpx.Client, services: Services, path: str) -> None:
    ok(api.post(path, json={}))
    services.broker.join(QUEUE)


def _shown(store: SandboxStore) -> dict[str, int]:
    """The stock the store shows of each SKU it sells."""
    return {
        p["sku"]: p["stock_quantity"] for p in store.products.values() if p["type"] != "variable"
    }
