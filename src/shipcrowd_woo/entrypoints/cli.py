"""The `shipcrowd-woo` command line."""

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from alembic.util.exc import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from shipcrowd_woo.adapters.crypto import AesGcmSecretBox, generate_key_text
from shipcrowd_woo.adapters.sqlalchemy.migrations import upgrade
from shipcrowd_woo.converters.shipcrowd import to_json_data
from shipcrowd_woo.converters.woocommerce import order_from_json
from shipcrowd_woo.domain.errors import SecretsUnavailable
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.json_text import JsonRefused, parse_json_with_decimals
from shipcrowd_woo.domain.order import Order
from shipcrowd_woo.domain.transform import TransformContext
from shipcrowd_woo.entrypoints.bootstrap import open_database
from shipcrowd_woo.entrypoints.commands.demo import demo
from shipcrowd_woo.entrypoints.commands.logs import logs
from shipcrowd_woo.entrypoints.commands.mappings import mappings
from shipcrowd_woo.entrypoints.commands.orders import events, orders
from shipcrowd_woo.entrypoints.commands.stores import stores
from shipcrowd_woo.entrypoints.commands.sync import sync
from shipcrowd_woo.entrypoints.logs import configure_logging
from shipcrowd_woo.entrypoints.processes import (
    WebServer,
    run_scheduler,
    run_worker,
    stop_on_signals,
)
from shipcrowd_woo.entrypoints.settings import Settings, SettingsError
from shipcrowd_woo.sandbox.faults import FaultPlan
from shipcrowd_woo.sandbox.latency import LatencyModel
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from shipcrowd_woo.services.keys import rotate_keys, verify_keys


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Shipcrowd's WooCommerce integration."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--company", default="demo-company", show_default=True, help="Company id.")
@click.option("--store", default="demo-store", show_default=True, help="Store id.")
@click.option("--currency", default=None, help="The store's own currency (plugin currencies).")
@click.option("--decimals", type=click.IntRange(0, 8), default=None, help="The store's decimals.")
@click.option("--json", "as_json", is_flag=True, help="Print each order as a JSON line.")
def transform(
    files: tuple[str, ...],
    company: str,
    store: str,
    currency: str | None,
    decimals: int | None,
    as_json: bool,
) -> None:
    """Transform WooCommerce order JSON (an order, a list, or a recorded exchange).

    Exits 1 when any order is rejected; every rejection is printed with all its problems.
    """
    context = TransformContext(
        CompanyId(company), StoreId(store), datetime.now(UTC), currency, decimals
    )
    transformed = rejected = 0
    for path in files:
        for payload in _orders_in(Path(path)):
            result = order_from_json(payload, context)
            if isinstance(result, Order):
                transformed += 1
                click.echo(json.dumps(to_json_data(result)) if as_json else _row(result))
            else:
                rejected += 1
                click.echo(f"rejected {result.summary}", err=True)
    click.echo(f"{transformed} orders transformed, {rejected} rejected", err=as_json)
    sys.exit(1 if rejected else 0)


F = TypeVar("F", bound=Callable[..., Any])


def _milliseconds_option(name: str, summary: str) -> Callable[[F], F]:
    """A sandbox latency, in milliseconds."""
    return click.option(
        name, default=0.0, show_default=True, type=click.FloatRange(0, 60_000), help=summary
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8089, show_default=True, help="Port (0 picks a free one).")
@click.option("--orders", default=500, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--products", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--seed", default=1, show_default=True, help="Seed of the generated data.")
@click.option("--tls", is_flag=True, help="Serve HTTPS with a throw-away certificate.")
@click.option(
    "--fault-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of API responses spoiled (500, 429, slow, truncated).",
)
@_milliseconds_option("--page-latency-ms", "Time each API request takes, as PHP does.")
@_milliseconds_option("--order-latency-ms", "Time each order an answer renders adds.")
@click.option(
    "--php-workers",
    type=click.IntRange(1, 1024),
    default=None,
    help="API requests served at once; the rest wait (default: no limit).",
)
def sandbox(
    host: str,
    port: int,
    orders: int,
    products: int,
    seed: int,
    tls: bool,
    fault_rate: float,
    page_latency_ms: float,
    order_latency_ms: float,
    php_workers: int | None,
) -> None:
    """Run a WooCommerce-compatible sandbox store in the foreground (Ctrl-C stops it)."""
    store = SandboxStore(seed=seed, products=products, orders=orders)
    latency = LatencyModel(page_latency_ms, order_latency_ms, php_workers)
    try:
        server = SandboxServer(
            store,
            tls=tls,
            faults=FaultPlan(rate=fault_rate),
            host=host,
            port=port,
            latency=latency,
        )
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    key, secret = store.create_api_key()
    click.echo(f"sandbox store: {server.url}")
    click.echo(f"consumer key: {key}")
    click.echo(f"consumer secret: {secret}")
    if server.certificate:
        click.echo(f"certificate: {server.certificate}")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@main.group()
def db() -> None:
    """The database: migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply the alembic migrations to SHIPCROWD_WOO_DATABASE_URL (SQLite file by default)."""
    settings = _settings()
    try:
        upgrade(settings.database_url, revision)
    except (SQLAlchemyError, CommandError, FileNotFoundError) as error:
        raise click.ClickException(f"migration failed: {error}") from None
    click.echo(f"database at {_shown_url(settings.database_url)} is at revision {revision}")


@main.group()
def keys() -> None:
    """Encryption keys of stored credentials and webhook secrets."""


@keys.command("generate")
@click.option("--id", "key_id", default="", help="Key id (default: today's date).")
def keys_generate(key_id: str) -> None:
    """Print a new key for SHIPCROWD_WOO_ENCRYPTION_KEYS (put it first to rotate)."""
    click.echo(generate_key_text(key_id or datetime.now(UTC).strftime("k%Y%m%d")))


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-seal every stored secret with the first configured key."""
    settings = _settings()
    if not settings.encryption_keys:
        raise click.ClickException("SHIPCROWD_WOO_ENCRYPTION_KEYS is not set")
    database = open_database(settings)
    try:
        report = rotate_keys(database.uow_factory, AesGcmSecretBox(settings.encryption_keys))
    except (SQLAlchemyError, SecretsUnavailable) as error:
        raise click.ClickException(str(error)) from None
    finally:
        database.close()
    click.echo(f"{report.resealed} secrets re-sealed, {report.current} already current")


@keys.command("verify")
def keys_verify() -> None:
    """Check that every stored secret opens with the configured keys."""
    settings = _settings()
    database = open_database(settings)
    try:
        checked = verify_keys(database.uow_factory, AesGcmSecretBox(settings.encryption_keys))
    except (SQLAlchemyError, SecretsUnavailable, ValueError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        database.close()
    click.echo(f"every stored secret opens ({checked} key ids in use)")


@main.command()
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port to serve.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
def serve(bind: str, threads: int) -> None:
    """Serve the management API and the webhook intake (gunicorn). Without
    SHIPCROWD_WOO_REDIS_URL, jobs and the scheduler run inside this process too."""
    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    WebServer(settings, bind, threads).run()


@main.command()
@click.option("--threads", default=None, type=click.IntRange(1, 64), help="Worker threads.")
def worker(threads: int | None) -> None:
    """Run jobs from Redis until SIGTERM or Ctrl-C (jobs in hand are finished first). Start
    as many as you like, on as many machines."""
    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        run_worker(settings, threads or settings.worker_threads, stop_on_signals())
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@main.command()
def scheduler() -> None:
    """Queue each store's incremental order sync on its interval, and sweep for lost jobs
    and abandoned runs, until SIGTERM or Ctrl-C. Any number may run: Redis claims keep each
    sync queued once."""
    settings = _settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        run_scheduler(settings, stop_on_signals())
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


for command in (demo, stores, sync, mappings, orders, events, logs):
    main.add_command(command)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _orders_in(path: Path) -> Iterator[Any]:
    try:
        document = parse_json_with_decimals(path.read_bytes())
    except OSError as error:
        raise click.ClickException(f"{path}: cannot be read ({error.strerror})") from None
    except JsonRefused as refused:
        raise click.ClickException(f"{path}: the document is {refused}") from None
    if isinstance(document, dict) and "body" in document and "request" in document:
        document = document["body"]
    yield from document if isinstance(document, list) else [document]


def _row(order: Order) -> str:
    return (
        f"#{order.external_order_number:<8} {order.status.value:<16} "
        f"{order.payment_status.value:<20} {order.totals.total:>10} {order.currency} "
        f"{len(order.lines)} line(s){'  COD' if order.is_cash_on_delivery else ''}"
    )
