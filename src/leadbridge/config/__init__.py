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
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from leadbridge.config.alerts import AlertSettings
from leadbridge.config.errors import ConfigurationError as ConfigurationError
from leadbridge.config.privacy import PrivacySettings
from leadbridge.config.routing import RoutingSettings
from leadbridge.config.security import SecuritySettings as SecuritySettings
from leadbridge.config.settlement import CommissionRuleSettings as CommissionRuleSettings
from leadbridge.config.settlement import SettlementSettings as SettlementSettings
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.seller_changes import OnWithdrawal

DEFAULT_FUNNEL = Path(__file__).parent.parent / "funnel.toml"
DEFAULT_AVITO_MAPPING = Path(__file__).parent.parent / "avito_mapping.toml"


def http_url(value: str) -> str:
    """A URL a partner is reached at or reaches us at: empty (unset), or absolute over https://
    or http://."""
    if not value:
        return value
    parsed = urlsplit(value)
    if parsed.scheme.lower() not in ("https", "http"):
        host = value.split("://", 1)[-1].lstrip("/")
        raise ValueError(f"{value!r} lacks https:// or http://, e.g. 'https://{host}'")
    if not parsed.netloc:
        raise ValueError(f"{value!r} names no host")
    return value


# Settings of earlier releases → their key in the mapping file's [endpoints] table.
MOVED_PATHS = {
    "token_path": "token",
    "leads_path": "leads",
    "webhook_path": "webhook",
    "status_apply_path": "status_apply",
    "status_read_path": "status_read",
    "settlement_path": "settlement",
}


class AvitoSettings(BaseModel):
    """Avito's partner API. Every path and limit is a setting: the real spec is private."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = "https://api.avito.ru"
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    status_apply_rps: float = Field(5.0, gt=0, description="Avito's limit for status apply")
    leads_get_rps: float = Field(5.0, gt=0)
    status_read_rps: float = Field(10.0, gt=0, description="read-back of a lead's status")
    token_rps: float = Field(1.0, gt=0, description="token requests, shared by all workers")
    status_batch_size: int = Field(100, ge=1, le=100)
    feed_page_size: int = Field(100, ge=1, le=100)
    feed_poll_interval_s: float = Field(30.0, gt=0)
    webhook_secret: SecretStr = SecretStr("")
    timeout_s: float = Field(10.0, gt=0)
    mapping_file: Path = Field(
        DEFAULT_AVITO_MAPPING,
        description="where each lead field, endpoint and status name lives in Avito's API "
        "(avito/mapping.py)",
    )
    on_withdrawal: OnWithdrawal = Field(
        OnWithdrawal.CLOSE_LOST,
        description="when a seller cancels a request on Avito: close_lost (the deal is closed "
        "as lost, reason «Продавец отменил на Авито») or keep_open_with_task (it stays open, "
        "with an urgent task for its manager)",
    )

    @model_validator(mode="before")
    @classmethod
    def _paths_moved(cls, data: Any) -> Any:
        """The endpoint paths were settings once; a configuration still naming one must not be
        silently ignored."""
        if isinstance(data, dict):
            for old, table_key in MOVED_PATHS.items():
                if old in data:
                    raise ValueError(
                        f"avito.{old} moved to the mapping file: [endpoints] {table_key} "
                        "(see avito.mapping_file)"
                    )
        return data

    _base_url = field_validator("base_url")(http_url)


class AmoCrmSettings(BaseModel):
    """amoCRM API v4 of one account (amocrm.ru, amocrm.com or kommo.com)."""

    model_config = ConfigDict(extra="forbid")

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
    events_window_s: int = Field(
        60,
        ge=1,
        description="a catch-up far behind reads the events this many seconds at a time, saving "
        "its place after each",
    )
    timeout_s: float = Field(10.0, gt=0)
    repeat_window_days: int = Field(
        30,
        ge=0,
        description="a request whose phone or IMEI matches a deal of this many days before it is "
        "tagged «повтор» and its note links that deal; 0 turns it off",
    )
    block_probe_after_s: float = Field(
        300.0, gt=0, description="after amoCRM's 403 block, wait this long before one probe"
    )
    block_probe_max_s: float = Field(
        7200.0, gt=0, description="ceiling of the probe pause, which doubles while blocked"
    )

    _base_url = field_validator("base_url")(http_url)


class RelaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backoff_base_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)
    idle_poll_s: float = Field(1.0, gt=0, description="wake-up when no event arrived")
    lease_s: float = Field(
        30.0, gt=0, description="a claimed send is another worker's to take after this"
    )


class InboxSettings(BaseModel):
    """Received events that fail to process: tried again with backoff, then set aside."""

    model_config = ConfigDict(extra="forbid")

    max_tries: int = Field(
        5, ge=1, description="an event failing this many times is quarantined for a person"
    )
    retry_base_s: float = Field(1.0, gt=0, description="first pause after a failed try")
    retry_max_s: float = Field(60.0, gt=0, description="ceiling of the doubling pause")


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = Field("", description="how Avito and amoCRM reach this server")
    # Without a scheme, the webhook URLs we register with both partners would be refused there.
    _public_url = field_validator("public_url")(http_url)
    webhook_token: SecretStr = Field(
        SecretStr(""), description="secret path segment of both webhook endpoints"
    )
    max_body_bytes: int = 256 * 1024
    allowed_link_hosts: list[str] = Field(
        default_factory=lambda: ["avito.ru", "www.avito.ru", "m.avito.ru"],
        description="partners' URLs become links only over https to these hosts or subdomains",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks whose X-Forwarded-For is believed; empty: nobody's",
    )


class ReconcileSettings(BaseModel):
    """Comparing amoCRM, our records and Avito (`leadbridge reconcile`, and inside the bridge)."""

    model_config = ConfigDict(extra="forbid")

    interval_s: float = Field(3600.0, gt=0, description="how often the bridge reconciles")
    fix: bool = Field(True, description="whether the bridge's runs queue repairs")
    read_sample_ratio: float = Field(
        0.01, ge=0, le=1, description="share of agreeing leads read back from Avito as a check"
    )
    max_reads: int = Field(200, ge=0, description="Avito status reads per run, at most")
    status_read_rps: float = Field(5.0, gt=0, description="pace of Avito status reads")
    missing_deal_grace_s: float = Field(
        600.0, ge=0, description="a request younger than this may still be waiting for its deal"
    )
    in_flight_grace_s: float = Field(
        600.0,
        ge=0,
        description="a difference of a lead changed this recently may be on its way: «в пути»",
    )


class ProcessSettings(BaseModel):
    """How `leadbridge worker` and `run` stop: in-flight sends may finish within this bound."""

    model_config = ConfigDict(extra="forbid")

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
    inbox: InboxSettings = InboxSettings()
    web: WebSettings = WebSettings()
    settlement: SettlementSettings = SettlementSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    security: SecuritySettings = SecuritySettings()
    process: ProcessSettings = ProcessSettings()
    routing: RoutingSettings | None = None
    alerts: AlertSettings = AlertSettings()
    privacy: PrivacySettings = PrivacySettings()

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
