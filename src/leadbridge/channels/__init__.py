"""Alert channels: where an incident's messages go (Telegram, e-mail, a JSON webhook).

Each channel is an adapter of its own module; the alert engine sees only `Channel`. A channel
that fails raises `ChannelError` with a one-line reason a person can act on (never a secret):
the engine records it, shows it on the dashboard and goes on with the other channels.
"""

from __future__ import annotations

from typing import Protocol

from leadbridge.domain.alert_message import AlertMessage, Severity


class ChannelError(Exception):
    """The channel could not deliver; `str()` is one line naming why, e.g. «Telegram: 401
    Unauthorized (wrong bot_token?)». `retry_after_s` is set when the far side asked us to
    wait (Telegram's 429 `parameters.retry_after`)."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class Channel(Protocol):
    name: str  # "telegram", "email", "webhook"
    severities: frozenset[Severity]  # what it takes

    async def send(self, message: AlertMessage) -> None:
        """Deliver `message` or raise `ChannelError`."""
        ...

    async def probe(self) -> None:
        """Check the channel can deliver without sending anything (`doctor`), or raise
        `ChannelError`."""
        ...

    async def aclose(self) -> None: ...
