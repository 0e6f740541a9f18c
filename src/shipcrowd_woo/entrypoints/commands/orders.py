"""`shipcrowd-woo orders …`: fulfil an imported order, list its fulfilments."""

from datetime import datetime
from typing import Any

import click

from shipcrowd_woo.domain.errors import ValidationFailed
from shipcrowd_woo.domain.fulfilment import FulfilmentRequest, ShippedLine
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.entrypoints.api.views import fulfilment_view, job_view
from shipcrowd_woo.entrypoints.commands import common as cli


@click.group()
def orders() -> None:
    """Fulfil imported orders."""


def _line(text: str) -> ShippedLine:
    line_id, _, quantity = text.partition("=")
    if not (line_id.isdecimal() and quantity.isdecimal()):
        raise ValidationFailed({"line": f"{text!r} is not LINE_ID=QUANTITY"})
    return ShippedLine(int(line_id), int(quantity))


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"shipped_at": "must be an ISO 8601 time with its offset"}) from None


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
