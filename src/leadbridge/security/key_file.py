"""The key that seals secrets in the database when `security.token_keys` is not configured.

Without a configured key, amoCRM tokens and the session signing key would lie in the database in
the clear, and a copy of it (a backup) would give them away. So on first start leadbridge makes
a key of its own, in a file only its user may read (0600) and outside the database: next to the
SQLite file, or under `$XDG_CONFIG_HOME/leadbridge/` (`~/.config/leadbridge/`) for PostgreSQL;
`security.key_file` names another place. Keys from the environment still come first; the file's
key then stays a decrypting key, so that what it sealed keeps opening until `keys reencrypt`.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from leadbridge.config import Settings
from leadbridge.security.crypto import new_key

FILE_NAME = "secrets.key"
CREATED = (
    "создан ключ шифрования секретов в базе: {path} (читает только этот пользователь). "
    "Храните его копию отдельно от резервных копий базы: без него токены amoCRM не открыть."
)


class KeyFileError(ValueError):
    """The key file exists but may not be used as it is."""


@dataclass(frozen=True, slots=True)
class Keys:
    setting: str  # for `sealed.use_keys`: comma-separated, the first encrypts
    file: Path | None  # the key file in use, if any
    created: bool  # made just now: tell the operator where it is


def resolve(settings: Settings) -> Keys:
    configured = settings.security.token_keys.get_secret_value().strip()
    path = settings.security.key_file or default_path(settings.database_url)
    if configured:
        if path.exists():
            return Keys(f"{configured},{_read(path)}", path, created=False)
        return Keys(configured, None, created=False)
    created = _create(path)
    return Keys(_read(path), path, created=created)


def default_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(str(url.database))
        return database.with_name(database.name + ".key")
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "leadbridge" / FILE_NAME


def _create(path: Path) -> bool:
    """Write a new key unless the file exists; False when another process (or run) made it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes starting at once, one writes and both then read its key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as file:
        file.write(new_key() + "\n")
    return True


def _read(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"ключ {path} доступен не только владельцу: выполните `chmod 600 {path}`"
        )
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)  # another process has created it and is writing it right now
    raise KeyFileError(f"файл ключа {path} пуст")
