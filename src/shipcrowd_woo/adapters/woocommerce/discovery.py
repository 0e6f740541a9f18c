"""HttpxSiteDirectory: the SiteDirectory port over WordPress's unauthenticated REST index.

The typed address is only where to start. `GET {address}/wp-json/` is asked first, then
`GET {address}/?rest_route=/` (sites without pretty permalinks serve the API only there).
Redirects are followed by hand, at most MAX_REDIRECTS, and every hop connects through the
same SSRF guard as every store call; no credential is ever sent here, so none can reach a
host before the site has named itself.
"""

import json
from urllib.parse import urljoin, urlsplit

import httpx

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions
from shipcrowd_woo.adapters.woocommerce.redaction import install_redaction
from shipcrowd_woo.domain.errors import NotWooCommerce, StoreUnavailable
from shipcrowd_woo.domain.site_index import IndexRefused, RestStyle, SiteIndex, read_site_index
from shipcrowd_woo.domain.store_url import InvalidStoreUrl, normalise_store_url

MAX_REDIRECTS = 5
MAX_INDEX_BYTES = 4 * 1024 * 1024
REST_DISABLED = {"rest_disabled", "rest_not_logged_in", "rest_login_required", "rest_forbidden"}
WHERE = {RestStyle.PRETTY: ("wp-json/", None), RestStyle.QUERY: ("", "/")}


def site_address(typed: str) -> str:
    """The typed address without a `/wp-json` suffix a merchant may have pasted."""
    text = typed.strip().rstrip("/")
    for suffix in ("/wp-json", "/index.php"):
        if text.lower().endswith(suffix):
            text = text[: -len(suffix)]
    return normalise_store_url(text)


class HttpxSiteDirectory:
    """Reads REST indexes with the process's client options (timeouts, TLS, host policy)."""

    def __init__(
        self, options: ClientOptions | None = None, transport: httpx.BaseTransport | None = None
    ) -> None:
        install_redaction()
        self._options = options or ClientOptions()
        self._transport = transport

    def discover(self, url: str) -> SiteIndex:
        """See SiteDirectory.discover."""
        try:
            start = site_address(url)
        except InvalidStoreUrl as error:
            raise NotWooCommerce(url, str(error)) from None
        timeouts = self._options.transport
        with httpx.Client(
            transport=self._transport or self._options.http_transport(),
            timeout=httpx.Timeout(timeouts.read_timeout, connect=timeouts.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": self._options.user_agent, "Accept": "application/json"},
        ) as http:
            refusals = []
            for style in RestStyle:
                try:
                    return self._index(http, start, style)
                except NotWooCommerce as refused:
                    refusals.append(refused)
        # The pretty URL's reason is the more telling one (the query form is the fallback).
        raise refusals[0]

    def _index(self, http: httpx.Client, start: str, style: RestStyle) -> SiteIndex:
        path, route = WHERE[style]
        url = f"{start}/{path}"
        for _ in range(MAX_REDIRECTS + 1):
            response = self._get(http, url, route)
            if response.is_redirect and "location" in response.headers:
                # The Location carries the whole address, ?rest_route= included.
                url, route = urljoin(str(response.url), response.headers["location"]), None
                if urlsplit(url).scheme not in ("http", "https"):
                    raise NotWooCommerce(start, f"it redirects to {url!r}, not to a web address")
                continue
            return _read(start, response, style)
        raise NotWooCommerce(start, f"more than {MAX_REDIRECTS} redirects before its REST index")

    @staticmethod
    def _get(http: httpx.Client, url: str, route: str | None) -> httpx.Response:
        params = {"rest_route": route} if route is not None else None
        try:
            return http.get(url, params=params)
        except httpx.TransportError as error:
            raise StoreUnavailable(
                url, f"GET {url}: cannot read its REST index ({type(error).__name__})"
            ) from None


def _read(start: str, response: httpx.Response, style: RestStyle) -> SiteIndex:
    where = "/wp-json/" if style is RestStyle.PRETTY else "/?rest_route=/"
    if len(response.content) > MAX_INDEX_BYTES:
        raise NotWooCommerce(start, f"its REST index at {where} is over {MAX_INDEX_BYTES} bytes")
    try:
        document = json.loads(response.content)
    except (UnicodeDecodeError, ValueError, RecursionError):
        document = None
    code = document.get("code") if isinstance(document, dict) else None
    if code in REST_DISABLED or (response.status_code in (401, 403) and code):
        raise NotWooCommerce(
            start, f"its REST API is disabled or restricted ({where} answers {code})"
        )
    if response.status_code != 200:
        raise NotWooCommerce(
            start,
            f"it does not answer as a WordPress site ({where} answers HTTP {response.status_code})",
        )
    try:
        return read_site_index(document, style)
    except IndexRefused as refused:
        raise NotWooCommerce(start, str(refused)) from None
