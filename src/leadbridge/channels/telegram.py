"""The Telegram channel: a bot writes each alert to the team's chat (Bot API `sendMessage`).

Plain text, no `parse_mode`: an alert quotes lead titles and error messages, and any `<` or `*`
in them would otherwise have to be escaped for the chosen markup or the Bot API refuses the
whole message ("can't parse entities"). Link previews are off: the dashboard link would
otherwise unfurl into a card bigger than the alert.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx

from leadbridge.channels import ChannelError
from leadbridge.channels.message_text import body_of
from leadbridge.channels.redaction import hide_in_http_logs
from leadbridge.channels.telegram_answer import TooManyRequests, result_of
from leadbridge.channels.transport import unreachable
from leadbridge.config.alerts import TelegramSettings
from leadbridge.domain.alert_message import AlertMessage, Severity

MAX_TEXT_UTF16 = 4096  # sendMessage's limit; counted in UTF-16 units here, the stricter reading
# Flood control waits longer than this are not waited out here: the engine retries later, and a
# sender that sleeps a minute holds up the other channels' alerts.
MAX_WAIT_S = 30.0
MAX_WAITS = 2


class TelegramChannel:
    name = "telegram"

    def __init__(
        self,
        settings: TelegramSettings,
        *,
        max_wait_s: float = MAX_WAIT_S,
        max_waits: int = MAX_WAITS,
    ) -> None:
        token = settings.bot_token.get_secret_value()
        self._has_token = bool(token)  # checked per call: one unset channel must not stop the rest
        hide_in_http_logs(token)  # before the first request: httpx logs every URL
        self.severities: frozenset[Severity] = frozenset(settings.severities)
        self._chat_id = settings.chat_id
        self._timeout_s = settings.timeout_s
        self._max_wait_s, self._max_waits = max_wait_s, max_waits
        base = settings.base_url.rstrip("/")
        self._host = urlsplit(base).netloc
        self._client = httpx.AsyncClient(
            base_url=f"{base}/bot{token}/", timeout=settings.timeout_s, follow_redirects=False
        )

    async def send(self, message: AlertMessage) -> None:
        payload = {
            "chat_id": self._chat_id,
            "text": fit_text(body_of(message)),
            "link_preview_options": {"is_disabled": True},
        }
        waits = 0
        while True:
            try:
                await self._call("sendMessage", payload)
                return
            except TooManyRequests as flood:
                wait = flood.retry_after_s
                if wait is None or wait > self._max_wait_s or waits >= self._max_waits:
                    raise _flood_error(wait) from None
            waits += 1
            await asyncio.sleep(wait)

    async def probe(self) -> None:
        """`getMe` proves the token, `getChat` that the bot can see the chat; nothing is sent."""
        try:
            me = await self._call("getMe", {})
            if not isinstance(me, dict) or me.get("is_bot") is not True:
                raise ChannelError("Telegram: getMe did not describe a bot")
            await self._call("getChat", {"chat_id": self._chat_id})
        except TooManyRequests as flood:
            raise _flood_error(flood.retry_after_s) from None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, payload: dict[str, Any]) -> Any:
        if not self._has_token:
            raise ChannelError("Telegram: alerts.telegram.bot_token is not set")
        try:
            response = await self._client.post(method, json=payload)
        except httpx.HTTPError as error:
            # `from None`: the httpx error's request (and so its repr) carries the token.
            raise unreachable("Telegram", self._host, error, self._timeout_s) from None
        return result_of(response, host=self._host, chat_id=self._chat_id)


def fit_text(text: str) -> str:
    """`text` cut to the Bot API's length limit, so that a long alert still arrives in part."""
    if _utf16_length(text) <= MAX_TEXT_UTF16:
        return text
    kept: list[str] = []
    room = MAX_TEXT_UTF16 - 1  # for the ellipsis
    for char in text:
        room -= _utf16_length(char)
        if room < 0:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _flood_error(retry_after_s: float | None) -> ChannelError:
    later = f"retry after {retry_after_s:g} s" if retry_after_s is not None else "no retry_after"
    return ChannelError(f"Telegram: 429 Too Many Requests ({later})", retry_after_s=retry_after_s)
