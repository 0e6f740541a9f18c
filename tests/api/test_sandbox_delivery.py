"""Over real HTTP both ways: the app served on 127.0.0.1 with its embedded worker, the sandbox
store installed through the API; the store signs and sends a webhook, the intake answers,
the worker processes it and the order is there."""

import threading

import pytest
from werkzeug.serving import make_server

from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.order import OrderKey
from shipcrowd_woo.entrypoints.bootstrap import bootstrap
from shipcrowd_woo.entrypoints.flask_app import BACKGROUND, create_app
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.apps import COMPANY, OTHER_COMPANY, api_settings, bearer, install_over_http

SHARED_STORE = "one store, two companies (issue 14)"


@pytest.fixture
def served(migrated_sqlite_template, tmp_path):
    """The app on a real port, its public URL pointing at itself."""
    database = tmp_path / "served.sqlite3"
    database.write_bytes(migrated_sqlite_template.read_bytes())
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    services = bootstrap(api_settings(database, public_base_url=base_url, allow_private_hosts=True))
    app = create_app(services=services)
    assert BACKGROUND in app.extensions  # no Redis: worker threads and scheduler run here
    server.app = app
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield app, services
    server.shutdown()
    thread.join()
    server.server_close()
    for part in app.extensions[BACKGROUND]:
        part.stop()
    services.close()


def test_a_delivery_signed_by_the_sandbox_becomes_an_order(served):
    app, services = served
    client = app.test_client()
    with SandboxServer(SandboxStore(seed=21, products=6, orders=10)) as sandbox:
        installed = install_over_http(client, sandbox.store, sandbox.url)
        store_id = installed["store"]["id"]
        assert len(installed["webhooks"]["created"]) == 8
        assert all(hook.status == "active" for hook in sandbox.store.webhooks.values())

        [order_id] = sandbox.store.add_random_orders(1)
        sandbox.deliverer.flush()
        services.broker.join(QUEUE)
        # Every delivery (the pings included) was answered with a 2xx.
        assert [hook.failure_count for hook in sandbox.store.webhooks.values()] == [0] * 8

    with services.uow_factory() as uow:
        order = uow.orders.get(OrderKey(CompanyId(COMPANY), StoreId(store_id), order_id))
    assert order is not None
    assert order.woo_status == sandbox.store.orders[order_id]["status"]
    store = client.get(f"/integrations/woocommerce/stores/{store_id}", headers=bearer())
    assert store.get_json()["last_delivery_at"] is not None


def test_two_companies_that_connect_one_store_both_keep_receiving(served, figures):
    """Each installation's webhooks survive the other's install and re-registration; a new
    order at the store reaches both companies."""
    app, services = served
    client = app.test_client()
    with SandboxServer(SandboxStore(seed=22, products=6, orders=10)) as sandbox:
        store_ids = {}
        for company in (COMPANY, OTHER_COMPANY):
            installed = install_over_http(client, sandbox.store, sandbox.url, company)
            store_ids[company] = installed["store"]["id"]
        for company, store_id in [*store_ids.items(), *store_ids.items()]:
            registered = client.post(
                f"/integrations/woocommerce/stores/{store_id}/webhooks/register",
                headers=bearer(company),
            )
            assert registered.status_code == 200, registered.get_json()
            assert registered.get_json()["removed_strays"] == 0
        webhooks = dict(sandbox.store.webhooks)
        assert len(webhooks) == 16

        [order_id] = sandbox.store.add_random_orders(1)
        sandbox.deliverer.flush()
        services.broker.join(QUEUE)
        assert [hook.failure_count for hook in sandbox.store.webhooks.values()] == [0] * 16

    for company, store_id in store_ids.items():
        with services.uow_factory() as uow:
            order = uow.orders.get(OrderKey(CompanyId(company), StoreId(store_id), order_id))
        assert order is not None, f"{company} did not receive the new order"
        figures[SHARED_STORE]["companies that received the store's new order"] += 1
    figures[SHARED_STORE]["webhooks at the store after four registrations"] += len(webhooks)


def test_a_store_typed_by_an_alias_is_connected_under_its_home_and_keeps_receiving(served):
    """Issue 16: the store calls itself `localhost`; the merchant types 127.0.0.1. Before,
    OAuth signed for 127.0.0.1 was refused as an invalid signature (as the real WooCommerce
    10.0.2 refused localhost for its home 127.0.0.1) and deliveries, whose source is the
    home URL, would not have matched the store. Now the answer says connected as the home
    URL, and a new order's delivery is accepted and imported."""
    app, services = served
    client = app.test_client()
    with SandboxServer(
        SandboxStore(seed=23, products=6, orders=10), home_host="localhost"
    ) as sandbox:
        installed = install_over_http(client, sandbox.store, sandbox.address)
        assert installed["connected_as"] == sandbox.url
        store = installed["store"]
        assert store["url"] == sandbox.url
        assert store["rest_api"] == {"style": "wp-json", "namespaces": ["wp/v2", "wc/v3"]}
        [order_id] = sandbox.store.add_random_orders(1)
        sandbox.deliverer.flush()
        services.broker.join(QUEUE)
        assert [hook.failure_count for hook in sandbox.store.webhooks.values()] == [0] * 8
    with services.uow_factory() as uow:
        key_of_order = OrderKey(CompanyId(COMPANY), StoreId(store["id"]), order_id)
        assert uow.orders.get(key_of_order) is not None
