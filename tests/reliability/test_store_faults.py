"""A flaky store: the sandbox spoils 20% of its answers (500, 429 with Retry-After, answers
slower than our read timeout, truncated JSON) during a 5,000-order import and a 2,000-SKU
inventory push. The import completes with every order; the push completes, or records each
failed item on its mapping; no run says COMPLETED having lost anything."""

from shipcrowd_woo.domain.errors import StoreClientError
from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.sync_log import SyncStatus
from shipcrowd_woo.entrypoints.bootstrap import bootstrap
from shipcrowd_woo.sandbox.faults import Fault, FaultPlan
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from shipcrowd_woo.services.inventory import StockLevel
from shipcrowd_woo.services.reservations import reserved_units
from tests.apps import api_settings

COMPANY = CompanyId("acme")


def test_a_flaky_store_loses_nothing(migrated_sqlite_template, tmp_path, figures):
    database = tmp_path / "faults.sqlite3"
    database.write_bytes(migrated_sqlite_template.read_bytes())
    store = SandboxStore(seed=77, products=1430, orders=5000)
    sellable = [p for p in store.products.values() if p["type"] != "variable"]
    assert len(sellable) >= 2000
    faults = FaultPlan(rate=0.2, seed=5, retry_after_seconds=1, slow_seconds=0.8)
    services = bootstrap(
        api_settings(database, allow_private_hosts=True, read_timeout=0.3, connect_timeout=2)
    )
    try:
        with SandboxServer(store, faults=faults) as server:
            key, secret = store.create_api_key()
            installed = services.stores.install(COMPANY, server.url, Secret(key), Secret(secret))
            store_id = installed.store.id
            imported = _until_complete(
                lambda: services.orders.run(COMPANY, store_id, SyncMode.FULL)
            )
            services.inventory.set_stock(
                COMPANY, [StockLevel(p["sku"], 3 + i % 9) for i, p in enumerate(sellable)]
            )
            services.mappings.auto_map(COMPANY, store_id)
            pushed = _until_complete(lambda: services.inventory.push(COMPANY, store_id))
        with services.uow_factory() as uow:
            count = uow.orders.count(COMPANY, store_id)
            mappings = uow.mappings.for_store(COMPANY, store_id)
            reserved = reserved_units(uow, COMPANY, [m.shipcrowd_sku for m in mappings])
    finally:
        services.close()

    assert count == len(store.orders) == 5000
    # What the store is offered: on hand less what the imported open orders hold (issue 32).
    on_hand = {p["sku"]: 3 + i % 9 for i, p in enumerate(sellable)}
    wanted = {sku: max(0, units - reserved.get(sku, 0)) for sku, units in on_hand.items()}
    at_store = {p["sku"]: p["stock_quantity"] for p in sellable}
    failed_skus = {m.shipcrowd_sku for m in mappings if m.last_sync_error}
    wrong = {sku for sku in wanted if at_store[sku] != wanted[sku]}
    # Whatever did not reach the store is recorded against its mapping; nothing else differs.
    assert wrong <= failed_skus
    for run in imported + pushed:
        if run.status is SyncStatus.COMPLETED:
            assert run.failed == 0
    assert imported[-1].status is SyncStatus.COMPLETED
    section = figures["store faults (sandbox spoils 20% of answers)"]
    section["faults injected"] += faults.total_injected
    for kind in Fault:
        section[f"  of which {kind.value}"] += faults.injected[kind]
    section["import runs needed"] += len(imported)
    section["orders expected"] += 5000
    section["orders present"] += count
    section["stock levels pushed"] += pushed[-1].synced
    section["stock levels not pushed (recorded per mapping)"] += len(wrong)
    section["faults survived"] += faults.total_injected


def _until_complete(run, attempts=4):
    """What the job queue does: run again after a run that failed on a store error (the
    error propagates; the failed run is on its sync log)."""
    logs = []
    for _ in range(attempts):
        try:
            outcome = run()
        except StoreClientError:
            continue
        logs.append(outcome.log)
        if outcome.log.status is not SyncStatus.FAILED:
            break
    return logs
