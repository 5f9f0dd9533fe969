"""What a Bot API answer means for the Telegram channel: its `result`, or why it failed.

Every Bot API answer is `{"ok": true, "result": …}` or `{"ok": false, "error_code": …,
"description": …, "parameters": {…}}` (core.telegram.org/bots/api#making-requests); a proxy in
front of the server (nginx's 502) may answer with no such body at all.
"""

from __future__ import annotations

from typing import Any

import httpx

from leadbridge.channels import ChannelError
from leadbridge.channels.redaction import one_line


class TooManyRequests(Exception):
    """Flood control: the Bot API asks us to wait `retry_after_s` before the next try."""

    def __init__(self, retry_after_s: float | None) -> None:
        super().__init__(f"retry after {retry_after_s}")
        self.retry_after_s = retry_after_s


def result_of(response: httpx.Response, *, host: str, chat_id: str) -> Any:
    """The answer's `result`; raises `TooManyRequests` on 429, else `ChannelError`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ChannelError(f"Telegram: {host} answered HTTP {response.status_code} (not Bot API)")
    if body.get("ok") is True and response.is_success:
        return body.get("result")
    code = body.get("error_code")
    code = code if isinstance(code, int) else response.status_code
    description = one_line(str(body.get("description") or response.reason_phrase))
    parameters = body.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    if code == 429:
        raise TooManyRequests(_seconds(parameters.get("retry_after")))
    raise _refusal(code, description, parameters, chat_id)


def _refusal(code: int, description: str, parameters: dict[str, Any], chat_id: str) -> ChannelError:
    if code in (401, 404):
        # 401 for a token the Bot API does not know; 404 for one it cannot even parse.
        return ChannelError(
            f"Telegram: the bot token was refused ({code} {description}): "
            "check alerts.telegram.bot_token"
        )
    if "migrate_to_chat_id" in parameters:
        return ChannelError(
            f"Telegram: chat {chat_id} became a supergroup; set alerts.telegram.chat_id = "
            f'"{parameters["migrate_to_chat_id"]}"'
        )
    if code == 400 and "chat not found" in description.lower():
        return ChannelError(
            f"Telegram: chat {chat_id} not found ({code} {description}): check "
            "alerts.telegram.chat_id and that the bot is a member of that chat"
        )
    if code == 403:
        return ChannelError(f"Telegram: the bot may not write to chat {chat_id} ({description})")
    return ChannelError(f"Telegram: {code} {description}")


def _seconds(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None
