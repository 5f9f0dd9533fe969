"""The body every text channel sends: the message's text, then its dashboard link."""

from __future__ import annotations

from leadbridge.domain.alert_message import AlertMessage


def body_of(message: AlertMessage) -> str:
    if message.link and message.link not in message.text:
        return f"{message.text.rstrip()}\n\n{message.link}"
    return message.text
