"""`shipcrowd-woo sync …`: import orders or push stock now, in this process, with progress."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.jobs import ReconcileOrders, SyncMode
from shipcrowd_woo.domain.sync_log import SyncLog
from shipcrowd_woo.entrypoints.api.views import job_view, log_view
from shipcrowd_woo.entrypoints.commands import common as cli
from shipcrowd_woo.ports.store_client import OrderPage
from shipcrowd_woo.services.order_sync import SyncOutcome


@click.group()
def sync() -> None:
    """Run a sync now (the scheduler runs incremental ones by itself)."""


def run_summary(view: dict[str, Any]) -> str:
    """One line for a finished run, or why it did not run."""
    if "not_run" in view:
        return f"not run: {view['not_run']}"
    details = ", ".join(f"{k} {v}" for k, v in view["details"].items() if isinstance(v, int))
    errors = "".join(f"\n  {error}" for error in view["errors"])
    return (
        f"{view['status']}: {view['processed']} processed, {view['synced']} synced, "
        f"{view['skipped']} skipped, {view['failed']} failed"
        f"{f' ({details})' if details else ''} in {view['duration_seconds']:.1f}s{errors}"
    )


def outcome_view(outcome: SyncOutcome) -> dict[str, Any]:
    """The run's log, or why nothing ran."""
    return log_view(outcome.log) if outcome.log else {"not_run": outcome.skipped}


@contextmanager
def page_progress(label: str, quiet: bool) -> Iterator[Callable[[OrderPage, SyncLog], None]]:
    """A progress bar on stderr fed page by page (none when `quiet` or not at a terminal)."""
    if quiet or not sys.stderr.isatty():
        yield lambda _, __: None
        return
    with click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True) as bar:

        def advance(page: OrderPage, _: SyncLog) -> None:
            bar.length = page.total_pages
            bar.update(1)

        yield advance


@sync.command("orders")
@click.argument("store_id")
@click.option(
    "--mode",
    type=click.Choice([mode.value for mode in SyncMode]),
    default=SyncMode.INCREMENTAL.value,
    show_default=True,
)
@click.option("--order-id", type=click.IntRange(1), help="The order, for --mode single.")
@cli.company_option
@cli.json_option
def sync_orders(
    store_id: str, mode: str, order_id: int | None, company: CompanyId, as_json: bool
) -> None:
    """Import orders from the store (pages shown as they are saved)."""
    with cli.services() as built, page_progress("pages", as_json) as on_page:
        outcome = built.orders.run(
            company, StoreId(store_id), SyncMode(mode), order_id, on_page=on_page
        )
    cli.show(outcome_view(outcome), as_json, run_summary)


@sync.command("reconcile")
@click.argument("store_id")
@cli.company_option
@cli.json_option
def sync_reconcile(store_id: str, company: CompanyId, as_json: bool) -> None:
    """Compare the store's order ids with ours, as the scheduler does each day: orders deleted
    at the store (which sends no webhook) are marked deleted, orders we lack are imported."""
    with cli.services() as built:
        done = cli.run_job_here(built, company, ReconcileOrders(company, StoreId(store_id)))
    cli.show(job_view(done), as_json, cli.job_line)


@sync.command("inventory")
@click.argument("store_id")
@click.option("--sku", "skus", multiple=True, help="Only these warehouse SKUs (repeatable).")
@cli.company_option
@cli.json_option
def sync_inventory(store_id: str, skus: tuple[str, ...], company: CompanyId, as_json: bool) -> None:
    """Push warehouse stock of every mapped SKU (or those given) to the store."""
    with cli.services() as built:
        outcome = built.inventory.push(company, StoreId(store_id), skus)
    cli.show(outcome_view(outcome), as_json, run_summary)
