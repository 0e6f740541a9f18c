"""Asking a site what it is, without credentials."""

from typing import Protocol

from shipcrowd_woo.domain.site_index import SiteIndex


class SiteDirectory(Protocol):
    """Reads a site's REST index."""

    def discover(self, url: str) -> SiteIndex:
        """What the site at `url` (as a merchant typed it) says it is: its home URL, name,
        namespaces and where its REST API lives. Redirects are followed, each hop checked as
        every store call is; no credential is sent. Raises NotWooCommerce when it is no
        WooCommerce store, StoreUnavailable when it cannot be reached, UnsafeStoreUrl when a
        hop points where we do not call."""
        ...
