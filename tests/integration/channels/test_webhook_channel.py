"""The webhook channel against a receiver served over real HTTP on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from pydantic import SecretStr
from tests.integration.channels.rig import LINK, alert, webhook_receiver

from leadbridge.channels import ChannelError
from leadbridge.channels.webhook import WebhookChannel
from leadbridge.config.alerts import WebhookChannelSettings

pytestmark = pytest.mark.anyio

SECRET = "webhook-shared-secret"


async def test_the_alert_is_posted_as_json_signed_with_the_secret() -> None:
    async with webhook_receiver() as receiver:
        channel = WebhookChannel(WebhookChannelSettings(url=receiver.url, secret=SecretStr(SECRET)))
        await channel.send(alert())
        await channel.aclose()

    (posted,) = receiver.requests
    # What a receiver does: the HMAC over the raw bytes, before parsing them.
    expected = hmac.new(SECRET.encode(), posted.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(posted.headers["x-leadbridge-signature"], expected)
    assert posted.headers["content-type"].startswith("application/json")
    assert json.loads(posted.body) == {
        "incident_id": 7,
        "rule": "amocrm_blocked",
        "severity": "critical",
        "moment": "opened",
        "subject": "🔴 amoCRM заблокировал доступ",
        "text": "Сделки не создаются: amoCRM отвечает 403.",
        "link": LINK,
        "since": "2026-11-30T09:15:00+00:00",
    }


async def test_a_signature_made_with_another_secret_does_not_verify() -> None:
    async with webhook_receiver() as receiver:
        channel = WebhookChannel(
            WebhookChannelSettings(url=receiver.url, secret=SecretStr("another-secret"))
        )
        await channel.send(alert())
        await channel.aclose()

    (posted,) = receiver.requests
    expected = hmac.new(SECRET.encode(), posted.body, hashlib.sha256).hexdigest()
    assert posted.headers["x-leadbridge-signature"] != expected


async def test_without_a_secret_no_signature_is_sent() -> None:
    async with webhook_receiver() as receiver:
        channel = WebhookChannel(WebhookChannelSettings(url=receiver.url))
        await channel.send(alert())
        await channel.aclose()

    assert "x-leadbridge-signature" not in receiver.requests[0].headers


@pytest.mark.parametrize(("status", "reason"), [(500, "Internal Server Error"), (404, "Not Found")])
async def test_an_answer_other_than_2xx_is_a_failure_naming_the_status(
    status: int, reason: str
) -> None:
    async with webhook_receiver() as receiver:
        receiver.status = status
        host = receiver.url.removeprefix("http://").split("/")[0]
        channel = WebhookChannel(WebhookChannelSettings(url=receiver.url))
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())
        await channel.aclose()

    assert str(refused.value) == f"Webhook: {host} answered HTTP {status} {reason}"


async def test_probe_sends_no_alert_and_any_answer_means_reachable() -> None:
    async with webhook_receiver() as receiver:
        channel = WebhookChannel(WebhookChannelSettings(url=receiver.url))
        await channel.probe()  # the receiver answers 405 to HEAD: still reachable
        await channel.aclose()
    assert [request.method for request in receiver.requests] == ["HEAD"]

    channel = WebhookChannel(WebhookChannelSettings(url=receiver.url))  # stopped now
    with pytest.raises(ChannelError) as unreachable:
        await channel.probe()
    await channel.aclose()
    host = receiver.url.removeprefix("http://").split("/")[0]
    assert str(unreachable.value).startswith(f"Webhook: cannot reach {host} (")
    assert "/hooks/leadbridge" not in str(unreachable.value)  # a URL's path may be its token
