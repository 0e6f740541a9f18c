"""What a WordPress site says it is, before any credential is sent.

`GET /wp-json/` (or `/?rest_route=/` where pretty permalinks are off) answers without
credentials with the site's `home` — WordPress's home URL, the one WooCommerce signs OAuth
against and names as `X-WC-Webhook-Source` — its `name`, `timezone_string` and the REST
`namespaces` it serves (`wc/v3` where WooCommerce's REST API is on).
Recorded: tests/fixtures/woocommerce-10.0.2/rest_index.json.
"""

import enum
from collections.abc import Mapping

import attrs

WOOCOMMERCE_API = "wc/v3"


class RestStyle(enum.Enum):
    """Where the site serves its REST API."""

    # /wp-json/wc/v3/… (pretty permalinks)
    PRETTY = "wp-json"
    # /?rest_route=/wc/v3/… (plain permalinks; also served where pretty ones are on)
    QUERY = "rest_route"


@attrs.frozen
class SiteIndex:
    """The site's own account of itself."""

    home_url: str
    name: str
    namespaces: tuple[str, ...]
    rest_style: RestStyle
    timezone: str = ""


class IndexRefused(ValueError):
    """The document is not the REST index of a WordPress site with WooCommerce's API; the
    message says which (not WordPress, or no `wc/v3`)."""


def read_site_index(document: object, rest_style: RestStyle) -> SiteIndex:
    """The index from a decoded `/wp-json/` document; IndexRefused otherwise."""
    if not isinstance(document, Mapping) or not isinstance(document.get("namespaces"), list):
        raise IndexRefused("it does not answer as a WordPress site (no REST index)")
    home = document.get("home") or document.get("url")
    if not isinstance(home, str) or not home:
        raise IndexRefused("its REST index names no home URL")
    namespaces = tuple(name for name in document["namespaces"] if isinstance(name, str))
    if WOOCOMMERCE_API not in namespaces:
        raise IndexRefused(
            f"WordPress answers but serves no WooCommerce REST API ({WOOCOMMERCE_API} is not "
            "among its namespaces: is WooCommerce active?)"
        )
    name, timezone = document.get("name"), document.get("timezone_string")
    return SiteIndex(
        home_url=home,
        name=name if isinstance(name, str) else "",
        namespaces=namespaces,
        rest_style=rest_style,
        timezone=timezone if isinstance(timezone, str) else "",
    )
