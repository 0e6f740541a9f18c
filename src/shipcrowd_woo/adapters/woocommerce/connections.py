"""HTTP connections to stores: TLS trust shared by the process, every TCP connection through
the SSRF guard."""

import functools
import ssl

import httpcore
import httpx

from shipcrowd_woo.adapters.woocommerce.ssrf import GuardedNetworkBackend, HostPolicy


@functools.cache
def _trusting(verify: str | bool) -> ssl.SSLContext:
    """One TLS context per trust setting, shared by every client of the process: loading the
    system's certificates took 30 ms, a third of a fulfilment job's CPU (profiled with
    py-spy, bench/fulfilment_bench.py). An SSLContext is safe to share between threads."""
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def guarded_transport(
    verify: str | bool | ssl.SSLContext, allow_private_hosts: bool, max_in_flight: int
) -> httpx.HTTPTransport:
    """An HTTP transport whose every TCP connection goes through the SSRF guard."""
    context = verify if isinstance(verify, ssl.SSLContext) else _trusting(verify)
    limits = max(max_in_flight, 1) + 2
    transport = httpx.HTTPTransport(verify=context)
    # httpx builds its httpcore pool without a way to pass a network backend; the pool is
    # rebuilt with the guarded one (same settings httpx would use).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context,
        max_connections=limits,
        max_keepalive_connections=limits,
        keepalive_expiry=30.0,
        network_backend=GuardedNetworkBackend(HostPolicy(allow_private_hosts)),
    )
    return transport
