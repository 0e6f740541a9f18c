"""Secret values that never show themselves in a repr, a str or a log line."""

import attrs


@attrs.frozen(repr=False)
class Secret:
    """A credential or key; only `reveal()` gives the value, and only to code that must use it."""

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        """Return the plain value for the one place that needs it (signing, encrypting)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@attrs.frozen(repr=False)
class EncryptedSecret:
    """A secret sealed by a SecretBox, tagged with the id of the key that sealed it."""

    key_id: str
    ciphertext: bytes

    def __repr__(self) -> str:
        return f"EncryptedSecret(key_id={self.key_id!r}, ciphertext=<{len(self.ciphertext)} bytes>)"
