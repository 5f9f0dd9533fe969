"""The generated key: made once in a file only its user reads, found again, never loosened."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from leadbridge.config import SecuritySettings, Settings
from leadbridge.security import key_file
from leadbridge.security.crypto import TokenCipher, new_key


def _settings(tmp_path: Path, **security: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'bridge.db'}",
        security=SecuritySettings.model_validate(security),
    )


def test_a_key_is_made_once_next_to_the_sqlite_file_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    first = key_file.resolve(_settings(tmp_path))
    again = key_file.resolve(_settings(tmp_path))

    assert first.file == tmp_path / "bridge.db.key"
    assert (first.created, again.created) == (True, False)
    assert first.setting == again.setting
    assert stat.S_IMODE(first.file.stat().st_mode) == 0o600
    assert TokenCipher.from_setting(first.setting).enabled


def test_without_a_sqlite_file_the_key_goes_to_the_users_config_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = key_file.default_path("postgresql://bridge@db.internal/leadbridge")
    assert path == tmp_path / "config" / "leadbridge" / "secrets.key"


def test_a_key_file_others_may_read_is_refused(tmp_path: Path) -> None:
    made = key_file.resolve(_settings(tmp_path))
    assert made.file is not None
    made.file.chmod(0o644)
    with pytest.raises(key_file.KeyFileError, match="chmod 600"):
        key_file.resolve(_settings(tmp_path))


def test_configured_keys_come_first_and_the_files_key_still_opens(tmp_path: Path) -> None:
    made = key_file.resolve(_settings(tmp_path))
    sealed_by_file = TokenCipher.from_setting(made.setting).seal("token")
    configured = new_key()

    keys = key_file.resolve(_settings(tmp_path, token_keys=SecretStr(configured)))

    cipher = TokenCipher.from_setting(keys.setting)
    assert cipher.open(sealed_by_file) == "token"
    assert TokenCipher([configured]).open(cipher.seal("new")) == "new"


def test_with_configured_keys_no_file_is_made(tmp_path: Path) -> None:
    keys = key_file.resolve(_settings(tmp_path, token_keys=SecretStr(new_key())))
    assert keys.file is None
    assert not (tmp_path / "bridge.db.key").exists()


def test_an_explicit_place_is_used(tmp_path: Path) -> None:
    place = tmp_path / "keys" / "leadbridge.key"
    keys = key_file.resolve(_settings(tmp_path, key_file=place))
    assert keys.file == place
    assert place.is_file()
