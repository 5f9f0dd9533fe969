"""A Telegram client written by someone else, unchanged, against the simulator.

python-telegram-bot (PyPI, LGPLv3; async, httpx) parses every answer into its own classes from
the Bot API's documentation and refuses shapes that lack a required field: whatever it reads
here, the simulator answers as the Bot API would. A test dependency only (pinned in uv.lock);
the product does not use it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from telegram.error import BadRequest, InvalidToken, RetryAfter

from leadbridge.sandbox.telegram import TelegramSandbox, TelegramSandboxConfig, create_telegram_app
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio

CONFIG = TelegramSandboxConfig()


@contextlib.asynccontextmanager
async def simulator() -> AsyncIterator[tuple[TelegramSandbox, str]]:
    app = create_telegram_app(CONFIG)
    async with serve(app) as url:
        yield app.state.sandbox, url


def _bot(url: str, token: str = CONFIG.bot_token) -> telegram.Bot:
    return telegram.Bot(token, base_url=f"{url}/bot")


async def test_the_library_reads_the_bot_the_chat_and_a_sent_message() -> None:
    async with simulator() as (sandbox, url), _bot(url) as bot:  # initialize() calls getMe
        me = await bot.get_me()
        chat = await bot.get_chat(CONFIG.chat_id)
        sent = await bot.send_message(
            CONFIG.chat_id,
            "🔴 amoCRM заблокировал доступ",
            link_preview_options=telegram.LinkPreviewOptions(is_disabled=True),
        )

    assert me.is_bot is True
    assert me.username == CONFIG.bot_username
    assert chat.id == int(CONFIG.chat_id)
    assert chat.type == telegram.constants.ChatType.SUPERGROUP
    assert chat.title == CONFIG.chat_title
    assert sent.text == "🔴 amoCRM заблокировал доступ"
    assert sent.chat.id == int(CONFIG.chat_id)
    assert sent.from_user is not None
    assert sent.from_user.id == me.id
    assert [(m.text, m.link_preview_disabled) for m in sandbox.messages] == [
        ("🔴 amoCRM заблокировал доступ", True)
    ]


# The library warns about its own RetryAfter's coming change of type, whoever reads it.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_the_library_raises_its_own_errors_for_the_simulators_refusals() -> None:
    async with simulator() as (_sandbox, url):
        async with _bot(url) as bot:
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message("-100555", "x")
            with pytest.raises(BadRequest, match="Message text is empty"):
                await bot.send_message(CONFIG.chat_id, " ")
            async with httpx.AsyncClient(base_url=url) as http:
                await http.post("/sandbox/faults", json={"too_many": 1, "retry_after": 9})
            with pytest.raises(RetryAfter) as flood:
                await bot.send_message(CONFIG.chat_id, "x")
        with pytest.raises(InvalidToken):
            async with _bot(url, "7000000001:AAHnot-the-token"):
                pass

    # Its message, not `.retry_after`: that attribute's type is changing (a deprecation warning).
    assert "Retry in 9 seconds" in str(flood.value)
