"""Building one HttpxStoreClient per store, with the process's client options."""

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.discovery import HttpxSiteDirectory
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.site_index import RestStyle, SiteIndex
from shipcrowd_woo.ports.store_client import StoreClient


class HttpxStoreClientFactory:
    """The StoreClientFactory port: a new pooled client per store and job."""

    def __init__(self, options: ClientOptions | None = None) -> None:
        self._options = options or ClientOptions()
        self._sites = HttpxSiteDirectory(self._options)

    def __call__(
        self,
        url: str,
        consumer_key: Secret,
        consumer_secret: Secret,
        rest_style: RestStyle = RestStyle.PRETTY,
    ) -> StoreClient:
        """A client for the store at `url`; the caller closes it."""
        return HttpxStoreClient(
            url, consumer_key, consumer_secret, self._options, rest_style=rest_style
        )

    def discover(self, url: str) -> SiteIndex:
        """What the site at `url` says it is (see HttpxSiteDirectory)."""
        return self._sites.discover(url)
