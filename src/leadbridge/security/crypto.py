"""Encryption of secrets at rest with Fernet (AES-128-CBC + HMAC-SHA256), several keys at once.

The first key encrypts; every key decrypts, so a new key can be put first while rows written
under the old one are still read — then re-encrypted, and the old key dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "fernet:"


class SecretKeyError(ValueError):
    """A key that is not a Fernet key, or a value no configured key opens."""


class TokenCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        try:
            self._fernets = [Fernet(key.strip().encode()) for key in keys if key.strip()]
        except ValueError as error:
            # The message never repeats the key.
            raise SecretKeyError(
                "security.token_keys: each key must be 32 url-safe base64 bytes "
                "(make one with `leadbridge keys generate`)"
            ) from error
        self._all = MultiFernet(self._fernets) if self._fernets else None

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        return cls(value.split(","))

    @property
    def enabled(self) -> bool:
        return self._all is not None

    def seal(self, plain: str) -> str:
        if self._all is None:
            return plain
        return PREFIX + self._all.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        """The plain value; a value stored before encryption was switched on is read as is."""
        if not stored.startswith(PREFIX):
            return stored
        if self._all is None:
            raise SecretKeyError("an encrypted token is stored but security.token_keys is not set")
        try:
            return self._all.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as error:
            raise SecretKeyError("no key in security.token_keys opens the stored token") from error

    def is_current(self, stored: str) -> bool:
        """Sealed with the first key — or, without keys, plain: nothing to rewrite."""
        if self._all is None:
            return not stored.startswith(PREFIX)
        if not stored.startswith(PREFIX):
            return False
        try:
            self._fernets[0].decrypt(stored[len(PREFIX) :].encode())
        except InvalidToken:
            return False
        return True


def new_key() -> str:
    return Fernet.generate_key().decode()
