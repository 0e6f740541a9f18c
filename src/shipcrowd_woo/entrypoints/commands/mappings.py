"""`shipcrowd-woo mappings …`: store products to warehouse SKUs."""

from pathlib import Path
from typing import Any

import click

from shipcrowd_woo.domain.ids import CompanyId, MappingId, StoreId
from shipcrowd_woo.domain.mapping_rules import StockDirection
from shipcrowd_woo.entrypoints.api.views import import_view, mapping_view
from shipcrowd_woo.entrypoints.commands import common as cli


@click.group()
def mappings() -> None:
    """Which warehouse SKU each product or variation is."""


@mappings.command("auto")
@click.argument("store_id")
@cli.company_option
@cli.json_option
def auto(store_id: str, company: CompanyId, as_json: bool) -> None:
    """Map the store's catalogue to warehouse SKUs by SKU."""
    with cli.services() as built:
        report = built.mappings.auto_map(company, StoreId(store_id))
    view = {
        "catalogue_items": report.catalogue_items,
        "created": report.created,
        "refreshed": report.refreshed,
        "already_mapped": report.already_mapped,
        "unmatched": report.unmatched,
        "ambiguous": [{"sku": sku, "candidates": list(c)} for sku, c in report.ambiguous],
    }
    cli.show(
        view,
        as_json,
        lambda v: (
            f"{v['catalogue_items']} catalogue items: {v['created']} mapped, "
            f"{v['refreshed']} refreshed, {v['already_mapped']} already mapped, "
            f"{v['unmatched']} unmatched, {len(v['ambiguous'])} ambiguous"
        ),
    )


@mappings.command("import")
@click.argument("store_id")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@cli.company_option
@cli.json_option
def import_csv(store_id: str, csv_file: Path, company: CompanyId, as_json: bool) -> None:
    """Apply a mapping CSV; every refused line is listed. Exits 1 if any was refused."""
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{csv_file}: the CSV must be UTF-8") from None
    with cli.services() as built:
        view = import_view(built.mappings.import_csv(company, StoreId(store_id), text))
    cli.show(
        view,
        as_json,
        lambda v: (
            f"{v['created']} created, {v['updated']} updated, {v['unchanged']} unchanged"
            + "".join(f"\n  line {p['line']}: {p['reason']}" for p in v["problems"])
        ),
    )
    if view["problems"]:
        raise SystemExit(1)


@mappings.command("export")
@click.argument("store_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@cli.company_option
def export_csv(store_id: str, output: Path | None, company: CompanyId) -> None:
    """Write every mapping of the store as CSV (to stdout without -o)."""
    with cli.services() as built:
        text = built.mappings.export_csv(company, StoreId(store_id))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{text.count(chr(10)) - 1} mappings written to {output}", err=True)


@mappings.command("stock")
@click.argument("mapping_id")
@click.option("--buffer", metavar="UNITS|PERCENT%|none", help="Held back (5, 10%, none).")
@click.option("--floor", metavar="UNITS|none", help="At or below this many available, offer 0.")
@click.option("--maximum", metavar="UNITS|none", help="Never offer more than this many.")
@click.option(
    "--direction",
    type=click.Choice([direction.value for direction in StockDirection]),
    help="Which way the stock goes.",
)
@cli.company_option
@cli.json_option
def stock(
    mapping_id: str,
    buffer: str | None,
    floor: str | None,
    maximum: str | None,
    direction: str | None,
    company: CompanyId,
    as_json: bool,
) -> None:
    """Show a mapping's own stock limits, direction and last push, changing those given
    first (its SKU is pushed again when they change)."""
    with cli.services() as built:
        mapping = built.mappings.change_stock(
            company,
            MappingId(mapping_id),
            buffer,
            floor,
            maximum,
            None if direction is None else StockDirection(direction),
        )
    cli.show(mapping_view(mapping), as_json, _stock_line)


def _stock_line(view: dict[str, Any]) -> str:
    limits = ", ".join(f"{k} {v}" for k, v in view["stock_limits"].items() if v is not None)
    pushed = view["last_push"]
    last = (
        "never pushed"
        if pushed is None
        else f"last pushed {pushed['level']} (on hand {pushed['on_hand']}, reserved "
        f"{pushed['reserved']}, buffer {pushed['buffer']})"
    )
    own = limits or "the store's"
    return f"{view['id']}  {view['shipcrowd_sku']}  {view['direction']}  limits: {own}  {last}"
