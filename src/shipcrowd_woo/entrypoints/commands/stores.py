"""`shipcrowd-woo stores …`: connect and look after a company's stores."""

from collections.abc import Callable
from typing import Any

import click

from shipcrowd_woo.domain.ids import CompanyId, JobId, StoreId
from shipcrowd_woo.domain.jobs import CheckWebhooks
from shipcrowd_woo.domain.pagination import MAX_PAGE_SIZE, PageRequest
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.entrypoints.api.views import (
    job_view,
    status_view,
    store_view,
    webhook_report_view,
)
from shipcrowd_woo.entrypoints.commands.common import (
    company_option,
    finish_job_here,
    job_line,
    json_option,
    run_job_here,
    services,
    show,
)


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
@company_option
@json_option
def list_stores(company: CompanyId, as_json: bool) -> None:
    """List the company's stores, newest first."""
    with services() as built:
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = built.stores.list(company, PageRequest(offset=offset, limit=MAX_PAGE_SIZE))
            found += [store_view(s, built.context.secrets) for s in page.items]
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
    show(found, as_json, lambda views: "\n".join(map(_line, views)) or "no stores")


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
@company_option
@json_option
def install(url: str, key: str, secret: str, name: str, company: CompanyId, as_json: bool) -> None:
    """Connect a store: test the key, keep it sealed, register the eight webhooks."""
    with services() as built:
        result = built.stores.install(company, url, Secret(key), Secret(secret), name)
        view = {
            "store": store_view(result.store, built.context.secrets),
            "webhooks": webhook_report_view(result.webhooks),
            "reconnected": result.reconnected,
            "connected_as": result.connected_as,
        }
    show(
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
            click.argument("store_id")(company_option(json_option(function)))
        )

    return decorate


@_store_command("test", "Call the store with its stored key; print what it runs.")
def test(store_id: str, company: CompanyId, as_json: bool) -> None:
    with services() as built:
        status = status_view(built.stores.test_connection(company, StoreId(store_id)))
    show(
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
    with services() as built:
        done = run_job_here(built, company, CheckWebhooks(company, StoreId(store_id)))
        ran = [done]
        if follow_up := done.summary.get("sync_job_id"):
            ran.append(finish_job_here(built, built.jobs.status(company, JobId(str(follow_up)))))
        views = [job_view(record) for record in ran]
    show(views, as_json, lambda jobs: "\n".join(map(job_line, jobs)))


@_store_command("pause", "Stop syncing the store.")
def pause(store_id: str, company: CompanyId, as_json: bool) -> None:
    with services() as built:
        view = store_view(built.stores.pause(company, StoreId(store_id)), built.context.secrets)
    show(view, as_json, _line)


@_store_command("resume", "Sync the store again.")
def resume(store_id: str, company: CompanyId, as_json: bool) -> None:
    with services() as built:
        view = store_view(built.stores.resume(company, StoreId(store_id)), built.context.secrets)
    show(view, as_json, _line)


@_store_command("disconnect", "Remove our webhooks at the store and deactivate it.")
def disconnect(store_id: str, company: CompanyId, as_json: bool) -> None:
    with services() as built:
        store = built.stores.disconnect(company, StoreId(store_id))
        view = store_view(store, built.context.secrets)
    show(view, as_json, _line)
