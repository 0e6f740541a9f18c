"""Store URLs: one canonical spelling, so one store is one store.

A WordPress site may live under a path (`https://example.com/shop`), so the path is kept;
everything that cannot be part of a site address (credentials, query, fragment, odd schemes)
is refused. Whether the host may be called at all (SSRF) is the HTTP adapter's decision.
"""

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 2048
MAX_HOST_LENGTH = 253
# Letters, digits and hyphens (underscores too: real sites use them in subdomains).
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_SCHEME_WITHOUT_SLASHES = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d+(?:/|$))")


class InvalidStoreUrl(ValueError):
    """The text cannot be a WooCommerce store address; the message says why."""


def _dotted_quad(host: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def normalise_store_url(raw: str) -> str:
    """`Shop.Example.com/` -> `https://shop.example.com`; raises InvalidStoreUrl."""
    text = raw.strip()
    if not text:
        raise InvalidStoreUrl("the store URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidStoreUrl(f"the store URL is longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() or ord(char) < 32 for char in text):
        raise InvalidStoreUrl("the store URL contains spaces or control characters")
    if "://" not in text:
        # "shop.example.com:8443" is a host and port; "javascript:…" or "mailto:…" a scheme.
        other_scheme = _SCHEME_WITHOUT_SLASHES.match(text)
        if other_scheme:
            raise InvalidStoreUrl(
                "only http and https stores can be connected, "
                f"not {other_scheme.group(1).lower()!r}"
            )
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise InvalidStoreUrl(f"the store URL is malformed: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidStoreUrl(f"only http and https stores can be connected, not {scheme!r}")
    if parts.username is not None or parts.password is not None:
        raise InvalidStoreUrl("the store URL must not contain a user name or password")
    if parts.query or parts.fragment:
        raise InvalidStoreUrl("the store URL must not contain a query or fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidStoreUrl("the store URL has no host")
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidStoreUrl(f"{host!r} is not a valid host name") from None
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidStoreUrl(f"{host!r} is not a valid IPv6 address") from None
        host = f"[{host}]"
    elif len(host) > MAX_HOST_LENGTH or not all(_LABEL.fullmatch(x) for x in host.split(".")):
        raise InvalidStoreUrl(f"{host!r} is not a valid host name")
    elif all(_NUMERIC_LABEL.fullmatch(x) for x in host.split(".")) and not _dotted_quad(host):
        # 2130706433, 0177.0.0.1, 0x7f.1, 127.1: resolvers read these as addresses in ways
        # that differ between libraries; only the plain a.b.c.d spelling is accepted.
        raise InvalidStoreUrl(f"{host!r} spells an IP address ambiguously: write it as a.b.c.d")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, "", ""))
