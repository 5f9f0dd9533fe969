"""Which channels `[alerts]` turns on, and the errors `alerts test CHANNEL` shows."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from leadbridge.channels import ChannelError
from leadbridge.channels.build import channel_named, channels_for
from leadbridge.config.alerts import (
    AlertSettings,
    EmailSettings,
    TelegramSettings,
    WebhookChannelSettings,
)

pytestmark = pytest.mark.anyio

ALL_ON = AlertSettings(
    telegram=TelegramSettings(bot_token=SecretStr("1:abc-token"), chat_id="-1001"),
    email=EmailSettings(host="smtp.example.ru", sender="a@example.ru", recipients=["b@x.ru"]),
    webhook=WebhookChannelSettings(url="https://hooks.example.ru/x", severities=["critical"]),
)


async def test_only_the_channels_with_a_destination_are_built() -> None:
    assert channels_for(AlertSettings()) == []
    channels = channels_for(ALL_ON)
    assert [channel.name for channel in channels] == ["telegram", "email", "webhook"]
    assert channels[2].severities == frozenset({"critical"})
    for channel in channels:
        await channel.aclose()
    only_mail = AlertSettings(email=ALL_ON.email)
    assert [channel.name for channel in channels_for(only_mail)] == ["email"]


async def test_a_channel_is_found_by_name_or_the_error_names_the_fix() -> None:
    channel = channel_named(ALL_ON, "webhook")
    assert channel.name == "webhook"
    await channel.aclose()

    with pytest.raises(ChannelError) as unknown:
        channel_named(ALL_ON, "sms")
    with pytest.raises(ChannelError) as off:
        channel_named(AlertSettings(), "telegram")

    assert str(unknown.value) == "no alert channel 'sms': the channels are telegram, email, webhook"
    assert str(off.value) == "alert channel 'telegram' is off: set [alerts.telegram] chat_id"
