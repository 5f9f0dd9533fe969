"""Secrets in the configuration may be given encrypted (`fernet:…`, made by
`leadbridge keys encrypt`), so that a TOML file or an environment dump holds no client secret
in the clear; they are opened once, when the settings are loaded."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr

from leadbridge.security.crypto import PREFIX, TokenCipher


def open_secrets(settings: BaseModel, cipher: TokenCipher) -> None:
    """Replace every encrypted secret field, in every section, by its plain value."""
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            open_secrets(value, cipher)
        elif isinstance(value, SecretStr) and value.get_secret_value().startswith(PREFIX):
            setattr(settings, name, SecretStr(cipher.open(value.get_secret_value())))
