"""Issue 15 end to end, over real HTTP both ways: the intake goes down, the sandbox store
disables the webhook whose deliveries failed (as WooCommerce does after more than five), the
intake comes back — and with nobody calling anything, the scheduler's health check
reactivates the webhook within one (shortened) check interval and the import it queues
brings in the changes the store could not deliver."""

import queue
import threading
from datetime import timedelta

from werkzeug.serving import make_server

from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.jobs import JobRecord, JobState
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.entrypoints.bootstrap import bootstrap
from shipcrowd_woo.entrypoints.flask_app import BACKGROUND, create_app
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.apps import COMPANY, api_settings, bearer, install_over_http

CHECK_EVERY = timedelta(seconds=3)
TICK = timedelta(milliseconds=100)
WAIT = 60.0
HEALING = "self-healing webhooks (issue 15)"


class Intake:
    """The app served on one port that can be taken down and brought back."""

    def __init__(self, app, port: int = 0) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def down(self) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


def _next(finished: "queue.Queue[JobRecord]", kind: str, **result) -> JobRecord:
    """The next finished job of `kind` whose result has these values."""
    while True:
        record = finished.get(timeout=WAIT)
        if record.kind == kind and all(record.summary.get(k) == v for k, v in result.items()):
            return record


def test_a_webhook_the_store_disabled_is_repaired_and_its_changes_imported_by_themselves(
    migrated_sqlite_template, tmp_path, figures
):
    database = tmp_path / "healing.sqlite3"
    database.write_bytes(migrated_sqlite_template.read_bytes())
    placeholder = make_server("127.0.0.1", 0, None)
    port = placeholder.server_port
    placeholder.server_close()
    settings = api_settings(
        database,
        public_base_url=f"http://127.0.0.1:{port}",
        allow_private_hosts=True,
        scheduler_tick=TICK,
        webhook_check_interval=CHECK_EVERY,
    )
    services = bootstrap(settings)
    finished: queue.Queue[JobRecord] = queue.Queue()
    services.runner.observers.append(lambda record: record.is_final and finished.put(record))
    app = create_app(services=services)
    intake = Intake(app, port)
    try:
        with SandboxServer(SandboxStore(seed=31, products=6, orders=30)) as sandbox:
            client = app.test_client()
            store_id = install_over_http(client, sandbox.store, sandbox.url)["store"]["id"]
            client.post(
                f"/integrations/woocommerce/stores/{store_id}/sync/orders",
                json={"mode": "full"},
                headers=bearer(),
            )
            assert _next(finished, "sync_orders").state is JobState.COMPLETED
            # As for any store connected a while: its periodic checks have begun.
            _next(finished, "check_webhooks", health="healthy")

            intake.down()
            changed = sandbox.store.advance_orders(8)
            sandbox.deliverer.flush()
            hooks = {hook.topic: hook for hook in sandbox.store.webhooks.values()}
            assert hooks["order.updated"].status == "disabled"
            intake = Intake(app, port)
            back_at = services.clock.now()

            repaired = _next(finished, "check_webhooks", health="repaired")
            imported = _next(finished, "sync_orders")
            assert imported.id == repaired.summary["sync_job_id"]
            assert imported.state is JobState.COMPLETED
            assert hooks["order.updated"].status == "active"
            wanted = {order_id: sandbox.store.orders[order_id]["status"] for order_id in changed}
    finally:
        intake.down()
        for part in app.extensions[BACKGROUND]:
            part.stop()
    try:
        assert repaired.created_at - back_at < CHECK_EVERY + 10 * TICK
        with services.uow_factory() as uow:
            ours = {
                order_id: uow.orders.get(
                    OrderKey(CompanyId(COMPANY), StoreId(store_id), order_id)
                ).woo_status
                for order_id in changed
            }
        assert ours == wanted
        store = client.get(f"/integrations/woocommerce/stores/{store_id}", headers=bearer())
        assert store.get_json()["webhooks"]["health"] in ("repaired", "healthy")
        assert store.get_json()["webhooks"]["repaired_at"] is not None
    finally:
        services.close()
    figures[HEALING]["webhooks disabled by the store while the intake was down"] += 1
    figures[HEALING]["repaired by the scheduled check, nobody calling"] += 1
    figures[HEALING]["changes missed and then imported"] += len(changed)
