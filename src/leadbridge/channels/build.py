"""The channels `[alerts]` turns on, for the alert engine, `alerts test` and `doctor`."""

from __future__ import annotations

from collections.abc import Callable

from leadbridge.channels import Channel, ChannelError
from leadbridge.channels.email import EmailChannel
from leadbridge.channels.telegram import TelegramChannel
from leadbridge.channels.webhook import WebhookChannel
from leadbridge.config.alerts import AlertSettings

# What turns each channel on, to name in the error about a disabled one.
_SWITCH = {
    "telegram": "[alerts.telegram] chat_id",
    "email": "[alerts.email] recipients",
    "webhook": "[alerts.webhook] url",
}


def _makers(settings: AlertSettings) -> dict[str, tuple[bool, Callable[[], Channel]]]:
    return {
        "telegram": (settings.telegram.enabled, lambda: TelegramChannel(settings.telegram)),
        "email": (settings.email.enabled, lambda: EmailChannel(settings.email)),
        "webhook": (settings.webhook.enabled, lambda: WebhookChannel(settings.webhook)),
    }


def channels_for(settings: AlertSettings) -> list[Channel]:
    """The enabled channels, in a fixed order; the caller closes them (`aclose`)."""
    return [make() for enabled, make in _makers(settings).values() if enabled]


def channel_named(settings: AlertSettings, name: str) -> Channel:
    """One channel by name (`alerts test CHANNEL`); `ChannelError`, naming the fix, when the
    name is unknown or the channel is off."""
    makers = _makers(settings)
    if name not in makers:
        raise ChannelError(f"no alert channel {name!r}: the channels are {', '.join(makers)}")
    enabled, make = makers[name]
    if not enabled:
        raise ChannelError(f"alert channel {name!r} is off: set {_SWITCH[name]}")
    return make()
