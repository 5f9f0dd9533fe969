"""The alert channels' far ends, started together: the Telegram simulator and the SMTP sink."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from leadbridge.config.alerts import EmailSettings, TelegramSettings
from leadbridge.sandbox.smtp_sink import SmtpSink, SmtpSinkConfig, smtp_sink
from leadbridge.sandbox.telegram.app import create_telegram_app
from leadbridge.sandbox.telegram.config import TelegramSandboxConfig
from leadbridge.sandbox.telegram.state import TelegramSandbox
from leadbridge.web.server import serve


@dataclass(frozen=True)
class AlertSinks:
    telegram_url: str  # the Bot API base URL ([alerts.telegram] base_url); /sandbox/… beside it
    telegram: TelegramSandbox
    smtp: SmtpSink

    @property
    def ca_file(self) -> Path | None:
        return self.smtp.ca_file

    def telegram_settings(self) -> TelegramSettings:
        config = self.telegram.config
        return TelegramSettings(
            base_url=self.telegram_url,
            bot_token=SecretStr(config.bot_token),
            chat_id=config.chat_id,
        )

    def email_settings(self, recipients: list[str]) -> EmailSettings:
        config = self.smtp.config
        return EmailSettings(
            host=self.smtp.host,
            port=self.smtp.port,
            starttls=config.starttls,
            username=config.username,
            password=SecretStr(config.password),
            sender=config.sender,
            recipients=recipients,
            ca_file=self.smtp.ca_file,
        )

    def credentials(self) -> dict[str, Any]:
        """The `telegram` and `smtp` parts of `sandbox serve`'s JSON line."""
        config = self.smtp.config
        return {
            "telegram": {
                "base_url": self.telegram_url,
                "bot_token": self.telegram.config.bot_token,
                "chat_id": self.telegram.config.chat_id,
            },
            "smtp": {
                "host": self.smtp.host,
                "port": self.smtp.port,
                "starttls": config.starttls,
                "username": config.username,
                "password": config.password,
                "sender": config.sender,
                "ca_file": None if self.smtp.ca_file is None else str(self.smtp.ca_file),
                "mail_url": f"{self.telegram_url}/sandbox/mail",
            },
        }


@contextlib.asynccontextmanager
async def alert_sandbox(
    *,
    telegram_port: int = 0,
    smtp_port: int = 0,
    telegram: TelegramSandboxConfig | None = None,
    smtp: SmtpSinkConfig | None = None,
) -> AsyncIterator[AlertSinks]:
    """Both on 127.0.0.1 until the block exits; port 0 picks a free one."""
    async with smtp_sink(smtp, port=smtp_port) as sink:
        app = create_telegram_app(telegram, mail=sink)
        async with serve(app, port=telegram_port) as url:
            yield AlertSinks(telegram_url=url, telegram=app.state.sandbox, smtp=sink)
