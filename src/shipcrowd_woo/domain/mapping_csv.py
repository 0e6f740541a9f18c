"""Product mappings as CSV, for people with spreadsheets.

Columns (a header row is required; order is free; extra columns are ignored):

    woo_product_id        required, the product's id at the store
    woo_variation_id      empty or 0 for simple products, else the variation's id
    shipcrowd_sku         required, the warehouse SKU
    shipcrowd_product_name  optional
    sync_inventory        optional, true/false (yes/no, 1/0), default true
    active                optional, true/false, default true
    woo_sku, woo_title    written by export for reading; ignored by import

Every row is checked; a bad row is reported with its line number and reason and the others
are still applied.
"""

import csv
import io
from collections.abc import Iterable

import attrs

from shipcrowd_woo.domain.mapping_rules import ProductMapping, clean_sku
from shipcrowd_woo.domain.text import storable

REQUIRED = ("woo_product_id", "shipcrowd_sku")
COLUMNS = (
    "woo_product_id",
    "woo_variation_id",
    "woo_sku",
    "woo_title",
    "shipcrowd_sku",
    "shipcrowd_product_name",
    "sync_inventory",
    "active",
)
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}
MAX_ROWS = 100_000


@attrs.frozen
class MappingRow:
    """One valid row: what the mapping of (product, variation) should be."""

    line: int
    woo_product_id: int
    woo_variation_id: int | None
    shipcrowd_sku: str
    shipcrowd_product_name: str
    sync_inventory: bool
    active: bool

    @property
    def target(self) -> tuple[int, int | None]:
        """The (product, variation) pair the row maps."""
        return (self.woo_product_id, self.woo_variation_id)


@attrs.frozen
class RowProblem:
    """Why a line was not applied."""

    line: int
    reason: str


@attrs.frozen
class ParsedCsv:
    """The valid rows and the refused lines of a file."""

    rows: tuple[MappingRow, ...]
    problems: tuple[RowProblem, ...]


def parse_mapping_csv(text: str) -> ParsedCsv:
    """Read a mapping CSV; never raises on content, every bad line becomes a RowProblem."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
    except csv.Error as error:
        return ParsedCsv((), (RowProblem(1, f"the header is not valid CSV: {error}"),))
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return ParsedCsv((), (RowProblem(1, f"the header lacks {', '.join(missing)}"),))
    reader.fieldnames = header
    rows: list[MappingRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[int, int | None], int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if len(rows) + len(problems) >= MAX_ROWS:
                problems.append(RowProblem(line, f"more than {MAX_ROWS} rows; the rest is ignored"))
                break
            if not any(
                (value or "").strip() for value in record.values() if isinstance(value, str)
            ):
                continue
            row = _row(line, record)
            if isinstance(row, RowProblem):
                problems.append(row)
            elif row.target in seen:
                problems.append(RowProblem(line, f"duplicates line {seen[row.target]}"))
            else:
                seen[row.target] = line
                rows.append(row)
    except csv.Error as error:
        problems.append(RowProblem(reader.line_num, f"not valid CSV: {error}"))
    return ParsedCsv(tuple(rows), tuple(problems))


def render_mapping_csv(mappings: Iterable[ProductMapping]) -> str:
    """The CSV that, imported again, recreates these mappings."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for m in mappings:
        writer.writerow(
            [
                m.woo_product_id,
                m.woo_variation_id or "",
                _safe_cell(m.woo_sku),
                _safe_cell(m.woo_title),
                _safe_cell(m.shipcrowd_sku),
                _safe_cell(m.shipcrowd_product_name),
                "true" if m.sync_inventory else "false",
                "true" if m.is_active else "false",
            ]
        )
    return out.getvalue()


def _blank(record: dict[str, str | None]) -> bool:
    return not any(value.strip() for value in record.values() if isinstance(value, str))


def _row(line: int, record: dict[str, str | None]) -> MappingRow | RowProblem:
    reasons: list[str] = []
    product_id = _id(record.get("woo_product_id"), "woo_product_id", reasons, required=True)
    variation_id = _id(record.get("woo_variation_id"), "woo_variation_id", reasons)
    sku = ""
    try:
        sku = clean_sku(_unsafe_cell(record.get("shipcrowd_sku") or ""))
    except ValueError as error:
        reasons.append(f"shipcrowd_sku: {error}")
    sync_inventory = _flag(record.get("sync_inventory"), "sync_inventory", reasons)
    active = _flag(record.get("active"), "active", reasons)
    if reasons or product_id is None:
        return RowProblem(line, "; ".join(reasons))
    # A NUL is valid UTF-8, and PostgreSQL refuses it in text.
    name = storable(_unsafe_cell((record.get("shipcrowd_product_name") or "").strip()))[:255]
    return MappingRow(line, product_id, variation_id, sku, name, sync_inventory, active)


def _id(raw: str | None, name: str, reasons: list[str], *, required: bool = False) -> int | None:
    text = (raw or "").strip()
    if not text or (text == "0" and not required):
        if required:
            reasons.append(f"{name} is missing")
        return None
    if not text.isdecimal() or int(text) == 0 or len(text) > 18:
        reasons.append(f"{name} {text[:20]!r} is not a positive whole number")
        return None
    return int(text)


def _flag(raw: str | None, name: str, reasons: list[str]) -> bool:
    text = (raw or "").strip().lower()
    if not text or text in _TRUE:
        return True
    if text in _FALSE:
        return False
    reasons.append(f"{name} {text[:20]!r} is not true or false")
    return True


def _safe_cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheet programs (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _unsafe_cell(text: str) -> str:
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text
