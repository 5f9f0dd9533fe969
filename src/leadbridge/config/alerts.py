"""`[alerts]` of the settings: when the service raises an alert, and where it sends it.

Every threshold is a setting; the defaults suit a reseller at about 500 requests a week. A
channel is on when its table names a destination (`[alerts.telegram] chat_id`, `[alerts.email]
recipients`, `[alerts.webhook] url`); each takes the severities listed in its `severities`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from leadbridge.domain.alert_message import Severity
from leadbridge.domain.alerts import QuietHours
from leadbridge.domain.working_hours import WorkingHours

ALL_SEVERITIES: list[Severity] = ["critical", "warning"]


def _url(value: str) -> str:
    # config/__init__.py imports this module: its URL check cannot be imported back here.
    if value and not value.lower().startswith(("https://", "http://")):
        raise ValueError(f"{value!r} lacks https:// or http://")
    return value


class TelegramSettings(BaseModel):
    """A Telegram chat (a group of the team on duty), written to by a bot (Bot API)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field("https://api.telegram.org", description="Bot API server")
    bot_token: SecretStr = SecretStr("")
    chat_id: str = Field("", description="the chat's id, e.g. -1001234567890; empty: off")
    severities: list[Severity] = Field(default_factory=lambda: list(ALL_SEVERITIES))
    timeout_s: float = Field(10.0, gt=0)

    _base_url = field_validator("base_url")(_url)

    @property
    def enabled(self) -> bool:
        return bool(self.chat_id)


class EmailSettings(BaseModel):
    """E-mail over SMTP; STARTTLS unless `starttls = false` (a relay on the same host)."""

    model_config = ConfigDict(extra="forbid")

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str = ""
    password: SecretStr = SecretStr("")
    sender: str = Field("", description='the From address, e.g. "leadbridge@example.ru"')
    recipients: list[str] = Field(default_factory=list, description="empty: off")
    severities: list[Severity] = Field(default_factory=lambda: list(ALL_SEVERITIES))
    timeout_s: float = Field(10.0, gt=0)
    ca_file: Path | None = Field(
        None, description="PEM certificates to trust for STARTTLS instead of the system's"
    )

    @property
    def enabled(self) -> bool:
        return bool(self.recipients)


class WebhookChannelSettings(BaseModel):
    """Any system that takes a JSON POST (an on-call service, a chat bridge)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field("", description="empty: off")
    secret: SecretStr = Field(
        SecretStr(""), description="sent as the X-Leadbridge-Signature HMAC-SHA256 of the body"
    )
    severities: list[Severity] = Field(default_factory=lambda: list(ALL_SEVERITIES))
    timeout_s: float = Field(10.0, gt=0)

    _url = field_validator("url")(_url)

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class ThresholdSettings(BaseModel):
    """When each rule fires (domain/alert_rules.py)."""

    model_config = ConfigDict(extra="forbid")

    parked_minutes: float = Field(15, gt=0, description="a parked status older than this")
    pending_minutes: float = Field(10, gt=0, description="the oldest pending status older")
    inbox_lag_minutes: float = Field(5, gt=0, description="a received event unprocessed longer")
    avito_error_share: float = Field(
        0.2, gt=0, le=1, description="share of Avito answers that are 5xx or 429, last 10 min"
    )
    avito_error_min_requests: int = Field(20, ge=1, description="fewer answers prove nothing")
    token_expiry_days: float = Field(7, gt=0, description="long-lived amoCRM token expiring")
    reconcile_drift: int = Field(1, ge=1, description="differences in the last reconciliation")
    quarantined_events: int = Field(1, ge=1, description="Avito events set aside")
    silent_floor_minutes: float = Field(
        60, gt=0, description="no new request for at least this long, in working hours"
    )
    silent_weeks: int = Field(
        4, ge=1, description="weeks of history the usual rate is learned from"
    )


class AlertSettings(BaseModel):
    """`[alerts]`: the rules' thresholds, the incident lifecycle and the channels."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="evaluate the rules (one elected process does)")
    interval_s: float = Field(30.0, gt=0, description="how often the rules are evaluated")
    amocrm_check_s: float = Field(
        60.0, gt=0, description="how often amoCRM is asked about our webhook (one request)"
    )
    remind_every_minutes: float = Field(
        180, gt=0, description="a reminder while an incident stays open"
    )
    resolve_after_minutes: float = Field(
        5, ge=0, description="an incident closes once its cause is gone this long (no flapping)"
    )
    working_hours: str = Field("09:00-21:00", description="when requests are expected")
    time_zone: str = Field("Europe/Moscow", description="of working and quiet hours")
    quiet_hours: str = Field(
        "", description='"22:00-08:00": warnings wait until morning; critical alerts never wait'
    )
    thresholds: ThresholdSettings = ThresholdSettings()
    telegram: TelegramSettings = TelegramSettings()
    email: EmailSettings = EmailSettings()
    webhook: WebhookChannelSettings = WebhookChannelSettings()

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        WorkingHours.parse("Europe/Moscow", value, None)  # a bad range fails here, named
        return value

    @model_validator(mode="after")
    def _zone_and_quiet_hours(self) -> AlertSettings:
        WorkingHours.parse(self.time_zone, self.working_hours, None)  # an unknown zone fails
        QuietHours.parse(self.time_zone, self.quiet_hours)
        return self
