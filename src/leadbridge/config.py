"""Settings: environment variables `LEADBRIDGE_*` (nested with `__`) over an optional TOML file.

LEADBRIDGE_DATABASE_URL=postgresql://bridge@db/leadbridge
LEADBRIDGE_AVITO__CLIENT_ID=...        # same as [avito] client_id = "..." in the TOML file
LEADBRIDGE_CONFIG=/etc/leadbridge.toml # the TOML file itself
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from leadbridge.domain.funnel import Funnel

DEFAULT_FUNNEL = Path(__file__).parent / "funnel.toml"


class ConfigurationError(ValueError):
    """Settings that cannot work together; the message names the setting to fix."""


class AvitoSettings(BaseModel):
    """Avito's partner API. Every path and limit is a setting: the real spec is private."""

    base_url: str = "https://api.avito.ru"
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    token_path: str = "/token"
    leads_path: str = "/partner/buyout/v1/leads/get"
    webhook_path: str = "/partner/buyout/v1/webhook"
    status_apply_path: str = "/partner/buyout/v1/leads/statuses/apply"
    status_read_path: str = "/partner/buyout/v1/leads/{lead_id}/status"
    settlement_path: str = "/partner/buyout/v1/settlements"
    status_apply_rps: float = Field(5.0, gt=0, description="Avito's limit for status apply")
    leads_get_rps: float = Field(5.0, gt=0)
    status_read_rps: float = Field(10.0, gt=0, description="read-back of a lead's status")
    token_rps: float = Field(1.0, gt=0, description="token requests, shared by all workers")
    status_batch_size: int = Field(100, ge=1, le=100)
    feed_page_size: int = Field(100, ge=1, le=100)
    feed_poll_interval_s: float = Field(30.0, gt=0)
    webhook_secret: SecretStr = SecretStr("")
    timeout_s: float = Field(10.0, gt=0)


class AmoCrmSettings(BaseModel):
    """amoCRM API v4 of one account (amocrm.ru, amocrm.com or kommo.com)."""

    base_url: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    redirect_uri: str = ""
    auth_code: SecretStr = SecretStr("")
    long_lived_token: SecretStr = SecretStr("")
    account_id: int | None = None
    rps: float = Field(7.0, gt=0, description="per-integration limit; amoCRM's is 7")
    complex_batch_size: int = Field(50, ge=1, le=50)
    events_poll_interval_s: float = Field(
        60.0, gt=0, description="catch-up of stage changes whose webhook was lost"
    )
    timeout_s: float = Field(10.0, gt=0)
    block_probe_after_s: float = Field(
        300.0, gt=0, description="after amoCRM's 403 block, wait this long before one probe"
    )
    block_probe_max_s: float = Field(
        7200.0, gt=0, description="ceiling of the probe pause, which doubles while blocked"
    )


class RelaySettings(BaseModel):
    backoff_base_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)
    idle_poll_s: float = Field(1.0, gt=0, description="wake-up when no event arrived")
    lease_s: float = Field(
        30.0, gt=0, description="a claimed send is another worker's to take after this"
    )


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = Field("", description="how Avito and amoCRM reach this server")
    webhook_token: SecretStr = Field(
        SecretStr(""), description="secret path segment of both webhook endpoints"
    )
    max_body_bytes: int = 256 * 1024


class ProcessSettings(BaseModel):
    """How `leadbridge worker` and `run` stop: in-flight sends may finish within this bound."""

    shutdown_grace_s: float = Field(10.0, ge=0, description="wait for in-flight steps on stop")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LEADBRIDGE_", env_nested_delimiter="__", extra="forbid"
    )

    database_url: str = "sqlite:///./leadbridge.db"
    funnel_file: Path = DEFAULT_FUNNEL
    log_level: str = "INFO"
    avito: AvitoSettings = AvitoSettings()
    amocrm: AmoCrmSettings = AmoCrmSettings()
    relay: RelaySettings = RelaySettings()
    web: WebSettings = WebSettings()
    process: ProcessSettings = ProcessSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = os.environ.get("LEADBRIDGE_CONFIG")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_file)))
        return tuple(sources)

    @cached_property
    def funnel(self) -> Funnel:
        return load_funnel(self.funnel_file)


def load_funnel(path: Path) -> Funnel:
    with path.open("rb") as handle:
        raw: dict[str, Any] = tomllib.load(handle)
    return Funnel.from_mapping(raw)
