"""Sandbox stores served over real HTTP (OAuth 1.0a) and HTTPS (Basic), for the contract
suites; plus clients for them."""

from collections.abc import Iterator

import pytest

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.transport import TransportOptions
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore


def client_for(server: SandboxServer, key: str, secret: str, **options: object) -> HttpxStoreClient:
    """A client allowed to reach 127.0.0.1 and trusting the sandbox's certificate."""
    transport = options.pop("transport_options", TransportOptions(read_timeout=10))
    return HttpxStoreClient(
        server.url,
        Secret(key),
        Secret(secret),
        ClientOptions(
            allow_private_hosts=True,
            verify=str(server.certificate) if server.certificate else True,
            transport=transport,  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        ),
    )


@pytest.fixture(scope="session")
def http_sandbox() -> Iterator[SandboxServer]:
    """A sandbox over plain HTTP (OAuth 1.0a), 250 orders like the recorded store."""
    with SandboxServer(SandboxStore(seed=11, products=18, orders=250)) as server:
        yield server


@pytest.fixture(scope="session")
def https_sandbox() -> Iterator[SandboxServer]:
    """A sandbox over HTTPS with a self-signed certificate (Basic authentication)."""
    with SandboxServer(SandboxStore(seed=12, products=18, orders=250), tls=True) as server:
        yield server
