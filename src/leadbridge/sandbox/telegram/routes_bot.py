"""The Bot API methods an alert sender uses: sendMessage, getMe and getChat.

Checked in this order, each refusal worded as the Bot API words it: the token (401
Unauthorized; 404 Not Found for one not even shaped like a token), the method (404), then the
parameters (400 "Bad Request: …"), then flood control (429 with `parameters.retry_after`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from leadbridge.sandbox.telegram import shapes
from leadbridge.sandbox.telegram.markup import MarkupRefused, shown_text
from leadbridge.sandbox.telegram.params import flag, object_param, params_of
from leadbridge.sandbox.telegram.state import TelegramSandbox

MAX_TEXT_UTF16 = 4096  # "1-4096 characters after entities parsing"
TOKEN_SHAPE = re.compile(r"^\d+:[\w-]+$")
BAD_GATEWAY = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>"

router = APIRouter()


def _sandbox(request: Request) -> TelegramSandbox:
    sandbox = request.app.state.sandbox
    assert isinstance(sandbox, TelegramSandbox)
    return sandbox


@router.api_route("/bot{token}/{method}", methods=["GET", "POST"])
async def bot_api(token: str, method: str, request: Request) -> Response:
    sandbox = _sandbox(request)
    if sandbox.faults.down:
        return Response(BAD_GATEWAY, status_code=502, media_type="text/html")
    if token != sandbox.config.bot_token:
        if TOKEN_SHAPE.match(token):
            return shapes.error(401, "Unauthorized")
        return shapes.error(404, "Not Found")
    answer = METHODS.get(method.lower())  # method names are case-insensitive
    if answer is None:
        return shapes.error(404, "Not Found")
    sandbox.calls[method] += 1
    return answer(sandbox, await params_of(request))


def _chat_refusal(sandbox: TelegramSandbox, chat_id: Any) -> Response | None:
    if chat_id is None or str(chat_id).strip() == "":
        return shapes.error(400, "Bad Request: chat_id is empty")
    if str(chat_id).strip() != sandbox.config.chat_id:
        return shapes.error(400, "Bad Request: chat not found")
    return None


def send_message(sandbox: TelegramSandbox, params: dict[str, Any]) -> Response:
    refused = _chat_refusal(sandbox, params.get("chat_id"))
    if refused is not None:
        return refused
    parse_mode = params.get("parse_mode") or None
    try:
        text = shown_text(str(params.get("text") or ""), parse_mode)
    except MarkupRefused as markup:
        return shapes.error(400, f"Bad Request: can't parse entities: {markup}")
    if not text.strip():
        return shapes.error(400, "Bad Request: message text is empty")
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT_UTF16:
        return shapes.error(400, "Bad Request: message is too long")
    retry_after = sandbox.take_too_many()
    if retry_after is not None:
        return shapes.error(
            429,
            f"Too Many Requests: retry after {retry_after}",
            {"retry_after": retry_after},
        )
    preview = object_param(params.get("link_preview_options"))
    preview_off = flag(preview.get("is_disabled")) or flag(params.get("disable_web_page_preview"))
    sent = sandbox.deliver(text, parse_mode, preview_off)
    return shapes.ok(shapes.message(sandbox.config, sent))


def get_me(sandbox: TelegramSandbox, params: dict[str, Any]) -> Response:
    return shapes.ok(shapes.me(sandbox.config))


def get_chat(sandbox: TelegramSandbox, params: dict[str, Any]) -> Response:
    refused = _chat_refusal(sandbox, params.get("chat_id"))
    return refused or shapes.ok(shapes.chat_full_info(sandbox.config))


METHODS: dict[str, Callable[[TelegramSandbox, dict[str, Any]], Response]] = {
    "sendmessage": send_message,
    "getme": get_me,
    "getchat": get_chat,
}
