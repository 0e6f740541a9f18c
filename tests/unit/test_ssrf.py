"""The SSRF guard refuses every spelling of a non-public address, at connect time."""

import ipaddress
import re

import httpcore
import httpx
import pytest

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.ssrf import GuardedNetworkBackend, HostPolicy, is_public
from shipcrowd_woo.domain.errors import RequestRejected, UnsafeStoreUrl
from shipcrowd_woo.domain.secrets import Secret

REFUSED = [
    "127.0.0.1",
    "127.1",
    "2130706433",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "localhost",
    "10.0.0.8",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "fd00:ec2::254",
    "fe80::1",
    "2002:7f00:1::",
    "::",
    # Issue 14, point 5: IPv6 forms that reach inside and passed the guard.
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254, the metadata address
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
    "::ffff:0:7f00:1",  # SIIT
    "fec0::1",  # site-local
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
    "100::1",  # discard-only
    "2001:db8::1",  # documentation
]


@pytest.mark.parametrize("host", REFUSED)
def test_non_public_hosts_are_refused_however_they_are_spelled(host):
    """Loopback, private, link-local (cloud metadata), CGNAT, multicast, IPv4-mapped, ULA,
    6to4-wrapped and decimal/octal/hex spellings all resolve to refused addresses."""
    with pytest.raises(UnsafeStoreUrl, match="not a public address"):
        HostPolicy().resolve(host, 443)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
        "64:ff9b::5db8:d70e",  # NAT64 of 93.184.215.14: a DNS64 answer for a public store
    ],
)
def test_public_addresses_pass(address):
    """Globally routable unicast addresses are allowed, and NAT64 addresses of public ones."""
    assert is_public(ipaddress.ip_address(address))
    assert HostPolicy().resolve(address, 443) == [address]


@pytest.mark.parametrize(
    "answer",
    [
        ["10.0.0.5"],
        ["169.254.169.254"],
        ["::ffff:10.1.2.3"],
        ["fd12:3456::1"],
        ["93.184.215.14", "192.168.0.9"],
    ],
    ids=["private", "metadata", "ipv4-mapped", "ula", "one-private-among-public"],
)
def test_a_store_name_whose_dns_answer_points_inside_is_refused(answer):
    """An ordinary store name answered by a hostile DNS server: one address that is not
    public among the answers is enough to refuse."""
    policy = HostPolicy(lookup=lambda host, port: answer)
    with pytest.raises(UnsafeStoreUrl, match="not a public address"):
        policy.resolve("shop.example.com", 443)


def test_the_socket_goes_to_the_address_that_was_checked():
    """DNS rebinding: the name is looked up once and the connection opened to the checked
    address, so a second answer pointing at loopback is never used."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    opened = []

    class Recording(httpcore.NetworkBackend):
        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            opened.append(host)
            raise httpcore.ConnectError("no network in this test")

    backend = GuardedNetworkBackend(
        HostPolicy(lookup=lambda host, port: next(answers)), Recording()
    )
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp("shop.example.com", 443)
    assert opened == ["93.184.215.14"]


def test_the_allow_setting_lets_private_hosts_through():
    """Tests and the sandbox run on 127.0.0.1 under the explicit setting."""
    assert HostPolicy(allow_private=True).resolve("127.0.0.1", 80) == ["127.0.0.1"]


def test_an_unresolvable_host_is_refused_with_a_clear_error():
    """A name that does not resolve says so."""
    with pytest.raises(UnsafeStoreUrl, match="cannot be resolved"):
        HostPolicy().resolve("no-such-host.invalid", 443)


def test_the_client_refuses_to_connect_to_a_private_store_at_call_time():
    """The guard sits in the connection itself: a client for a loopback store fails on its
    first call, before any byte is sent."""
    client = HttpxStoreClient("http://127.0.0.1:9", Secret("ck_x"), Secret("cs_x"), ClientOptions())
    with client, pytest.raises(UnsafeStoreUrl, match=r"127\.0\.0\.1"):
        client.system_status()


def test_redirects_are_not_followed():
    """A store answering 301 is an error naming the target; nothing is fetched there."""
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(301, headers={"Location": "http://169.254.169.254/latest?x=1"})

    client = HttpxStoreClient(
        "https://shop.example.com",
        Secret("ck_x"),
        Secret("cs_x"),
        transport=httpx.MockTransport(handler),
    )
    target = re.escape("redirects to http://169.254.169.254/latest")
    with client, pytest.raises(RequestRejected, match=target):
        client.get_order(1)
    assert seen == ["shop.example.com"]


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "169.254.0.1"])
def test_link_local_is_refused_even_where_private_hosts_are_allowed(address):
    """Issue 16: installing now follows redirects to read a site's index; a hop to the
    metadata service must not pass because a development setting lets private hosts in."""
    with pytest.raises(UnsafeStoreUrl, match="link-local"):
        HostPolicy(allow_private=True, lookup=lambda host, port: [address]).resolve("shop", 80)
