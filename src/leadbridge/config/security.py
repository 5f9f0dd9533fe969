"""`[security]` of the settings: dashboard sessions and logins, and the keys of tokens at rest."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SecuritySettings(BaseModel):
    """Dashboard sessions and logins, and the keys that encrypt OAuth tokens at rest."""

    model_config = ConfigDict(extra="forbid")

    session_secret: SecretStr = Field(
        SecretStr(""),
        description="signs session cookies; generated and kept in the database if unset",
    )
    session_max_age_s: int = Field(
        12 * 3600, gt=0, description="a session ends this long after login"
    )
    session_idle_s: int = Field(3600, gt=0, description="a session ends after this long unused")
    login_attempts_per_minute: int = Field(5, ge=1, description="per address, then refused")
    login_user_attempts_per_minute: int = Field(
        20, ge=1, description="per user name from all addresses, then slowed down, never locked"
    )
    token_keys: SecretStr = Field(
        SecretStr(""),
        description="Fernet keys, comma-separated: the first encrypts, all decrypt (rotation)",
    )
    key_file: Path | None = Field(
        None,
        description="the generated key when token_keys is unset; default next to the SQLite "
        "file, else under $XDG_CONFIG_HOME/leadbridge",
    )
