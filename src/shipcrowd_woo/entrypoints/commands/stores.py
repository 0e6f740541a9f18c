"""`shipcrowd-woo stores …`: connect and look after a company's stores."""

from collections.abc import Callable
from typing import Any

import click

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.ids import CompanyId, JobId, StoreId
from shipcrowd_woo.domain.jobs import CheckWebhooks
from shipcrowd_woo.domain.pagination import MAX_PAGE_SIZE, PageRequest
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.store_settings import SettingsChange
from shipcrowd_woo.entrypoints.api.views import installation_view, job_view, status_view, store_view
from shipcrowd_woo.entrypoints.commands import common as cli


@click.group()
def stores() -> None:
    """A company's WooCommerce stores."""


def _line(view: dict[str, Any]) -> str:
    state = "disconnected" if not view["is_active"] else "paused" if view["is_paused"] else "active"
    hooks = view["webhooks"]
    since = f" at {hooks['since']}" if hooks["health"] in ("repaired", "disabled") else ""
    return (
        f"{view['id']}  {view['url']}  {state}  WooCommerce {view['wc_version'] or '?'}  "
        f"{view['stats']['orders_synced']} orders  webhooks {hooks['health']}{since}, "
        f"last delivery {hooks['last_delivery_at'] or 'never'}, "
        f"checked {hooks['checked_at'] or 'never'}"
    )


@stores.command("list")
@cli.company_option
@cli.json_option
def list_stores(company: CompanyId, as_json: bool) -> None:
    """List the company's stores, newest first."""
    with cli.services() as built:
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = built.stores.list(company, PageRequest(offset=offset, limit=MAX_PAGE_SIZE))
            found += [store_view(s, built.context.secrets) for s in page.items]
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
    cli.show(found, as_json, lambda views: "\n".join(map(_line, views)) or "no stores")


@stores.command("install")
@click.argument("url")
@click.option("--key", envvar="WOOCOMMERCE_CONSUMER_KEY", prompt=True, help="Consumer key.")
@click.option(
    "--secret",
    envvar="WOOCOMMERCE_CONSUMER_SECRET",
    prompt=True,
    hide_input=True,
    help="Consumer secret (prompted without echo when not given).",
)
@click.option("--name", default="", help="A name for people (the host by default).")
@cli.company_option
@cli.json_option
def install(url: str, key: str, secret: str, name: str, company: CompanyId, as_json: bool) -> None:
    """Connect a store: test the key, keep it sealed, register the eight webhooks."""
    with cli.services() as built:
        result = built.stores.install(company, url, Secret(key), Secret(secret), name)
        view = installation_view(result, built.context.secrets)
    cli.show(
        view,
        as_json,
        lambda v: (
            (f"connected as {v['connected_as']}\n" if v["connected_as"] else "")
            + f"{_line(v['store'])}\n{len(v['webhooks']['created'])} webhooks created"
        ),
    )


StoreCommand = Callable[[str, CompanyId, bool], None]


def _store_command(name: str, summary: str) -> Callable[[StoreCommand], click.Command]:
    """A command taking one store id."""

    def decorate(function: StoreCommand) -> click.Command:
        return stores.command(name, help=summary)(
            click.argument("store_id")(cli.company_option(cli.json_option(function)))
        )

    return decorate


@_store_command("test", "Call the store with its stored key; print what it runs.")
def test(store_id: str, company: CompanyId, as_json: bool) -> None:
    with cli.services() as built:
        status = status_view(built.stores.test_connection(company, StoreId(store_id)))
    cli.show(
        status,
        as_json,
        lambda s: (
            f"WooCommerce {s['wc_version']} on WordPress {s['wp_version']}, "
            f"{s['currency']} ({s['decimals']} decimals), {s['timezone']}"
        ),
    )


@_store_command(
    "check-webhooks",
    "Check the store's webhooks now, as the scheduler does each hour: reactivate, recreate "
    "and record how they stand; when anything was broken, import what was missed.",
)
def check_webhooks(store_id: str, company: CompanyId, as_json: bool) -> None:
    with cli.services() as built:
        done = cli.run_job_here(built, company, CheckWebhooks(company, StoreId(store_id)))
        ran = [done]
        if follow_up := done.summary.get("sync_job_id"):
            ran.append(
                cli.finish_job_here(built, built.jobs.status(company, JobId(str(follow_up))))
            )
        views = [job_view(record) for record in ran]
    cli.show(views, as_json, lambda jobs: "\n".join(map(cli.job_line, jobs)))


@_store_command("pause", "Stop syncing the store.")
def pause(store_id: str, company: CompanyId, as_json: bool) -> None:
    with cli.services() as built:
        view = store_view(built.stores.pause(company, StoreId(store_id)), built.context.secrets)
    cli.show(view, as_json, _line)


@_store_command("resume", "Sync the store again.")
def resume(store_id: str, company: CompanyId, as_json: bool) -> None:
    with cli.services() as built:
        view = store_view(built.stores.resume(company, StoreId(store_id)), built.context.secrets)
    cli.show(view, as_json, _line)


@_store_command("disconnect", "Remove our webhooks at the store and deactivate it.")
def disconnect(store_id: str, company: CompanyId, as_json: bool) -> None:
    with cli.services() as built:
        store = built.stores.disconnect(company, StoreId(store_id))
        view = store_view(store, built.context.secrets)
    cli.show(view, as_json, _line)


def _settings_line(view: dict[str, Any]) -> str:
    orders, stock, fulfilment = view["order_sync"], view["inventory_sync"], view["fulfilment"]
    ships = [status for status, rule in view["shipping"]["statuses"].items() if rule == "ship"]

    def state(settings: dict[str, Any]) -> str:
        if not settings["enabled"]:
            return "off"
        return "automatic" if settings["auto_sync"] else "on request"

    return (
        f"{view['id']}  orders {state(orders)}, every {orders['interval_minutes']} min "
        f"(overlap {orders['overlap_minutes']} min)  stock {state(stock)}  fulfilments "
        f"{'complete the order' if fulfilment['complete_on_ship'] else 'leave the status'}, "
        f"{'tell' if fulfilment['notify_customer'] else 'do not tell'} the customer  "
        f"ships: {', '.join(ships)}{_limits_text(stock['limits'])}"
    )


def _limits_text(limits: dict[str, Any]) -> str:
    set_ = [f"{name} {value}" for name, value in limits.items() if value is not None]
    return f"  stock limits: {', '.join(set_)}" if set_ else ""


def _rules(texts: tuple[str, ...]) -> dict[str, str] | None:
    if not texts:
        return None
    rules = {}
    for text in texts:
        status, _, rule = text.partition("=")
        if not status or not rule:
            raise ValidationFailed({"ship_status": f"{text!r} is not STATUS=RULE"})
        rules[status] = rule
    return rules


@stores.command("settings")
@click.argument("store_id")
@click.option(
    "--order-sync/--no-order-sync", "order_sync_enabled", default=None, help="Import orders."
)
@click.option(
    "--order-auto-sync/--no-order-auto-sync",
    "order_sync_auto_sync",
    default=None,
    help="Import on the scheduler's own, not only on request.",
)
@click.option(
    "--interval-minutes",
    "order_sync_interval_minutes",
    type=int,
    help="Minutes between imports (5 to 1440).",
)
@click.option(
    "--overlap-minutes",
    "order_sync_overlap_minutes",
    type=int,
    help="Minutes re-read before the cursor (0 to 1440).",
)
@click.option(
    "--inventory-sync/--no-inventory-sync",
    "inventory_sync_enabled",
    default=None,
    help="Push stock at all.",
)
@click.option(
    "--inventory-auto-sync/--no-inventory-auto-sync",
    "inventory_sync_auto_sync",
    default=None,
    help="Push stock when it changes, not only on request.",
)
@click.option(
    "--stock-buffer",
    "inventory_sync_buffer",
    metavar="UNITS|PERCENT%|none",
    help="Held back of each SKU after what open orders reserve (5, 10%, or none).",
)
@click.option(
    "--stock-floor",
    "inventory_sync_floor",
    metavar="UNITS|none",
    help="At or below this many available, offer 0.",
)
@click.option(
    "--stock-maximum",
    "inventory_sync_maximum",
    metavar="UNITS|none",
    help="Never offer more than this many of a SKU.",
)
@click.option(
    "--complete-on-ship/--no-complete-on-ship",
    "fulfilment_complete_on_ship",
    default=None,
    help="Complete an order once every line has shipped.",
)
@click.option(
    "--notify-customer/--no-notify-customer",
    "fulfilment_notify_customer",
    default=None,
    help="Tell the customer of a fulfilment (a customer note, which WooCommerce e-mails).",
)
@click.option(
    "--ship-status",
    "ship_statuses",
    multiple=True,
    metavar="STATUS=RULE",
    help="When orders in STATUS ship: ship, hold, cancel, ignore or default (repeatable).",
)
@click.option(
    "--ship-pending-cod/--no-ship-pending-cod",
    "shipping_ship_pending_cash_on_delivery",
    default=None,
    help="Ship pending orders paid in cash on delivery.",
)
@cli.company_option
@cli.json_option
def settings(
    store_id: str,
    company: CompanyId,
    as_json: bool,
    ship_statuses: tuple[str, ...],
    **changes: Any,
) -> None:
    """Show the store's sync, fulfilment and shipping settings, changing those given first
    (each option is the SettingsChange field of its name)."""
    with cli.services() as built:
        change = SettingsChange(**changes, shipping_statuses=_rules(ship_statuses))
        store = built.stores.change_settings(company, StoreId(store_id), change)
        view = store_view(store, built.context.secrets)
    cli.show(view, as_json, _settings_line)
