"""The Telegram channel against the Bot API simulator, over real HTTP on loopback."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from pydantic import SecretStr
from tests.integration.channels.rig import LINK, alert

from leadbridge.channels import ChannelError
from leadbridge.channels.telegram import TelegramChannel
from leadbridge.sandbox.telegram import AlertSinks, alert_sandbox

pytestmark = pytest.mark.anyio

WRONG_TOKEN = "7000000001:AAHthis-is-not-the-bot-token-at-all"


async def _faults(sinks: AlertSinks, **faults: object) -> None:
    async with httpx.AsyncClient(base_url=sinks.telegram_url) as http:
        (await http.post("/sandbox/faults", json=faults)).raise_for_status()


async def test_an_alert_arrives_in_the_chat_as_plain_text_with_its_link_and_no_preview() -> None:
    async with alert_sandbox() as sinks:
        channel = TelegramChannel(sinks.telegram_settings())
        try:
            await channel.send(alert(text="Лид <Иван & Co> не создан"))
        finally:
            await channel.aclose()
        async with httpx.AsyncClient(base_url=sinks.telegram_url) as http:
            seen = (await http.get("/sandbox/messages")).json()["messages"]

    assert len(seen) == 1
    assert seen[0]["chat_id"] == sinks.telegram.config.chat_id
    assert seen[0]["text"] == f"Лид <Иван & Co> не создан\n\n{LINK}"  # no markup to escape
    assert seen[0]["link_preview_disabled"] is True
    assert seen[0]["parse_mode"] is None


async def test_a_short_retry_after_is_waited_out_and_the_message_then_delivered() -> None:
    async with alert_sandbox() as sinks:
        await _faults(sinks, too_many=1, retry_after=1)
        channel = TelegramChannel(sinks.telegram_settings())
        started = time.monotonic()
        try:
            await channel.send(alert())
        finally:
            await channel.aclose()
        waited = time.monotonic() - started

    assert waited >= 1.0
    assert sinks.telegram.calls["sendMessage"] == 2
    assert len(sinks.telegram.messages) == 1


async def test_a_long_retry_after_is_handed_to_the_caller_without_waiting() -> None:
    async with alert_sandbox() as sinks:
        await _faults(sinks, too_many=1, retry_after=120)
        channel = TelegramChannel(sinks.telegram_settings())
        started = time.monotonic()
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())
        await channel.aclose()

    assert time.monotonic() - started < 5
    assert refused.value.retry_after_s == 120
    assert str(refused.value) == "Telegram: 429 Too Many Requests (retry after 120 s)"
    assert sinks.telegram.messages == []


async def test_flood_control_that_persists_gives_up_after_the_allowed_waits() -> None:
    async with alert_sandbox() as sinks:
        await _faults(sinks, too_many=5, retry_after=1)
        channel = TelegramChannel(sinks.telegram_settings(), max_waits=1)
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())
        await channel.aclose()

    assert refused.value.retry_after_s == 1
    assert sinks.telegram.calls["sendMessage"] == 2  # the first try and one after the wait


@pytest.mark.parametrize("token", [WRONG_TOKEN, "not-a-token"])
async def test_a_refused_token_is_one_line_that_never_shows_it(token: str) -> None:
    async with alert_sandbox() as sinks:
        settings = sinks.telegram_settings().model_copy(update={"bot_token": SecretStr(token)})
        channel = TelegramChannel(settings)
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())
        with pytest.raises(ChannelError) as probed:
            await channel.probe()
        await channel.aclose()

    for error in (refused.value, probed.value):
        reason = str(error)
        assert "\n" not in reason
        assert token not in reason
        assert reason.startswith("Telegram: the bot token was refused (")
        assert "alerts.telegram.bot_token" in reason


async def test_the_token_in_the_url_never_reaches_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with alert_sandbox() as sinks:
        settings = sinks.telegram_settings()
        channel = TelegramChannel(settings)
        with caplog.at_level(logging.DEBUG):
            await channel.send(alert())
            await channel.probe()
        await channel.aclose()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "HTTP Request: POST" in logged  # httpx did log the requests...
    assert settings.bot_token.get_secret_value() not in logged  # ...without the token
    assert "/bot***/sendMessage" in logged


async def test_an_unknown_chat_is_named_in_the_error() -> None:
    async with alert_sandbox() as sinks:
        settings = sinks.telegram_settings().model_copy(update={"chat_id": "-1009999"})
        channel = TelegramChannel(settings)
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())
        with pytest.raises(ChannelError) as probed:
            await channel.probe()
        await channel.aclose()

    for error in (refused.value, probed.value):
        assert str(error).startswith("Telegram: chat -1009999 not found (400 Bad Request:")


async def test_a_bot_api_that_is_down_or_unreachable_is_named_by_host_only() -> None:
    async with alert_sandbox() as sinks:
        await _faults(sinks, down=True)
        host = sinks.telegram_url.removeprefix("http://")
        channel = TelegramChannel(sinks.telegram_settings())
        with pytest.raises(ChannelError) as down:
            await channel.send(alert())
        await channel.aclose()
    # The simulator has stopped: its port now refuses connections.
    channel = TelegramChannel(sinks.telegram_settings())
    with pytest.raises(ChannelError) as unreachable:
        await channel.send(alert())
    await channel.aclose()

    assert str(down.value) == f"Telegram: {host} answered HTTP 502 (not Bot API)"
    assert str(unreachable.value).startswith(f"Telegram: cannot reach {host} (")
    assert sinks.telegram.config.bot_token not in str(unreachable.value)


async def test_probe_checks_token_and_chat_and_sends_nothing() -> None:
    async with alert_sandbox() as sinks:
        channel = TelegramChannel(sinks.telegram_settings())
        await channel.probe()
        await channel.aclose()

    assert sinks.telegram.calls == {"getMe": 1, "getChat": 1}
    assert sinks.telegram.messages == []


async def test_a_text_over_the_limit_is_cut_and_still_delivered() -> None:
    async with alert_sandbox() as sinks:
        channel = TelegramChannel(sinks.telegram_settings())
        await channel.send(alert(text="🔴" * 3000, link=None))  # 6000 UTF-16 units
        await channel.aclose()

    text = sinks.telegram.messages[0].text
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert text.endswith("…")
    assert text.startswith("🔴" * 2000)
