"""Encryption of secrets at rest."""

from typing import Protocol

from shipcrowd_woo.domain.secrets import EncryptedSecret, Secret


class SecretBox(Protocol):
    """Seals and opens secrets (consumer keys and secrets, webhook secrets).

    Several keys may be configured: the first seals, all open. Opening with an unknown key id or
    a tampered ciphertext raises, never returns garbage.
    """

    @property
    def current_key_id(self) -> str:
        """The id of the key new secrets are sealed with."""
        ...

    def seal(self, secret: Secret) -> EncryptedSecret:
        """Encrypt a secret with the current key."""
        ...

    def open(self, sealed: EncryptedSecret) -> Secret:
        """Decrypt a sealed secret with the key named by its key id."""
        ...
