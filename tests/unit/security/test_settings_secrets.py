"""Encrypted secrets in the configuration are opened when the settings load."""

from __future__ import annotations

import pytest

from leadbridge.config import AmoCrmSettings, Settings
from leadbridge.security.crypto import SecretKeyError, TokenCipher, new_key
from leadbridge.security.settings_secrets import open_secrets


def test_encrypted_secrets_are_opened_and_plain_ones_kept() -> None:
    cipher = TokenCipher([new_key()])
    settings = Settings(
        amocrm=AmoCrmSettings(client_secret=cipher.seal("amo-secret"), client_id="id"),  # type: ignore[arg-type]
        web={"webhook_token": "plain-token"},  # type: ignore[arg-type]
    )
    open_secrets(settings, cipher)
    assert settings.amocrm.client_secret.get_secret_value() == "amo-secret"
    assert settings.web.webhook_token.get_secret_value() == "plain-token"
    assert settings.amocrm.client_id == "id"


def test_a_secret_under_an_unknown_key_is_an_error() -> None:
    sealed_value = TokenCipher([new_key()]).seal("amo-secret")
    settings = Settings(amocrm=AmoCrmSettings(client_secret=sealed_value))  # type: ignore[arg-type]
    with pytest.raises(SecretKeyError):
        open_secrets(settings, TokenCipher([new_key()]))
