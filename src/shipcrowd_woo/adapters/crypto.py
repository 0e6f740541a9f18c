"""AES-256-GCM SecretBox with key ids (cryptography's AEAD primitive).

Each sealed secret is a random 96-bit nonce followed by the ciphertext and tag, bound to its
key id as associated data, so a ciphertext cannot be passed off under another key's id.
Several keys may be configured: the first seals, all open, which is how keys are rotated.
"""

import base64
import binascii
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shipcrowd_woo.domain.errors import SecretsUnavailable
from shipcrowd_woo.domain.secrets import EncryptedSecret, Secret

NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class InvalidEncryptionKeys(ValueError):
    """The configured keys are malformed; the message never contains key material."""


def parse_encryption_keys(raw: str) -> list[tuple[str, bytes]]:
    """`id1:base64key,id2:base64key` -> [(id, 32 bytes)], the first being the current key."""
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate(filter(None, (e.strip() for e in raw.split(","))), 1):
        key_id, separator, encoded = entry.partition(":")
        if not separator or not _KEY_ID.fullmatch(key_id):
            raise InvalidEncryptionKeys(
                f"key {position} must be written id:base64 with an id of letters, digits, . _ -"
            )
        text = encoded.strip().replace("-", "+").replace("_", "/")
        try:
            material = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidEncryptionKeys(f"key {key_id!r} is not base64") from None
        if len(material) != KEY_BYTES:
            raise InvalidEncryptionKeys(
                f"key {key_id!r} must be {KEY_BYTES} bytes (AES-256), not {len(material)}"
            )
        if any(existing == key_id for existing, _ in keys):
            raise InvalidEncryptionKeys(f"key id {key_id!r} is configured twice")
        keys.append((key_id, material))
    if not keys:
        raise InvalidEncryptionKeys("no encryption key is configured")
    return keys


def generate_key_text(key_id: str) -> str:
    """A fresh `id:base64` key for SHIPCROWD_WOO_ENCRYPTION_KEYS."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()}"


class AesGcmSecretBox:
    """The SecretBox port with AES-256-GCM."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise InvalidEncryptionKeys("no encryption key is configured")
        self._keys = {key_id: AESGCM(material) for key_id, material in keys}
        self._current = keys[0][0]

    def __repr__(self) -> str:
        return f"AesGcmSecretBox(key_ids={list(self._keys)!r}, current={self._current!r})"

    @property
    def current_key_id(self) -> str:
        """The id of the key that seals."""
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every configured key id."""
        return tuple(self._keys)

    def seal(self, secret: Secret) -> EncryptedSecret:
        """Encrypt with the current key and a fresh nonce."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(
            nonce, secret.reveal().encode(), self._current.encode()
        )
        return EncryptedSecret(self._current, nonce + sealed)

    def open(self, sealed: EncryptedSecret) -> Secret:
        """Decrypt; an unknown key id or a failed tag is SecretsUnavailable."""
        cipher = self._keys.get(sealed.key_id)
        if cipher is None:
            raise SecretsUnavailable(
                f"a secret is sealed with key {sealed.key_id!r}, which is not configured"
            )
        nonce, body = sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:]
        try:
            return Secret(cipher.decrypt(nonce, body, sealed.key_id.encode()).decode())
        except (InvalidTag, ValueError, UnicodeDecodeError):
            raise SecretsUnavailable(
                f"a secret sealed with key {sealed.key_id!r} cannot be opened: the configured "
                "key is wrong or the data was altered"
            ) from None
