"""Hostile store URLs at install, through the API with the real HTTP client: every address
that is not a public host is refused with a clear error — unless the explicit setting allows
private hosts — and a store that redirects is never followed."""

import threading

import pytest
from werkzeug import Response
from werkzeug.serving import make_server

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions
from shipcrowd_woo.adapters.woocommerce.factory import HttpxStoreClientFactory
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.apps import make_api

HOSTILE = [
    "http://127.0.0.1",
    "http://localhost:8080",
    "http://10.0.0.5",
    "http://172.16.3.4",
    "http://192.168.1.1",
    "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1",
    "http://0.0.0.0",
    "http://[::1]",
    "http://[::ffff:127.0.0.1]",
    "http://[::ffff:169.254.169.254]",
    "http://[fd00::1]",
    "http://[fe80::1]",
    "http://[2002:7f00:1::]",
    "http://2130706433",
    "http://0x7f.0.0.1",
    "http://0177.0.0.1",
    "http://127.1",
    "ftp://shop.example.com",
    "file:///etc/passwd",
    "gopher://127.0.0.1:70/",
    "javascript:alert(1)",
    "https://user:pass@shop.example.com",
]


def _client_factory(allow_private_hosts):
    return lambda _: HttpxStoreClientFactory(ClientOptions(allow_private_hosts=allow_private_hosts))


@pytest.fixture
def strict(migrated_sqlite_template, tmp_path):
    api = make_api(migrated_sqlite_template, tmp_path, clients=_client_factory(False))
    yield api
    api.close()


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused_with_a_clear_error(strict, url, figures):
    response = strict.call(
        "POST",
        "/install",
        json={"store_url": url, "consumer_key": "ck_x", "consumer_secret": "cs_x"},
    )
    figures["hostile input"]["store URLs tried"] += 1
    figures["hostile input"][f"store URLs answered {response.status_code}"] += 1
    assert response.status_code == 422, response.get_json()
    [error] = response.get_json()["errors"]
    assert error["field"] == "store_url"
    assert error["message"]
    assert strict.call("GET", "/stores").get_json()["total"] == 0


def test_private_hosts_are_allowed_only_by_the_explicit_setting(migrated_sqlite_template, tmp_path):
    api = make_api(migrated_sqlite_template, tmp_path, clients=_client_factory(True))
    try:
        with SandboxServer(SandboxStore(seed=3, products=4, orders=5)) as server:
            key, secret = server.store.create_api_key()
            installed = api.call(
                "POST",
                "/install",
                json={"store_url": server.url, "consumer_key": key, "consumer_secret": secret},
            )
            assert installed.status_code == 201, installed.get_json()
    finally:
        api.close()


def test_a_redirect_to_the_metadata_service_is_refused_before_connecting(
    migrated_sqlite_template, tmp_path
):
    """Installing follows redirects only to read the site's REST index, every hop through
    the guard: even where private hosts are allowed, a hop to the metadata service (link-local)
    is refused before any connection, and no credential was sent anywhere."""
    followed = threading.Event()

    def redirecting(environ, start_response):
        if "169.254" in environ.get("HTTP_HOST", ""):
            followed.set()
        return Response("", 302, headers={"Location": "http://169.254.169.254/latest/meta-data"})(
            environ, start_response
        )

    server = make_server("127.0.0.1", 0, redirecting, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api = make_api(migrated_sqlite_template, tmp_path, clients=_client_factory(True))
    try:
        response = api.call(
            "POST",
            "/install",
            json={
                "store_url": f"http://127.0.0.1:{server.server_port}",
                "consumer_key": "ck_x",
                "consumer_secret": "cs_x",
            },
        )
    finally:
        api.close()
        server.shutdown()
        thread.join()
        server.server_close()
    assert response.status_code == 422, response.get_json()
    assert "169.254.169.254" in str(response.get_json())
    assert "link-local" in str(response.get_json())
    assert not followed.is_set()
