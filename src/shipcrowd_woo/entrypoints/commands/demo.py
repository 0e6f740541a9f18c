"""`shipcrowd-woo demo`: the whole product on one machine with nothing configured.

A sandbox store (thousands of orders, hundreds of products with variations) and the app,
both on 127.0.0.1, with SQLite and the in-process broker: the store is installed through the
management API, orders are imported, products mapped, stock pushed, orders changed at the
store and their signed webhooks delivered to the app, then an incremental sync; a consumer
reads the order feed (a cancellation and a refund among its events). Every step is checked;
the exit code is 0 only when every check holds.
"""

import json
import secrets
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import httpx
import jwt
from werkzeug.serving import make_server

from shipcrowd_woo.adapters.crypto import generate_key_text, parse_encryption_keys
from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.entrypoints.api.state import EXTENSION, AppState
from shipcrowd_woo.entrypoints.bootstrap import Services, bootstrap
from shipcrowd_woo.entrypoints.commands.demo_feed import feed_loop
from shipcrowd_woo.entrypoints.commands.demo_fulfilment import fulfilment_loop
from shipcrowd_woo.entrypoints.commands.demo_report import COMPANY, Report, ok
from shipcrowd_woo.entrypoints.commands.demo_stock import (
    offered,
    reserved_through_the_api,
    second_store_loop,
)
from shipcrowd_woo.entrypoints.commands.sync import page_progress
from shipcrowd_woo.entrypoints.flask_app import BACKGROUND, create_app
from shipcrowd_woo.entrypoints.logs import configure_logging
from shipcrowd_woo.entrypoints.settings import Settings
from shipcrowd_woo.sandbox.delivery import delivery_headers
from shipcrowd_woo.sandbox.server import QuietRequestHandler, SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore

CHANGED_ORDERS = 100
NEW_ORDERS = 25
# More than five failed deliveries in a row make WooCommerce disable a webhook.
HEALING_CHANGES = 8


@click.command()
@click.option("--orders", default=5000, show_default=True, type=click.IntRange(50, 200_000))
@click.option("--products", default=500, show_default=True, type=click.IntRange(10, 20_000))
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's SQLite database here (a temporary folder otherwise).",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the sandbox's data.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo(orders: int, products: int, directory: Path | None, seed: int, as_json: bool) -> None:
    """Run the whole product against the bundled sandbox store and check every step."""
    configure_logging("text", "WARNING")
    with tempfile.TemporaryDirectory(prefix="shipcrowd-woo-demo-") as scratch:
        folder = directory or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        report = run_demo(folder, orders, products, seed, quiet=as_json)
    click.echo(json.dumps(report.as_data(), indent=2) if as_json else report.as_table())
    sys.exit(0 if report.passed else 1)


def run_demo(folder: Path, orders: int, products: int, seed: int, quiet: bool) -> Report:
    """The demo's steps; the report says what happened and whether it held."""
    report = Report()
    database_url = f"sqlite:///{folder / 'demo.sqlite3'}"
    with report.step("database"):
        upgrade(database_url)
    with report.step(f"sandbox store: {orders} orders, {products} products"):
        sandbox = SandboxServer(SandboxStore(seed=seed, products=products, orders=orders))
        sandbox.start()
    # The app's public URL is its own port, known once the socket is bound: bind first.
    web = _WebServer(_not_ready)
    base_url = f"http://127.0.0.1:{web.port}"
    jwt_secret = secrets.token_urlsafe(32)
    settings = Settings(
        database_url=database_url,
        encryption_keys=tuple(parse_encryption_keys(generate_key_text("demo"))),
        public_base_url=base_url,
        allow_private_hosts=True,
        jwt_secret=jwt_secret,
        rate_limit="100000 per minute",
        # The demo drives every sync itself; the scheduler's first tick finds no store.
        scheduler_tick=timedelta(days=1),
        # Stock changes coalesce for a second before their push (5 s in production).
        stock_push_window=timedelta(seconds=1),
    )
    services = bootstrap(settings)
    app = create_app(services=services)
    web.serve(app)
    try:
        with _api(base_url, jwt_secret) as api:
            store_id = _walk_through(
                report, api, services, app.extensions[EXTENSION], sandbox, quiet
            )
            feed_loop(report, api, services, sandbox, store_id)
            fulfilment_loop(report, api, services, sandbox, store_id)
            second_store_loop(report, api, services, sandbox, seed, products)
            _self_healing(report, api, services, sandbox, web, app, store_id)
    finally:
        web.stop()
        for part in app.extensions[BACKGROUND]:
            part.stop()
        sandbox.stop()
        services.close()
    return report


class _WebServer:
    """The app on one port of 127.0.0.1, which the demo can stop and start again."""

    def __init__(self, app: Any) -> None:
        self._server = self._bind(app, 0)
        self.port: int = self._server.server_port
        self._thread: threading.Thread | None = None

    @staticmethod
    def _bind(app: Any, port: int) -> Any:
        return make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=QuietRequestHandler
        )

    def serve(self, app: Any) -> None:
        """Answer with `app` (on the same port after a stop)."""
        if self._thread is not None:
            self._server = self._bind(app, self.port)
        self._server.app = app
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.start()

    def stop(self) -> None:
        """Stop answering; connections are refused until `serve` again."""
        if self._thread is None or not self._thread.is_alive():
            return
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def _not_ready(_: Any, start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


@contextmanager
def _api(base_url: str, jwt_secret: str) -> Iterator[httpx.Client]:
    token = jwt.encode(
        {
            "company_id": COMPANY,
            "role": "admin",
            "sub": "demo",
            "exp": datetime.now(UTC) + timedelta(hours=6),
        },
        jwt_secret,
        "HS256",
    )
    with httpx.Client(
        base_url=f"{base_url}/integrations/woocommerce",
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    ) as client:
        yield client


def _walk_through(
    report: Report,
    api: httpx.Client,
    services: Services,
    app: AppState,
    sandbox: SandboxServer,
    quiet: bool,
) -> StoreId:
    store = sandbox.store
    with report.step("install through the API"):
        key, secret = store.create_api_key()
        installed = ok(
            api.post(
                "/install",
                json={"store_url": sandbox.url, "consumer_key": key, "consumer_secret": secret},
            )
        )
        store_id = StoreId(installed["store"]["id"])
        sandbox.deliverer.flush()
    report.check("webhooks registered", 8, len(installed["webhooks"]["created"]))

    with report.step("full import"), page_progress("importing pages", quiet) as on_page:
        first = services.orders.run(COMPANY, store_id, SyncMode.FULL, on_page=on_page).log
    assert first is not None
    report.figures["orders imported"] = first.metadata.get("created", 0)
    report.check("every order imported", len(store.orders), first.metadata.get("created"))

    with report.step("full import again"):
        again = services.orders.run(COMPANY, store_id, SyncMode.FULL).log
    assert again is not None
    report.figures["duplicates prevented (second full import)"] = again.skipped
    report.check("second import creates nothing", 0, again.metadata.get("created"))
    report.check("second import updates nothing", 0, again.metadata.get("updated"))

    sellable = {p["sku"]: p for p in store.products.values() if p["type"] != "variable"}
    with report.step("warehouse stock and auto-mapping"):
        levels = [{"sku": sku, "quantity": (i * 7) % 50} for i, sku in enumerate(sellable)]
        ok(api.put("/stock", json={"items": levels}))
        mapped = _run_job(api, services, f"/stores/{store_id}/mappings/auto")
    report.figures["mappings created"] = mapped["result"]["created"]
    report.check("every product and variation mapped", len(sellable), mapped["result"]["created"])

    with report.step("inventory push"):
        pushed = _run_job(api, services, f"/stores/{store_id}/sync/inventory")
    # WooCommerce fires product.updated on every save: one echo of our push per item, sent
    # one after another by the store's queue, each recognised and ignored.
    with report.step("the push's product.updated echoes delivered and ignored"):
        sandbox.deliverer.flush()
        services.broker.join(QUEUE)
    result = pushed["result"]
    report.figures["stock levels pushed"] = result["synced"]
    report.figures["inventory batch requests"] = result.get("batch_requests")
    wanted = offered(
        {level["sku"]: level["quantity"] for level in levels}, reserved_through_the_api(api)
    )
    report.check(
        "store stock is on hand less what the open orders still have to ship",
        wanted,
        {sku: sellable[sku]["stock_quantity"] for sku in wanted},
    )

    with report.step(f"{CHANGED_ORDERS} orders change and {NEW_ORDERS} arrive at the store"):
        changed = store.advance_orders(CHANGED_ORDERS)
        added = store.add_random_orders(NEW_ORDERS)
        sandbox.deliverer.flush()
        services.broker.join(QUEUE)
    forged = _forged_delivery(api, sandbox, store, added[0])
    report.check("a forged delivery is refused", 401, forged)

    with report.step("incremental sync"):
        incremental = _run_job(
            api, services, f"/stores/{store_id}/sync/orders", {"mode": "incremental"}
        )
    report.figures["incremental: created / updated / unchanged"] = (
        f"{incremental['result']['created']} / {incremental['result']['updated']} / "
        f"{incremental['result']['skipped']}"
    )

    deliveries = _deliveries_by_result(app)
    report.figures["webhook deliveries accepted"] = deliveries.get("accepted", 0)
    report.figures["webhook deliveries rejected"] = sum(
        count for result, count in deliveries.items() if result.startswith("refused")
    )
    report.figures["webhook duplicates ignored"] = deliveries.get("duplicate", 0)
    report.figures["webhook pings answered"] = deliveries.get("ping", 0)
    report.check("every ping answered", 8, deliveries.get("ping", 0))
    report.check(
        "the store saw every delivery answered 200",
        [0] * 8,
        [hook.failure_count for hook in store.webhooks.values()],
    )
    report.check(
        "changed and new orders came by webhook first", 0, incremental["result"]["created"]
    )
    with services.uow_factory() as uow:
        total = uow.orders.count(COMPANY, store_id)
        stale = [
            order_id
            for order_id in changed + added
            if (o := uow.orders.get(OrderKey(COMPANY, store_id, order_id))) is None
            or o.woo_status != store.orders[order_id]["status"]
        ]
    report.figures["orders in Shipcrowd"] = total
    report.check("orders in Shipcrowd equal orders at the store", len(store.orders), total)
    report.check("changed and new orders are current", [], stale)
    return store_id


def _self_healing(
    report: Report,
    api: httpx.Client,
    services: Services,
    sandbox: SandboxServer,
    web: _WebServer,
    app: Any,
    store_id: StoreId,
) -> None:
    """The intake goes down; the store's failed deliveries make it disable the webhook (as
    WooCommerce does after more than five); the intake comes back. The incremental import
    finds changes no delivery announced, the scheduler's next tick queues a webhook check at
    once on that evidence, and the check reactivates the webhook."""
    store = sandbox.store
    hook = next(h for h in store.webhooks.values() if h.topic == "order.updated")
    with report.step(f"intake down while {HEALING_CHANGES} orders change; intake back"):
        web.stop()
        changed = store.advance_orders(HEALING_CHANGES)
        sandbox.deliverer.flush()
        web.serve(app)
    report.check("the store disabled the webhook whose deliveries failed", "disabled", hook.status)
    with report.step("incremental import (the scheduler's, every 15 minutes)"):
        imported = _run_job(
            api, services, f"/stores/{store_id}/sync/orders", {"mode": "incremental"}
        )
    report.check("the missed changes imported", len(changed), imported["result"]["updated"])
    with report.step("the scheduler's next tick: a webhook check on that evidence"):
        tick = services.scheduler.tick()
        services.broker.join(QUEUE)
    report.check("a webhook check queued at once", True, store_id in tick.checks_queued)
    webhooks = ok(api.get(f"/stores/{store_id}"))["webhooks"]
    report.check(
        "the check reactivated the webhook",
        ["repaired", "active"],
        [webhooks["health"], hook.status],
    )


def _run_job(
    api: httpx.Client, services: Services, path: str, body: dict[str, Any] | None = None
) -> Any:
    """Queue a job through the API, wait for the embedded worker, answer its final state."""
    job = ok(api.post(path, json=body or {}))
    services.broker.join(QUEUE)
    done = ok(api.get(f"/sync/jobs/{job['id']}"))
    if done["state"] != "completed":
        raise click.ClickException(f"{done['kind']} {done['state']}: {done['error']}")
    return done


def _forged_delivery(
    api: httpx.Client, sandbox: SandboxServer, store: SandboxStore, order_id: int
) -> int:
    """A delivery claiming to come from the store, signed with a wrong secret."""
    hook = next(h for h in store.webhooks.values() if h.topic == "order.updated")
    body = json.dumps(store.order_json(order_id)).encode()
    intake = str(api.base_url).replace("/integrations/woocommerce", "")
    return httpx.post(
        f"{intake}/webhooks/woocommerce/order/updated",
        content=body,
        headers=delivery_headers(
            sandbox.url + "/",
            "order.updated",
            hook.id,
            "Zm9yZ2VkIHNpZ25hdHVyZSBmb3IgdGhlIGRlbW8=",
            delivery_id="0" * 32,
        ),
    ).status_code


def _deliveries_by_result(app: AppState) -> dict[str, int]:
    counts: dict[str, int] = {}
    for family in app.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "shipcrowd_woo_webhook_deliveries_total":
                result = sample.labels["result"]
                counts[result] = counts.get(result, 0) + int(sample.value)
    return counts
