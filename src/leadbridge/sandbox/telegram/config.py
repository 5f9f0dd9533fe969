"""The simulated bot and the one chat it may write to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TelegramSandboxConfig:
    # The real shape: the bot's numeric id, a colon, 35 characters of [A-Za-z0-9_-].
    bot_token: str = "7000000001:AAHsandbox-leadbridge_alerts-000000"
    bot_first_name: str = "leadbridge alerts"
    bot_username: str = "leadbridge_alerts_bot"
    chat_id: str = "-1001234567890"  # numeric; "-100…" is a supergroup, as a team's chat is
    chat_title: str = "Дежурные leadbridge"

    @property
    def bot_id(self) -> int:
        return int(self.bot_token.partition(":")[0])
