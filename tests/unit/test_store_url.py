"""Store URLs have one canonical spelling, and what cannot be a store is refused."""

import pytest

from shipcrowd_woo.domain.store_url import InvalidStoreUrl, normalise_store_url


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Shop.Example.com", "https://shop.example.com"),
        ("https://shop.example.com/", "https://shop.example.com"),
        ("HTTPS://SHOP.EXAMPLE.COM:443/", "https://shop.example.com"),
        ("http://shop.example.com:80", "http://shop.example.com"),
        ("https://example.com/shop/", "https://example.com/shop"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("  https://bücher.example/  ", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:8089", "http://127.0.0.1:8089"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("https://shop.example.com.", "https://shop.example.com"),
    ],
)
def test_a_store_url_has_one_canonical_spelling(raw, canonical):
    """Scheme added when missing, case folded, default port and trailing slash dropped,
    international names in punycode, subdirectory installs kept."""
    assert normalise_store_url(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("ftp://shop.example.com", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("https://user:pass@shop.example.com", "user name or password"),
        ("https://shop.example.com/?a=1", "query or fragment"),
        ("https://shop.example.com/#x", "query or fragment"),
        ("https://shop example.com", "spaces"),
        ("https://shop.example.com:99999", "malformed"),
        ("https://", "no host"),
        ("https://a..b", "not a valid host"),
    ],
)
def test_what_cannot_be_a_store_is_refused_with_the_reason(raw, reason):
    """Each refusal says why."""
    with pytest.raises(InvalidStoreUrl, match=reason):
        normalise_store_url(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "https://shop^.example.com",
        "https://shop;x.example.com",
        "https://-shop.example.com",
        "https://shop..example.com",
        "https://" + "a" * 64 + ".example.com",
        "https://[::zz]",
        "\uda6a\udd95^6\ud98f\udd27\u00a94",
    ],
)
def test_hosts_must_be_host_names_or_addresses(raw):
    """Found by schemathesis: `^` and `;` are not part of any host name."""
    with pytest.raises(InvalidStoreUrl):
        normalise_store_url(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://my_shop.example.com", "https://my_shop.example.com"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("https://Bücher.example", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:8089/", "http://127.0.0.1:8089"),
    ],
)
def test_real_hosts_are_kept(raw, expected):
    assert normalise_store_url(raw) == expected


@pytest.mark.parametrize(
    "raw", ["http://2130706433", "http://0177.0.0.1", "http://0x7f.0.0.1", "http://127.1"]
)
def test_ambiguous_ip_spellings_are_refused(raw):
    """Found by the reliability suite: httpx itself raises on 0177.0.0.1."""
    with pytest.raises(InvalidStoreUrl, match="ambiguously"):
        normalise_store_url(raw)
