"""`shipcrowd-woo orders …`: read imported orders, fulfil one, list its fulfilments; and
`shipcrowd-woo events`: the order feed."""

from datetime import datetime
from typing import Any

import click

from shipcrowd_woo.converters.order_feed import event_text
from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.fulfilment import FulfilmentRequest, ShippedLine
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.moments import aware_moment
from shipcrowd_woo.domain.shipping import Shipping
from shipcrowd_woo.entrypoints.api.views import (
    fulfilment_view,
    job_view,
    order_list_view,
    order_view,
)
from shipcrowd_woo.entrypoints.commands import common as cli
from shipcrowd_woo.ports.repositories import OrderQuery
from shipcrowd_woo.services.feed import MAX_EVENTS_PER_READ, MAX_ORDERS_PER_PAGE, MAX_WAIT_SECONDS


@click.group()
def orders() -> None:
    """Read and fulfil imported orders."""


def order_line(view: dict[str, Any]) -> str:
    """An order in one line: where it ships from, whether and what is left."""
    left = sum(line["to_ship"] for line in view["lines"])
    unmapped = sum(1 for line in view["lines"] if not line["mapped"])
    deleted = "  deleted at the store" if view["deleted_at_store"] else ""
    return (
        f"{view['store_id']} #{view['order_id']}  {view['order']['woo_status']:<11} "
        f"{view['shippable']['state']:<6} {left} to ship"
        f"{f', {unmapped} unmapped line(s)' if unmapped else ''}{deleted}  "
        f"({view['shippable']['why']})"
    )


def _order_page_lines(page: dict[str, Any]) -> str:
    lines = [order_line(view) for view in page["items"]] or ["no orders"]
    if page["next_cursor"] is not None:
        lines.append(f"more: --cursor {page['next_cursor']}")
    return "\n".join(lines)


def _order_text(view: dict[str, Any]) -> str:
    lines = [
        f"  line {line['line_id']}: {line['sku'] or '(no SKU)'} -> "
        f"{line['warehouse_sku'] or 'unmapped'}  ordered {line['ordered']}, refunded "
        f"{line['refunded']}, fulfilled {line['fulfilled']}, to ship {line['to_ship']}"
        for line in view["lines"]
    ]
    version = view["version"]
    return "\n".join(
        [order_line(view), f"  version {version['modified_at']} {version['fingerprint']}", *lines]
    )


@orders.command("list")
@click.option("--store", "store_ids", multiple=True, help="Only this store's (repeatable).")
@click.option("--status", "statuses", multiple=True, help="WooCommerce status (repeatable).")
@click.option(
    "--shippable",
    "shippable",
    multiple=True,
    type=click.Choice([rule.value for rule in Shipping]),
    help="Shipping decision (repeatable).",
)
@click.option("--changed-after", help="ISO 8601 with offset: changed in the feed since.")
@click.option("--cursor", type=click.IntRange(0), default=0, help="From the page's next_cursor.")
@click.option("--limit", type=click.IntRange(1, MAX_ORDERS_PER_PAGE), default=20)
@cli.company_option
@cli.json_option
def list_orders(
    store_ids: tuple[str, ...],
    statuses: tuple[str, ...],
    shippable: tuple[str, ...],
    changed_after: str | None,
    cursor: int,
    limit: int,
    company: CompanyId,
    as_json: bool,
) -> None:
    """Imported orders, oldest first, a page at a time."""
    query = OrderQuery(
        company_id=company,
        limit=limit,
        after=cursor,
        store_ids=[StoreId(store) for store in store_ids],
        woo_statuses=statuses,
        shippable=[Shipping(rule) for rule in shippable],
        changed_after=_moment(changed_after, "changed_after"),
    )
    with cli.services() as built:
        view = order_list_view(built.feed.orders(query))
    cli.show(view, as_json, _order_page_lines)


@orders.command("show")
@click.argument("store_id")
@click.argument("order_id", type=click.IntRange(1))
@cli.company_option
@cli.json_option
def show_order(store_id: str, order_id: int, company: CompanyId, as_json: bool) -> None:
    """One imported order: its lines' warehouse SKUs, units to ship and shipping decision."""
    with cli.services() as built:
        view = order_view(built.feed.order(company, StoreId(store_id), order_id))
    cli.show(view, as_json, _order_text)


def _line(text: str) -> ShippedLine:
    line_id, _, quantity = text.partition("=")
    if not (line_id.isdecimal() and quantity.isdecimal()):
        raise ValidationFailed({"line": f"{text!r} is not LINE_ID=QUANTITY"})
    return ShippedLine(int(line_id), int(quantity))


def _moment(text: str | None, field: str = "shipped_at") -> datetime | None:
    return None if text is None else aware_moment(text, field)


def fulfilment_line(view: dict[str, Any]) -> str:
    """A fulfilment in one line: what shipped, how, and where it stands."""
    lines = ", ".join(f"{line['quantity']} of line {line['line_id']}" for line in view["lines"])
    error = f": {view['error']}" if view["error"] else ""
    return (
        f"fulfilment {view['id']} of order {view['order_id']} {view['state']}{error} — "
        f"{view['carrier']} {view['tracking_number']} ({lines or 'nothing left to ship'})"
        f"{', order completed' if view['status_completed'] else ''}"
    )


@orders.command("fulfil")
@click.argument("store_id")
@click.argument("order_id", type=click.IntRange(1))
@click.option("--carrier", required=True, help="The carrier's name, as the customer reads it.")
@click.option("--tracking-number", required=True)
@click.option("--tracking-url", default="", help="Where the customer follows the parcel.")
@click.option("--shipped-at", help="ISO 8601 with offset (default: now).")
@click.option(
    "--line",
    "lines",
    multiple=True,
    metavar="LINE_ID=QUANTITY",
    help="A line item and the units shipped (repeatable; default: every line left).",
)
@click.option("--id", "client_id", help="Your id for this fulfilment (sending it again is safe).")
@cli.company_option
@cli.json_option
def fulfil(
    store_id: str,
    order_id: int,
    carrier: str,
    tracking_number: str,
    tracking_url: str,
    shipped_at: str | None,
    lines: tuple[str, ...],
    client_id: str | None,
    company: CompanyId,
    as_json: bool,
) -> None:
    """Tell the store an order shipped: tracking on the order, a note to the customer, the
    order completed once every line shipped. Runs here; sent twice, it changes nothing."""
    with cli.services() as built:
        request = FulfilmentRequest(
            carrier=carrier,
            tracking_number=tracking_number,
            tracking_url=tracking_url,
            shipped_at=_moment(shipped_at),
            lines=tuple(_line(line) for line in lines) or None,
            client_id=client_id,
        )
        submitted = built.fulfilments.submit(company, StoreId(store_id), order_id, request)
        job = submitted.job if submitted.job.is_final else cli.finish_job_here(built, submitted.job)
        fulfilment = built.fulfilments.get(company, submitted.fulfilment.id)
    view = {**fulfilment_view(fulfilment), "job": job_view(job)}
    cli.show(view, as_json, fulfilment_line)


@orders.command("fulfilments")
@click.argument("store_id")
@click.argument("order_id", type=click.IntRange(1))
@cli.company_option
@cli.json_option
def fulfilments(store_id: str, order_id: int, company: CompanyId, as_json: bool) -> None:
    """The order's fulfilments, oldest first."""
    with cli.services() as built:
        found = built.fulfilments.for_order(company, StoreId(store_id), order_id)
    views = [fulfilment_view(fulfilment) for fulfilment in found]
    cli.show(views, as_json, lambda items: "\n".join(map(fulfilment_line, items)) or "none")


@click.command("events")
@click.option("--after", type=click.IntRange(0), default=0, help="Events after this sequence.")
@click.option("--limit", type=click.IntRange(1, MAX_EVENTS_PER_READ), default=100)
@click.option(
    "--wait",
    type=click.FloatRange(0, MAX_WAIT_SECONDS),
    default=0.0,
    help="Seconds to wait for the next event when there is none yet.",
)
@cli.company_option
def events(after: int, limit: int, wait: float, company: CompanyId) -> None:
    """The order feed: one event per line as JSON, then the cursor to read on from."""
    with cli.services() as built:
        page = built.feed.events(company, after, limit, wait)
    for event in page.events:
        click.echo(event_text(event))
    click.echo(f"next: --after {page.next_after}{' (more)' if page.has_more else ''}", err=True)
