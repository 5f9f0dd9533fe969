"""What the Telegram simulator remembers: messages its bot sent, and the faults switched on."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from leadbridge.sandbox.smtp_sink import SmtpSink
from leadbridge.sandbox.telegram.config import TelegramSandboxConfig


@dataclass
class Faults:
    """Switched by `POST /sandbox/faults`. Counting, not timing: "the next 2 sends get 429" makes
    a rehearsal repeatable, where Telegram's real flood control depends on recent traffic."""

    too_many: int = 0  # the next this many sendMessage calls are answered 429
    retry_after: int = 1  # the seconds those 429 answers ask to wait
    down: bool = False  # every Bot API call is answered 502 Bad Gateway, as from a dead backend

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SentMessage:
    message_id: int
    chat_id: str
    text: str  # as the chat shows it: markup already taken out
    date: int  # Unix time, as the Bot API gives it
    parse_mode: str | None
    link_preview_disabled: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TelegramSandbox:
    config: TelegramSandboxConfig
    mail: SmtpSink | None = None  # the SMTP sink whose mail `GET /sandbox/mail` shows
    faults: Faults = field(default_factory=Faults)
    messages: list[SentMessage] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)  # Bot API method → calls, any answer

    def deliver(self, text: str, parse_mode: str | None, preview_off: bool) -> SentMessage:
        sent = SentMessage(
            message_id=len(self.messages) + 1,
            chat_id=self.config.chat_id,
            text=text,
            date=int(time.time()),
            parse_mode=parse_mode,
            link_preview_disabled=preview_off,
        )
        self.messages.append(sent)
        return sent

    def take_too_many(self) -> int | None:
        """The retry_after to answer this send with, if a 429 is due."""
        if self.faults.too_many <= 0:
            return None
        self.faults.too_many -= 1
        return self.faults.retry_after
