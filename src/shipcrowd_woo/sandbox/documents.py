"""Orders and products as WooCommerce 10.0.2 renders them (REST answers and webhook
payloads), from the sandbox store's records."""

import re
from typing import Any, Protocol

from shipcrowd_woo.sandbox.stock import backorders_allowed, stock_status


class Site(Protocol):
    """Where the store answers, and the version it reports."""

    @property
    def base_url(self) -> str: ...

    @property
    def api_url(self) -> str: ...

    @property
    def wc_version(self) -> str: ...


def order_document(site: Site, order: dict[str, Any]) -> dict[str, Any]:
    """An order as WooCommerce 10.0.2 renders it in REST and webhook payloads."""
    order_id = order["id"]
    key = f"wc_order_{_order_key(order_id)}"
    document = {
        "id": order_id,
        "parent_id": order["parent_id"],
        "status": order["status"],
        "currency": order["currency"],
        "version": site.wc_version,
        "prices_include_tax": order["prices_include_tax"],
        "date_created": order["date_created_gmt"],
        "date_modified": order["date_modified_gmt"],
        "discount_total": order["discount_total"],
        "discount_tax": order["discount_tax"],
        "shipping_total": order["shipping_total"],
        "shipping_tax": order["shipping_tax"],
        "cart_tax": order["cart_tax"],
        "total": order["total"],
        "total_tax": order["total_tax"],
        "customer_id": order["customer_id"],
        "order_key": key,
        "billing": dict(order["billing"]),
        "shipping": dict(order["shipping"]),
        "payment_method": order["payment_method"],
        "payment_method_title": order["payment_method_title"],
        "transaction_id": order["transaction_id"],
        "customer_ip_address": "",
        "customer_user_agent": "",
        "created_via": order.get("created_via", "checkout"),
        "customer_note": order["customer_note"],
        "date_completed": order["date_completed_gmt"],
        "date_paid": order["date_paid_gmt"],
        "cart_hash": "",
        "number": order["number"],
        "meta_data": [dict(meta) for meta in order.get("meta_data", [])],
        "line_items": [dict(line) for line in order["line_items"]],
        "tax_lines": list(order["tax_lines"]),
        "shipping_lines": [dict(line) for line in order["shipping_lines"]],
        "fee_lines": [dict(line) for line in order["fee_lines"]],
        "coupon_lines": [dict(line) for line in order["coupon_lines"]],
        "refunds": [dict(refund) for refund in order["refunds"]],
        "payment_url": f"{site.base_url}/checkout/order-pay/{order_id}/"
        f"?pay_for_order=true&key={key}",
        "is_editable": order["status"] in ("pending", "on-hold", "auto-draft"),
        "needs_payment": order["status"] in ("pending", "failed"),
        "needs_processing": True,
        "date_created_gmt": order["date_created_gmt"],
        "date_modified_gmt": order["date_modified_gmt"],
        "date_completed_gmt": order["date_completed_gmt"],
        "date_paid_gmt": order["date_paid_gmt"],
        "currency_symbol": {"USD": "$", "EUR": "€", "JPY": "¥"}.get(order["currency"], ""),
        "_links": {
            "self": [
                {
                    "href": f"{site.api_url}/orders/{order_id}",
                    "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                }
            ],
            "collection": [{"href": f"{site.api_url}/orders"}],
            "email_templates": [
                {
                    "embeddable": True,
                    "href": f"{site.api_url}/orders/{order_id}/actions/email_templates",
                }
            ],
        },
    }
    if order["customer_id"]:
        document["_links"]["customer"] = [
            {"href": f"{site.base_url}/wp-json/wc/v3/customers/{order['customer_id']}"}
        ]
    return document


def product_document(site: Site, product: dict[str, Any]) -> dict[str, Any]:
    """A product or variation as WooCommerce 10.0.2 renders it."""
    product_id = product["id"]
    status = stock_status(product)
    common = {
        "id": product_id,
        "date_created": product["date_created_gmt"],
        "date_created_gmt": product["date_created_gmt"],
        "date_modified": product["date_modified_gmt"],
        "date_modified_gmt": product["date_modified_gmt"],
        "description": "",
        "permalink": f"{site.base_url}/product/{slug(product['name'])}/",
        "sku": product["sku"],
        "global_unique_id": "",
        "price": product["price"],
        "regular_price": product["regular_price"],
        "sale_price": "",
        "date_on_sale_from": None,
        "date_on_sale_from_gmt": None,
        "date_on_sale_to": None,
        "date_on_sale_to_gmt": None,
        "on_sale": False,
        "status": "publish",
        "purchasable": True,
        "virtual": False,
        "downloadable": False,
        "downloads": [],
        "download_limit": -1,
        "download_expiry": -1,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": product["manage_stock"],
        "stock_quantity": product["stock_quantity"],
        "stock_status": status,
        "backorders": product.get("backorders", "no"),
        "backorders_allowed": backorders_allowed(product),
        "backordered": status == "onbackorder",
        "low_stock_amount": None,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_class": "",
        "shipping_class_id": 0,
        "menu_order": 0,
        "meta_data": [],
        "name": product["name"],
        "parent_id": product["parent_id"],
    }
    if product["type"] == "variation":
        parent_id = product["parent_id"]
        return common | {
            "type": "variation",
            "image": None,
            "attributes": [{"id": 0, "name": "Size", "slug": "size", "option": product["name"]}],
            "_links": {
                "self": [
                    {
                        "href": f"{site.api_url}/products/{parent_id}/variations/{product_id}",
                        "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                    }
                ],
                "collection": [{"href": f"{site.api_url}/products/{parent_id}/variations"}],
                "up": [{"href": f"{site.api_url}/products/{parent_id}"}],
            },
        }
    variable = product["type"] == "variable"
    return common | {
        "slug": slug(product["name"]),
        "type": product["type"],
        "featured": False,
        "catalog_visibility": "visible",
        "short_description": "",
        "total_sales": 0,
        "external_url": "",
        "button_text": "",
        "sold_individually": False,
        "shipping_required": True,
        "shipping_taxable": True,
        "reviews_allowed": True,
        "average_rating": "0.00",
        "rating_count": 0,
        "upsell_ids": [],
        "cross_sell_ids": [],
        "purchase_note": "",
        "categories": [{"id": 15, "name": "Uncategorized", "slug": "uncategorized"}],
        "brands": [],
        "tags": [],
        "images": [],
        "attributes": [
            {
                "id": 0,
                "name": "Size",
                "slug": "Size",
                "position": 0,
                "visible": True,
                "variation": True,
                "options": ["S", "M", "L"],
            }
        ]
        if variable
        else [],
        "default_attributes": [],
        "variations": list(product["variations"]),
        "grouped_products": [],
        "price_html": f'<span class="woocommerce-Price-amount amount"><bdi>'
        f"{product['price']}</bdi></span>",
        "related_ids": [],
        "has_options": variable,
        "post_password": "",
        "_links": {
            "self": [
                {
                    "href": f"{site.api_url}/products/{product_id}",
                    "targetHints": {"allow": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                }
            ],
            "collection": [{"href": f"{site.api_url}/products"}],
        },
    }


def slug(name: str) -> str:
    """A product's URL name, as WordPress makes one."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "product"


def _order_key(order_id: int) -> str:
    return format(order_id * 2654435761 % 2**48, "x")
