"""Server-side request forgery guard.

A merchant types the store URL, so a hostile one could point our workers at the cloud metadata
service or an internal admin port. The check runs where the socket is opened: the host is
resolved once, every address is checked, and the connection goes to a checked address. So DNS
names that resolve to private addresses, decimal or octal IP spellings (which the resolver
turns into the same addresses) and DNS rebinding between check and connect all fail alike.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import httpcore

from shipcrowd_woo.domain.errors import UnsafeStoreUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# Every IPv6 address assigned for global unicast lies here (IANA's IPv6 address space
# registry); Python 3.11 calls much outside it global, IPv4-compatible ::127.0.0.1, SIIT
# ::ffff:0:7f00:1 and the deprecated site-local fec0::/10 among them.
GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
# NAT64 prefixes (RFC 6052 well-known, RFC 8215 local-use): on an IPv6-only network with NAT64
# the last 32 bits are the IPv4 address reached, which decides.
NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
IPV4_BITS = 0xFFFF_FFFF


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses, judging IPv4 hidden in IPv6 (6to4,
    Teredo, NAT64) by the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        if any(address in prefix for prefix in NAT64):
            return is_public(ipaddress.IPv4Address(int(address) & IPV4_BITS))
        if address not in GLOBAL_UNICAST:
            return False
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


def system_lookup(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, IPv4 and IPv6, in its order."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


@attrs.frozen
class HostPolicy:
    """Which hosts the client may connect to."""

    allow_private: bool = False
    # How names become addresses (tests give DNS answers of their own).
    lookup: Callable[[str, int], list[str]] = system_lookup

    def resolve(self, host: str, port: int) -> list[str]:
        """The addresses to connect to; raises UnsafeStoreUrl when any of them is not public."""
        try:
            addresses = self.lookup(host, port)
        except (socket.gaierror, UnicodeError) as error:
            raise UnsafeStoreUrl(f"{host} cannot be resolved ({error})") from None
        # Link-local holds the cloud metadata services (169.254.169.254, fd00:ec2::254 is
        # ULA and private): no store lives there, so not even allow-private-hosts reaches it.
        link_local = [a for a in addresses if ipaddress.ip_address(a.split("%")[0]).is_link_local]
        if link_local:
            raise UnsafeStoreUrl(
                f"{host} resolves to {', '.join(link_local)}, which is not a public address "
                "but link-local, where cloud metadata services answer: no store is called "
                "there, whatever the settings"
            )
        if not self.allow_private:
            refused = [a for a in addresses if not is_public(ipaddress.ip_address(a.split("%")[0]))]
            if refused:
                raise UnsafeStoreUrl(
                    f"{host} resolves to {', '.join(refused)}, which is not a public address; "
                    "stores on private networks need the allow-private-hosts setting"
                )
        return addresses


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the policy accepts (TLS still names the host)."""

    def __init__(self, policy: HostPolicy, inner: httpcore.NetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to the first reachable checked address of `host`."""
        last_error: Exception | None = None
        for address in self._policy.resolve(host, port):
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                last_error = error
        raise last_error or httpcore.ConnectError(f"no address of {host} accepted a connection")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Unix sockets are never a store."""
        raise UnsafeStoreUrl("connections to unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        """Delegate to the real backend."""
        self._inner.sleep(seconds)
