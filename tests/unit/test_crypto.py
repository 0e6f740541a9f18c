"""The AES-256-GCM secret box and the parsing of configured keys."""

import base64
import os

import pytest

from shipcrowd_woo.adapters.crypto import (
    AesGcmSecretBox,
    InvalidEncryptionKeys,
    generate_key_text,
    parse_encryption_keys,
)
from shipcrowd_woo.domain.errors import SecretsUnavailable
from shipcrowd_woo.domain.secrets import EncryptedSecret, Secret


def box(*ids: str) -> AesGcmSecretBox:
    return AesGcmSecretBox([(i, os.urandom(32)) for i in ids])


def test_sealed_secrets_open_again_and_never_twice_alike():
    """A fresh nonce each time: the same secret seals differently."""
    b = box("k1")
    first, second = b.seal(Secret("cs_secret")), b.seal(Secret("cs_secret"))
    assert first.ciphertext != second.ciphertext
    assert b.open(first).reveal() == b.open(second).reveal() == "cs_secret"
    assert b"cs_secret" not in first.ciphertext


def test_a_tampered_ciphertext_or_a_swapped_key_id_is_refused():
    """GCM's tag and the key id bound as associated data catch both."""
    b = AesGcmSecretBox([("a", os.urandom(32)), ("b", os.urandom(32))])
    sealed = b.seal(Secret("s"))
    flipped = bytes([sealed.ciphertext[-1] ^ 1])
    with pytest.raises(SecretsUnavailable):
        b.open(EncryptedSecret("a", sealed.ciphertext[:-1] + flipped))
    with pytest.raises(SecretsUnavailable):
        b.open(EncryptedSecret("b", sealed.ciphertext))


def test_the_box_shows_key_ids_never_keys():
    """repr names the keys, nothing more."""
    material = os.urandom(32)
    shown = repr(AesGcmSecretBox([("k1", material)]))
    assert "k1" in shown
    assert base64.urlsafe_b64encode(material).decode() not in shown


def test_configured_keys_are_parsed_first_one_current():
    """`id:base64,id:base64`; generated keys parse."""
    text = f"{generate_key_text('new')},{generate_key_text('old')}"
    keys = parse_encryption_keys(text)
    assert [k for k, _ in keys] == ["new", "old"]
    assert AesGcmSecretBox(keys).current_key_id == "new"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no encryption key"),
        ("nocolon", "id:base64"),
        ("k1:!!!", "not base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "32 bytes"),
        (f"{generate_key_text('k')},{generate_key_text('k')}", "twice"),
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(text, reason):
    """The message says what is wrong, never the key material."""
    with pytest.raises(InvalidEncryptionKeys, match=reason) as raised:
        parse_encryption_keys(text)
    material = text.partition(":")[2][:20]
    if material:
        assert material not in str(raised.value)
