"""Token encryption: sealing, key rotation, and values written before encryption."""

from __future__ import annotations

import pytest

from leadbridge.security.crypto import PREFIX, SecretKeyError, TokenCipher, new_key

OLD, NEW = new_key(), new_key()


def test_a_sealed_token_does_not_contain_the_token_and_opens_again() -> None:
    cipher = TokenCipher([NEW])
    stored = cipher.seal("access-token-123")
    assert stored.startswith(PREFIX)
    assert "access-token-123" not in stored
    assert cipher.open(stored) == "access-token-123"


def test_after_rotation_old_values_open_and_only_new_ones_are_current() -> None:
    before = TokenCipher([OLD]).seal("t")
    rotated = TokenCipher([NEW, OLD])
    assert rotated.open(before) == "t"
    assert not rotated.is_current(before)
    assert rotated.is_current(rotated.seal("t"))


def test_a_value_from_before_encryption_is_read_as_is_and_is_stale() -> None:
    cipher = TokenCipher([NEW])
    assert cipher.open("plain-token") == "plain-token"
    assert not cipher.is_current("plain-token")


def test_a_dropped_key_is_reported_without_the_value() -> None:
    stored = TokenCipher([OLD]).seal("secret-token")
    with pytest.raises(SecretKeyError) as caught:
        TokenCipher([NEW]).open(stored)
    assert "secret-token" not in str(caught.value)
    with pytest.raises(SecretKeyError):
        TokenCipher([]).open(stored)


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(SecretKeyError) as caught:
        TokenCipher.from_setting("not-a-fernet-key")
    assert "not-a-fernet-key" not in str(caught.value)


def test_without_keys_values_stay_plain() -> None:
    cipher = TokenCipher.from_setting("")
    assert not cipher.enabled
    assert cipher.seal("t") == "t"
    assert cipher.is_current("t")
