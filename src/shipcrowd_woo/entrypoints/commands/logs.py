"""`shipcrowd-woo logs …`: sync logs, and their retention."""

import click
from sqlalchemy.exc import SQLAlchemyError

from shipcrowd_woo.adapters.clock import SystemClock
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.pagination import MAX_PAGE_SIZE, PageRequest
from shipcrowd_woo.domain.sync_log import SyncType
from shipcrowd_woo.entrypoints.api.views import log_view
from shipcrowd_woo.entrypoints.bootstrap import open_database
from shipcrowd_woo.entrypoints.commands import common as cli
from shipcrowd_woo.entrypoints.commands.sync import run_summary
from shipcrowd_woo.services.sync_logs import purge_old_sync_logs, sync_log_page


@click.group()
def logs() -> None:
    """Sync logs."""


@logs.command("list")
@click.argument("store_id")
@click.option("--type", "sync_type", type=click.Choice([t.value for t in SyncType]))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, MAX_PAGE_SIZE))
@cli.company_option
@cli.json_option
def list_logs(
    store_id: str, sync_type: str | None, limit: int, company: CompanyId, as_json: bool
) -> None:
    """The store's newest sync runs."""
    database = open_database(cli.load_settings())
    try:
        with cli.one_line_errors():
            page = sync_log_page(
                database.uow_factory,
                company,
                StoreId(store_id),
                SyncType(sync_type) if sync_type else None,
                PageRequest(limit=limit),
            )
    finally:
        database.close()
    views = [log_view(log) for log in page.items]
    cli.show(
        views,
        as_json,
        lambda vs: (
            "\n".join(f"{v['started_at']}  {v['type']:<9} {run_summary(v)}" for v in vs)
            or "no sync runs"
        ),
    )


@logs.command("purge")
def logs_purge() -> None:
    """Delete sync logs older than SHIPCROWD_WOO_SYNC_LOG_RETENTION_DAYS (90 by default)."""
    settings = cli.load_settings()
    database = open_database(settings)
    try:
        deleted = purge_old_sync_logs(
            database.uow_factory, SystemClock(), settings.sync_log_retention
        )
    except SQLAlchemyError as error:
        raise click.ClickException(f"database error: {error}") from None
    finally:
        database.close()
    click.echo(f"{deleted} sync logs deleted")
