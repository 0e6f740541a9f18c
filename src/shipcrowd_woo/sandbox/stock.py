"""How WooCommerce moves stock as orders are paid and cancelled, over the sandbox's records.

What it mirrors (woocommerce/woocommerce, under plugins/woocommerce/):
- includes/wc-stock-functions.php: `wc_maybe_reduce_stock_levels` runs on
  `woocommerce_payment_complete` and on reaching processing, completed or on-hold, once per order
  (the order's `_order_stock_reduced` flag); `wc_reduce_stock_levels` lowers each line's
  stock-managed product by the line's quantity, records it as the line's `_reduced_stock` meta and
  notes "Stock levels reduced: …". `wc_maybe_increase_stock_levels` runs on reaching cancelled
  or pending and gives back what `_reduced_stock` recorded. Neither ever refuses: stock simply
  goes below zero.
- includes/abstracts/abstract-wc-product.php: `validate_props` derives `stock_status` from the
  quantity (above 0 in stock; else on backorder when backorders are allowed, out of stock when
  not), `backorders_allowed` is "yes" or "notify", `is_in_stock` is "not outofstock".
- includes/rest-api/Controllers/Version3/class-wc-rest-orders-controller.php, `save_object`:
  `POST orders` saves the order, sets its status, then calls `payment_complete()` for
  `set_paid`; it checks no stock itself.
- src/Checkout/Helpers/ReserveStock.php, `reserve_stock_for_order`: what refuses a checkout
  (the Store API's `POST /wc/store/v1/checkout` passes its error on, src/StoreApi/Routes/V1/
  Checkout.php `create_or_update_draft_order`): a line whose product is out of stock, then
  a stock-managed product without backorders whose lines together want more than it holds, each
  with HTTP 403.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

# The statuses whose hooks reduce stock, and those whose hooks give it back.
REDUCING_STATUSES = ("processing", "completed", "on-hold")
RESTORING_STATUSES = ("cancelled", "pending")
# `woocommerce_valid_order_statuses_for_payment_complete`: what `payment_complete()` moves on
# (to processing, as every sandbox order needs processing); other statuses stay as they are.
PAYABLE_STATUSES = ("on-hold", "pending", "failed", "cancelled")
REDUCED_META = "_reduced_stock"
BACKORDER_SETTINGS = ("no", "notify", "yes")


@attrs.frozen
class StockChange:
    """One line's move of one product's stock, as the order note names it."""

    product_id: int
    note: str


class StockRefused(Exception):
    """A checkout WooCommerce's stock reservation refuses, with its error code and message."""

    status = 403

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def backorders_allowed(product: dict[str, Any]) -> bool:
    return product.get("backorders", "no") in ("notify", "yes")


def stock_status(product: dict[str, Any]) -> str:
    """`validate_props`: a managed product's status follows its quantity and backorders; an
    unmanaged one keeps the status it was given."""
    if not product["manage_stock"]:
        return str(product.get("stock_status", "instock"))
    if (product["stock_quantity"] or 0) > 0:
        return "instock"
    return "onbackorder" if backorders_allowed(product) else "outofstock"


def display_name(products: dict[int, dict[str, Any]], product: dict[str, Any]) -> str:
    """`get_name()`: a variation is named after its parent and its attribute."""
    parent = products.get(product["parent_id"]) if product["parent_id"] else None
    return product["name"] if parent is None else f"{parent['name']} - {product['name']}"


def formatted_name(products: dict[int, dict[str, Any]], product: dict[str, Any]) -> str:
    """`get_formatted_name()`, as stock notes name a product: its name and SKU (or #id)."""
    return f"{display_name(products, product)} ({product['sku'] or '#' + str(product['id'])})"


def refusal(products: dict[int, dict[str, Any]], lines: Iterable[dict[str, Any]]) -> None:
    """Raise StockRefused as `reserve_stock_for_order` would for these order lines: first any
    line whose product is out of stock, then the first managed product without backorders
    that the lines together want more of than it holds."""
    wanted: dict[int, int] = {}
    for line, product in _with_products(products, lines):
        if stock_status(product) == "outofstock":
            raise StockRefused(
                "woocommerce_product_out_of_stock",
                f"&quot;{display_name(products, product)}&quot; is out of stock and cannot be"
                " purchased.",
            )
        if product["manage_stock"] and not backorders_allowed(product):
            wanted[product["id"]] = wanted.get(product["id"], 0) + line["quantity"]
    for product_id, quantity in wanted.items():
        product = products[product_id]
        if (product["stock_quantity"] or 0) < quantity:
            raise StockRefused(
                "woocommerce_product_not_enough_stock",
                f"Not enough units of {display_name(products, product)} are available in stock"
                " to fulfil this order.",
            )


def reduce_stock(
    products: dict[int, dict[str, Any]], order: dict[str, Any], next_meta_id: Callable[[], int]
) -> list[StockChange]:
    """`wc_reduce_stock_levels`: lower each managed line's product once, recording what was
    taken on the line; each change noted as "Name (SKU) 5&rarr;3"."""
    changes = []
    for line, product in _with_products(products, order["line_items"]):
        if not product["manage_stock"] or _reduced(line) is not None:
            continue
        was = product["stock_quantity"] or 0
        product["stock_quantity"] = was - line["quantity"]
        line["meta_data"].append(_meta(next_meta_id(), str(line["quantity"])))
        note = f"{formatted_name(products, product)} {was}&rarr;{product['stock_quantity']}"
        changes.append(StockChange(product["id"], note))
    return changes


def restore_stock(products: dict[int, dict[str, Any]], order: dict[str, Any]) -> list[StockChange]:
    """`wc_increase_stock_levels`: give back what each line recorded taking, and forget it."""
    changes = []
    for line, product in _with_products(products, order["line_items"]):
        taken = _reduced(line)
        if not product["manage_stock"] or taken is None:
            continue
        was = product["stock_quantity"] or 0
        product["stock_quantity"] = was + taken
        line["meta_data"] = [m for m in line["meta_data"] if m["key"] != REDUCED_META]
        note = f"{formatted_name(products, product)} {was}&rarr;{product['stock_quantity']}"
        changes.append(StockChange(product["id"], note))
    return changes


def _with_products(
    products: dict[int, dict[str, Any]], lines: Iterable[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Lines with the product each sells; a line whose product is gone is skipped, as
    WooCommerce skips an item without a product."""
    for line in lines:
        product = products.get(line["variation_id"] or line["product_id"])
        if product is not None and line["quantity"] > 0:
            yield line, product


def _reduced(line: dict[str, Any]) -> int | None:
    value = next((m["value"] for m in line["meta_data"] if m["key"] == REDUCED_META), None)
    return None if value is None else int(value)


def _meta(meta_id: int, value: str) -> dict[str, Any]:
    """Item meta as the REST API renders it: `display_key`/`display_value` beside the raw ones
    (the recorded orders show `_reduced_stock` so, its value a string)."""
    return {
        "id": meta_id,
        "key": REDUCED_META,
        "value": value,
        "display_key": REDUCED_META,
        "display_value": value,
    }
