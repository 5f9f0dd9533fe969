"""The Bot API's JSON shapes (core.telegram.org/bots/api#available-types), as few fields as a
client needs but each required one present: python-telegram-bot refuses a ChatFullInfo
without accent_color_id, max_reaction_count and accepted_gift_types."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from leadbridge.sandbox.telegram.config import TelegramSandboxConfig
from leadbridge.sandbox.telegram.state import SentMessage


def ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def error(code: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)


def bot_user(config: TelegramSandboxConfig) -> dict[str, Any]:
    return {
        "id": config.bot_id,
        "is_bot": True,
        "first_name": config.bot_first_name,
        "username": config.bot_username,
    }


def me(config: TelegramSandboxConfig) -> dict[str, Any]:
    """getMe's User: the bot's own, with the fields only getMe returns."""
    return {
        **bot_user(config),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def chat(config: TelegramSandboxConfig) -> dict[str, Any]:
    chat_id = int(config.chat_id)
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": config.chat_title}
    kind = "supergroup" if config.chat_id.startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": config.chat_title}


def chat_full_info(config: TelegramSandboxConfig) -> dict[str, Any]:
    return {
        **chat(config),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def message(config: TelegramSandboxConfig, sent: SentMessage) -> dict[str, Any]:
    return {
        "message_id": sent.message_id,
        "from": bot_user(config),
        "chat": chat(config),
        "date": sent.date,
        "text": sent.text,
    }
