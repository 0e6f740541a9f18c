"""The operator's commands against a sandbox store over HTTP: stores, sync, mappings, logs —
text for people, --json for scripts, one-line errors for mistakes."""

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from shipcrowd_woo.adapters.crypto import generate_key_text
from shipcrowd_woo.entrypoints.cli import main
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.databases import sqlite_url


def _ids_of_mappings(folder, count):
    """Mapping ids as an operator finds them: the database the commands use."""
    with sqlite3.connect(folder / "cli.sqlite3") as connection:
        rows = connection.execute("SELECT id FROM product_mappings ORDER BY id LIMIT ?", (count,))
        return [row[0] for row in rows]


@pytest.fixture
def sandbox():
    with SandboxServer(SandboxStore(seed=61, products=12, orders=150)) as server:
        yield server


@pytest.fixture
def cli(migrated_sqlite_template, tmp_path, receiver):
    database = tmp_path / "cli.sqlite3"
    shutil.copy(migrated_sqlite_template, database)
    env = {
        "SHIPCROWD_WOO_DATABASE_URL": sqlite_url(database),
        "SHIPCROWD_WOO_ENCRYPTION_KEYS": generate_key_text("k1"),
        "SHIPCROWD_WOO_ALLOW_PRIVATE_HOSTS": "true",
        "SHIPCROWD_WOO_PUBLIC_BASE_URL": receiver.url,
        "SHIPCROWD_WOO_COMPANY": "acme",
        "SHIPCROWD_WOO_REDIS_URL": "",
    }

    def run(*args, ok=True, **options):
        result = CliRunner().invoke(main, list(args), env=env, **options)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run


def test_an_operator_connects_imports_maps_and_pushes(cli, sandbox, tmp_path):
    key, secret = sandbox.store.create_api_key()
    installed = cli("stores", "install", sandbox.url, "--key", key, "--secret", secret, "--json")
    store = json.loads(installed.stdout)["store"]
    assert secret not in installed.output
    assert store["consumer_key"] == f"{key[:3]}…{key[-4:]}"
    store_id = store["id"]

    listed = cli("stores", "list")
    assert store_id in listed.stdout
    assert "active" in listed.stdout
    assert "WooCommerce 10.0.2" in cli("stores", "test", store_id).stdout

    imported = json.loads(cli("sync", "orders", store_id, "--mode", "full", "--json").stdout)
    assert (imported["status"], imported["details"]["created"]) == ("completed", 150)
    again = cli("sync", "orders", store_id).stdout
    assert again.startswith("completed: ")

    mapped = json.loads(cli("mappings", "auto", store_id, "--json").stdout)
    assert mapped["created"] == 0  # the warehouse knows no SKU yet
    assert mapped["unmatched"] == mapped["catalogue_items"] > 0
    exported = tmp_path / "mappings.csv"
    sellable = [p for p in sandbox.store.products.values() if p["type"] != "variable"]
    exported.write_text(
        "woo_product_id,woo_variation_id,shipcrowd_sku\n"
        + "".join(
            f"{p.get('parent_id') or p['id']},{p['id'] if p.get('parent_id') else ''},{p['sku']}\n"
            for p in sellable
        )
        + "not-a-number,,X\n"
    )
    imported_csv = cli("mappings", "import", store_id, str(exported), ok=False)
    assert imported_csv.exit_code == 1
    assert f"{len(sellable)} created" in imported_csv.stdout
    assert "line " in imported_csv.stdout
    written = tmp_path / "out.csv"
    cli("mappings", "export", store_id, "-o", str(written))
    assert len(written.read_text().splitlines()) == len(sellable) + 1

    pushed = json.loads(cli("sync", "inventory", store_id, "--json").stdout)
    assert pushed["status"] == "completed"
    # Issue 32: a mapping's own limits and direction, and what its last push was made of.
    (mapping_id,) = _ids_of_mappings(tmp_path, 1)
    limited = cli("mappings", "stock", mapping_id, "--buffer", "10%", "--maximum", "3")
    assert "limits: buffer 10%, maximum 3" in limited.stdout
    counted = json.loads(
        cli("mappings", "stock", mapping_id, "--direction", "off", "--json").stdout
    )
    assert (counted["direction"], counted["stock_limits"]["maximum"]) == ("off", 3)
    refused = cli("mappings", "stock", mapping_id, "--floor", "-1", ok=False)
    assert (refused.exit_code, "floor" in refused.output) == (1, True)

    runs = json.loads(cli("logs", "list", store_id, "--json").stdout)
    assert [run["type"] for run in runs] == ["inventory", "product", "order", "order"]
    assert "paused" in cli("stores", "pause", store_id).stdout
    assert "not run" in cli("sync", "orders", store_id).stdout
    assert "active" in cli("stores", "resume", store_id).stdout
    assert "disconnected" in cli("stores", "disconnect", store_id).stdout


def test_mistakes_are_one_line_errors(cli, sandbox):
    cases = [
        (("stores", "test", "no-such-store"), "not found"),
        (("sync", "orders", "no-such-store"), "not found"),
        (
            ("stores", "install", sandbox.url, "--key", "ck_x", "--secret", "cs_x"),
            "AuthenticationFailed",
        ),
        (("stores", "install", "ftp://x", "--key", "ck_x", "--secret", "cs_x"), "store_url"),
    ]
    for args, words in cases:
        result = cli(*args, ok=False)
        assert result.exit_code == 1, result.output
        assert words.lower() in result.output.lower()
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_the_company_is_required(cli):
    result = CliRunner().invoke(main, ["stores", "list"], env={"SHIPCROWD_WOO_COMPANY": ""})
    assert result.exit_code == 2
    assert "--company" in result.output


def test_an_operator_checks_webhooks_and_reconciles(cli, sandbox):
    """Issue 15: `stores check-webhooks` repairs a webhook the store disabled and imports
    what was missed; `sync reconcile` marks an order deleted at the store; both are jobs
    whose results show in the output and the sync logs; `stores list` shows the health."""
    key, secret = sandbox.store.create_api_key()
    installed = cli("stores", "install", sandbox.url, "--key", key, "--secret", secret, "--json")
    store_id = json.loads(installed.stdout)["store"]["id"]
    assert "webhooks unchecked" in cli("stores", "list").stdout
    cli("sync", "orders", store_id, "--mode", "full")

    [disabled] = [w for w in sandbox.store.webhooks.values() if w.topic == "order.updated"]
    disabled.status = "disabled"
    checked = json.loads(cli("stores", "check-webhooks", store_id, "--json").stdout)
    assert [(job["kind"], job["state"]) for job in checked] == [
        ("check_webhooks", "completed"),
        ("sync_orders", "completed"),
    ]
    assert checked[0]["result"]["health"] == "repaired"
    assert disabled.status == "active"
    assert "webhooks repaired at " in cli("stores", "list").stdout
    assert "check_webhooks" in cli("stores", "check-webhooks", store_id).stdout

    del sandbox.store.orders[next(iter(sandbox.store.orders))]
    reconciled = json.loads(cli("sync", "reconcile", store_id, "--json").stdout)
    assert (reconciled["kind"], reconciled["state"]) == ("reconcile_orders", "completed")
    assert reconciled["result"]["marked_deleted"] == 1

    runs = json.loads(cli("logs", "list", store_id, "--json").stdout)
    assert [run["type"] for run in runs].count("webhook") == 2


def test_installing_by_an_alias_says_which_home_it_connected_as(cli):
    """Issue 16: the store calls itself localhost; typed as 127.0.0.1, it is connected under
    its home URL and the command says so."""
    with SandboxServer(SandboxStore(seed=62, products=4, orders=5), home_host="localhost") as s:
        key, secret = s.store.create_api_key()
        installed = cli("stores", "install", s.address, "--key", key, "--secret", secret)
        assert installed.stdout.startswith(f"connected as {s.url}\n")
        assert s.url in cli("stores", "list").stdout


def test_an_operator_reads_and_changes_a_stores_settings(cli, sandbox):
    """Issue 18, section 3: `stores settings` shows the settings, changes those given, and
    refuses out-of-range values in one line naming each."""
    key, secret = sandbox.store.create_api_key()
    installed = cli("stores", "install", sandbox.url, "--key", key, "--secret", secret, "--json")
    store_id = json.loads(installed.stdout)["store"]["id"]
    shown = cli("stores", "settings", store_id).stdout
    assert "orders automatic, every 15 min (overlap 5 min)" in shown
    assert "fulfilments complete the order, tell the customer" in shown
    changed = cli(
        "stores",
        "settings",
        store_id,
        "--interval-minutes",
        "60",
        "--no-inventory-auto-sync",
        "--no-notify-customer",
        "--stock-buffer",
        "10%",
        "--stock-floor",
        "2",
        "--json",
    )
    view = json.loads(changed.stdout)
    assert view["order_sync"]["interval_minutes"] == 60
    assert view["inventory_sync"] == {
        "enabled": True,
        "auto_sync": False,
        "limits": {"buffer": "10%", "floor": 2, "maximum": None},
        "warehouses": None,
    }
    assert view["fulfilment"] == {"complete_on_ship": True, "notify_customer": False}
    refused = cli(
        "stores",
        "settings",
        store_id,
        "--interval-minutes",
        "1",
        "--overlap-minutes",
        "-5",
        ok=False,
    )
    assert refused.exit_code == 1
    assert "order_sync.interval_minutes" in refused.output
    assert "order_sync.overlap_minutes" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    shown = cli("stores", "settings", store_id).stdout
    assert "every 60 min" in shown
    assert "stock limits: buffer 10%, floor 2" in shown


def test_an_operator_fulfils_an_order_and_a_cancelled_one_is_refused(cli, sandbox):
    """Issue 18, section 1: `orders fulfil` runs the fulfilment here over HTTP (tracking meta,
    customer note, completion), sent twice it changes nothing, a cancelled order is a
    one-line refusal; `orders fulfilments` lists them."""
    key, secret = sandbox.store.create_api_key()
    installed = cli("stores", "install", sandbox.url, "--key", key, "--secret", secret, "--json")
    store_id = json.loads(installed.stdout)["store"]["id"]
    cli("sync", "orders", store_id, "--mode", "full")
    orders = sorted(sandbox.store.orders.items())
    order_id = next(i for i, o in orders if o["status"] == "processing")
    line = sandbox.store.orders[order_id]["line_items"][0]
    args = ("orders", "fulfil", store_id, str(order_id), "--carrier", "PPL")
    shipped = cli(*args, "--tracking-number", "123", "--line", f"{line['id']}=1", "--json")
    view = json.loads(shipped.stdout)
    assert (view["state"], view["job"]["state"], view["lines"]) == (
        "delivered",
        "completed",
        [{"line_id": line["id"], "quantity": 1}],
    )
    again = cli(*args, "--tracking-number", "123", "--line", f"{line['id']}=1").stdout
    assert again.startswith(f"fulfilment {view['id']} of order {order_id} delivered")
    notes = [n for n in sandbox.store.order_notes(order_id) if n["customer_note"]]
    assert len(notes) == 1
    assert (
        sandbox.store.order_meta(order_id, "_wc_shipment_tracking_items")[0]["tracking_number"]
        == "123"
    )
    cancelled = next(i for i, o in orders if o["status"] == "cancelled")
    refused = cli(
        "orders",
        "fulfil",
        store_id,
        str(cancelled),
        "--carrier",
        "PPL",
        "--tracking-number",
        "9",
        ok=False,
    )
    assert refused.exit_code == 1
    assert f"order {cancelled} is cancelled" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    listed = cli("orders", "fulfilments", store_id, str(order_id)).stdout
    assert listed.count("fulfilment ") == 1


def test_an_operator_reads_orders_and_the_feed_and_sets_shipping_rules(cli, sandbox):
    """Issue 31: `orders list|show` (text and --json, keyset by --cursor), `events` (one
    JSON event per line), `stores settings --ship-status`."""
    key, secret = sandbox.store.create_api_key()
    installed = cli("stores", "install", sandbox.url, "--key", key, "--secret", secret, "--json")
    store_id = json.loads(installed.stdout)["store"]["id"]
    cli("sync", "orders", store_id, "--mode", "full")
    seen, cursor = [], "0"
    while cursor is not None:
        page = json.loads(
            cli("orders", "list", "--limit", "40", "--cursor", cursor, "--json").stdout
        )
        seen += [view["order_id"] for view in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(sandbox.store.orders)
    held = cli("orders", "list", "--shippable", "hold", "--limit", "100").stdout
    assert held.splitlines()
    assert all(" hold " in line for line in held.splitlines())
    order_id = next(i for i, o in sorted(sandbox.store.orders.items()) if o["status"] == "on-hold")
    shown = cli("orders", "show", store_id, str(order_id)).stdout
    assert f"#{order_id}" in shown
    assert "unmapped" in shown
    feed = cli("events", "--limit", "5")
    events = [json.loads(line) for line in feed.stdout.splitlines()]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert "next: --after 5 (more)" in feed.stderr
    changed = cli("stores", "settings", store_id, "--ship-status", "on-hold=ship", "--json")
    assert json.loads(changed.stdout)["shipping"]["statuses"]["on-hold"] == "ship"
    after = json.loads(cli("orders", "show", store_id, str(order_id), "--json").stdout)
    assert after["shippable"]["state"] == "ship"
    wrong = cli("stores", "settings", store_id, "--ship-status", "on-hold", ok=False)
    assert wrong.exit_code == 1
    assert "STATUS=RULE" in wrong.output
