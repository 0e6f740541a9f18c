"""WooCommerce resources other than orders, as received: products, variations, webhooks,
system status and batch results."""

import attrs


@attrs.frozen
class WooProduct:
    """A product or a variation (`parent_id` set) of `GET products` / `products/{id}/variations`."""

    id: int
    parent_id: int = 0
    name: str = ""
    type: str = "simple"
    status: str = ""
    sku: str = ""
    manage_stock: bool = False
    # A variation whose `manage_stock` is "parent" takes its stock from the parent product.
    stock_managed_by_parent: bool = False
    stock_quantity: int | None = None
    date_modified_gmt: str | None = None
    variations: tuple[int, ...] = ()


@attrs.frozen
class WooCustomer:
    """A customer as `customer.created` / `customer.updated` deliver it (the REST shape of
    `GET customers/{id}`); the fields we keep of it."""

    id: int = attrs.field(validator=attrs.validators.gt(0))
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    date_modified_gmt: str | None = None


@attrs.frozen
class WooDeleted:
    """What a `*.deleted` delivery names: WooCommerce sends `{"id": N}` once a resource is
    gone (class-wc-webhook.php, build_payload)."""

    id: int = attrs.field(validator=attrs.validators.gt(0))


@attrs.frozen
class WooWebhook:
    """A webhook as the store lists it; `status` is active, paused or disabled."""

    id: int
    name: str = ""
    status: str = ""
    topic: str = ""
    delivery_url: str = ""


@attrs.frozen
class SystemStatus:
    """What the connection test learns about a store (`GET system_status`)."""

    home_url: str
    wc_version: str
    wp_version: str
    currency: str
    decimals: int
    timezone: str


@attrs.frozen
class StockUpdate:
    """Set one product's or variation's stock level."""

    product_id: int
    variation_id: int | None
    quantity: int


@attrs.frozen
class BatchItemResult:
    """One item of a batch answer: WooCommerce reports per-item errors inside a 200."""

    id: int
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """True when the store applied this item."""
        return self.error_code is None
