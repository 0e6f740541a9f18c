"""Issue 16: a store connects under the home URL its REST index names. The SiteDirectory
adapter against the sandbox in each of its guises and against the real recorded index; the
store client against a store that serves its API only at ?rest_route=."""

import json
import threading

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.discovery import HttpxSiteDirectory
from shipcrowd_woo.domain.errors import AuthenticationFailed, NotWooCommerce
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.site_index import RestStyle, read_site_index
from shipcrowd_woo.domain.woo_catalog import StockUpdate
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.fixtures import RECORDED

RECORDED_INDEX = RECORDED / "rest_index.json"
SITES = HttpxSiteDirectory(ClientOptions(allow_private_hosts=True))


def _client(url: str, key: str, secret: str, style: RestStyle) -> HttpxStoreClient:
    return HttpxStoreClient(
        url, Secret(key), Secret(secret), ClientOptions(allow_private_hosts=True), rest_style=style
    )


@pytest.fixture
def sandbox():
    """A store that calls itself `localhost` while listening on 127.0.0.1 (an alias)."""
    with SandboxServer(SandboxStore(seed=41, products=8, orders=30), home_host="localhost") as s:
        yield s


def test_the_real_recorded_index_names_its_home_and_namespaces():
    recorded = json.loads(RECORDED_INDEX.read_text())
    site = read_site_index(recorded["body"], RestStyle.PRETTY)
    assert site.home_url == "http://store.example"
    assert "wc/v3" in site.namespaces
    assert site.timezone == "UTC"

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/wp-json/"
        assert "authorization" not in request.headers
        return httpx.Response(200, json=recorded["body"], headers=recorded["headers"])

    found = HttpxSiteDirectory(transport=httpx.MockTransport(answer)).discover("store.example")
    assert (found.home_url, found.rest_style) == ("http://store.example", RestStyle.PRETTY)


@pytest.mark.parametrize(
    "typed", ["{address}", "{address}/", "{address}/wp-json", "{home}/wp-json/"]
)
def test_an_alias_or_a_pasted_rest_path_finds_the_home(sandbox, typed):
    site = SITES.discover(typed.format(address=sandbox.address, home=sandbox.url))
    assert site.home_url == sandbox.url != sandbox.address
    assert site.namespaces == ("wp/v2", "wc/v3")
    assert site.rest_style is RestStyle.PRETTY


def test_under_an_alias_the_store_refuses_the_signature_and_under_its_home_takes_it(sandbox):
    """What the real WooCommerce 10.0.2 did (localhost for its home 127.0.0.1): OAuth signed
    for the address typed is refused; signed for the home URL it passes."""
    key, secret = sandbox.store.create_api_key()
    with (
        _client(sandbox.address, key, secret, RestStyle.PRETTY) as typed,
        pytest.raises(AuthenticationFailed, match="Invalid signature"),
    ):
        typed.system_status()
    with _client(sandbox.url, key, secret, RestStyle.PRETTY) as home:
        assert home.system_status().wc_version


def test_redirects_to_the_home_are_followed_to_read_the_index(sandbox):
    """A web server sending other host names to the home (bare -> www, an alias)."""
    sandbox.store.canonical_redirect = True
    site = SITES.discover(sandbox.address)
    assert site.home_url == sandbox.url


def test_a_store_with_plain_permalinks_is_found_and_served_at_rest_route(sandbox):
    """/wp-json/ is a 404 page there; the index, listings, batches and webhooks all work at
    /?rest_route=/…, OAuth signed as check_oauth_signature() computes it."""
    sandbox.store.plain_permalinks = True
    site = SITES.discover(sandbox.address)
    assert (site.home_url, site.rest_style) == (sandbox.url, RestStyle.QUERY)
    key, secret = sandbox.store.create_api_key()
    with _client(site.home_url, key, secret, RestStyle.QUERY) as client:
        assert client.system_status().wc_version
        orders = [order for page in client.order_pages() for order in page.read()]
        assert len(orders) == len(sandbox.store.orders)
        simple = next(p for p in sandbox.store.products.values() if p["type"] == "simple")
        [result] = client.update_stock([StockUpdate(simple["id"], None, 17)])
        assert result.ok
        assert sandbox.store.products[simple["id"]]["stock_quantity"] == 17
        made = client.create_webhook("order.updated", "https://example.com/hook", Secret("s"))
        assert made.id in {hook.id for hook in client.webhooks()}
        client.delete_webhook(made.id)
        assert made.id not in {hook.id for hook in client.webhooks()}


def test_a_store_without_the_woocommerce_api_is_named_so(sandbox):
    sandbox.store.rest_namespaces = ["wp/v2"]
    with pytest.raises(NotWooCommerce, match="wc/v3 is not among its namespaces"):
        SITES.discover(sandbox.address)


def _serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,))
    thread.start()
    return server, thread


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (Response("<html>a brochure site</html>", 200), "does not answer as a WordPress site"),
        (Response("<html>no</html>", 404), "does not answer as a WordPress site"),
        (
            Response(
                json.dumps({"code": "rest_disabled", "message": "The REST API is disabled."}),
                401,
                content_type="application/json",
            ),
            "REST API is disabled or restricted",
        ),
    ],
    ids=["not-wordpress", "nothing-there", "rest-disabled"],
)
def test_what_is_not_a_woocommerce_store_is_named(answer, says):
    server, thread = _serving(answer)
    try:
        with pytest.raises(NotWooCommerce, match=says):
            SITES.discover(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_http_redirected_to_https_connects_over_https():
    """A merchant types http:// for a site moved to https: the redirect is followed to read
    the index, and the store is reached at its https home (Basic authentication)."""
    store = SandboxStore(seed=43, products=4, orders=5)
    with SandboxServer(store, tls=True, http_redirect=True) as server:
        sites = HttpxSiteDirectory(
            ClientOptions(allow_private_hosts=True, verify=str(server.certificate))
        )
        site = sites.discover(server.http_address)
        assert site.home_url == server.url
        assert site.home_url.startswith("https://")
        key, secret = store.create_api_key()
        options = ClientOptions(allow_private_hosts=True, verify=str(server.certificate))
        with HttpxStoreClient(site.home_url, Secret(key), Secret(secret), options) as client:
            assert client.system_status().wc_version


def test_a_plain_permalink_store_behind_a_redirect_is_found_at_its_home(sandbox):
    """The ?rest_route= query survives the hop: the Location carries it, and it is not
    asked twice."""
    sandbox.store.canonical_redirect = True
    sandbox.store.plain_permalinks = True
    site = SITES.discover(sandbox.address)
    assert (site.home_url, site.rest_style) == (sandbox.url, RestStyle.QUERY)
