"""A text column encrypted at rest, for OAuth tokens.

The keys are process-wide, like the logging setup: the command line installs them once from
settings (`use_keys`) before any database work, and every session then seals and opens the
column the same way. Without keys the column is plain text, as before encryption existed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Text, TypeDecorator

from leadbridge.security.crypto import TokenCipher


class _Installed:
    cipher = TokenCipher([])


def use_keys(setting: str) -> TokenCipher:
    """Install the keys of `security.token_keys` (comma-separated; the first encrypts)."""
    _Installed.cipher = TokenCipher.from_setting(setting)
    return _Installed.cipher


def cipher() -> TokenCipher:
    return _Installed.cipher


class SealedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else _Installed.cipher.seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else _Installed.cipher.open(str(value))
