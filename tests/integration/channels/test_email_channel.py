"""The e-mail channel against the sandbox's SMTP sink: a real SMTP server on loopback, with
STARTTLS on a self-signed certificate and AUTH."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from tests.integration.channels.rig import LINK, alert

from leadbridge.channels import ChannelError
from leadbridge.channels.email import EmailChannel
from leadbridge.config.alerts import EmailSettings
from leadbridge.domain.alert_message import Moment
from leadbridge.sandbox.smtp_sink import SmtpSink, SmtpSinkConfig, smtp_sink
from leadbridge.sandbox.telegram import alert_sandbox

pytestmark = pytest.mark.anyio

DUTY = ["duty@example.ru", "owner@example.ru"]


async def test_an_alert_arrives_over_starttls_with_its_russian_subject_and_body() -> None:
    async with alert_sandbox() as sinks:
        channel = EmailChannel(sinks.email_settings(DUTY))
        await channel.send(alert())
        await channel.send(alert(moment=Moment.RESOLVED, subject="✅ amoCRM снова доступен"))
        await channel.aclose()

    opened, resolved = sinks.smtp.mail
    assert opened.subject == "🔴 amoCRM заблокировал доступ"
    assert opened.body == f"Сделки не создаются: amoCRM отвечает 403.\n\n{LINK}\n"
    assert opened.mail_from == sinks.smtp.config.sender
    assert opened.rcpt_to == tuple(DUTY)
    assert opened.headers["To"] == ", ".join(DUTY)
    assert opened.over_tls is True
    assert opened.authenticated_as == sinks.smtp.config.username
    # The resolution answers the opening: a mail client shows one thread per incident.
    assert resolved.headers["In-Reply-To"] == opened.headers["Message-ID"]
    assert resolved.subject == "✅ amoCRM снова доступен"


async def test_a_wrong_password_is_refused_in_one_line_without_the_password() -> None:
    async with alert_sandbox() as sinks:
        settings = sinks.email_settings(DUTY).model_copy(
            update={"password": SecretStr("not-the-password")}
        )
        channel = EmailChannel(settings)
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())
        with pytest.raises(ChannelError) as probed:
            await channel.probe()

    server = f"{sinks.smtp.host}:{sinks.smtp.port}"
    for error in (refused.value, probed.value):
        assert str(error) == (
            f"E-mail: {server} refused the login (535 5.7.8 Authentication credentials "
            "invalid): check alerts.email.username and password"
        )
    assert sinks.smtp.mail == []


async def test_a_server_without_starttls_is_not_talked_to_in_clear() -> None:
    async with smtp_sink(SmtpSinkConfig(starttls=False, username="")) as sink:
        channel = EmailChannel(sink_settings(sink).model_copy(update={"starttls": True}))
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())

    assert str(refused.value) == (
        f"E-mail: {sink.host}:{sink.port} does not offer STARTTLS (alerts.email.starttls = true)"
    )
    assert sink.mail == []


async def test_a_certificate_not_trusted_fails_the_tls_handshake() -> None:
    async with alert_sandbox() as sinks:
        settings = sinks.email_settings(DUTY).model_copy(update={"ca_file": None})
        with pytest.raises(ChannelError) as refused:
            await EmailChannel(settings).send(alert())

    assert str(refused.value).startswith(f"E-mail: TLS with {sinks.smtp.host}:{sinks.smtp.port}")
    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
    assert sinks.smtp.mail == []


async def test_a_port_nobody_listens_on_and_a_missing_ca_file_are_named() -> None:
    async with smtp_sink() as sink:
        settings = sink_settings(sink)
    # The sink has stopped: its port refuses connections now, its CA file is gone.
    with pytest.raises(ChannelError) as unreachable:
        await EmailChannel(settings.model_copy(update={"ca_file": None})).send(alert())
    with pytest.raises(ChannelError) as no_ca:
        await EmailChannel(settings).send(alert())

    assert str(unreachable.value).startswith(f"E-mail: cannot reach {sink.host}:{sink.port} (")
    assert "\n" not in str(unreachable.value)
    assert str(no_ca.value) == "E-mail: cannot read alerts.email.ca_file (FileNotFoundError)"


async def test_recipients_all_refused_are_reported_without_their_addresses() -> None:
    refused_one = "gone@example.ru"
    async with smtp_sink(SmtpSinkConfig(refused_recipients=frozenset({refused_one}))) as sink:
        settings = sink_settings(sink)
        channel = EmailChannel(settings.model_copy(update={"recipients": [refused_one]}))
        with pytest.raises(ChannelError) as refused:
            await channel.send(alert())
        # One refused among others: delivered to the rest, not an error (no resend to them).
        mixed = EmailChannel(settings.model_copy(update={"recipients": [refused_one, *DUTY]}))
        await mixed.send(alert())

    assert str(refused.value) == (
        f"E-mail: {sink.host}:{sink.port} refused every recipient (550 5.1.1 Mailbox "
        "unavailable): check alerts.email.recipients"
    )
    assert [mail.rcpt_to for mail in sink.mail] == [tuple(DUTY)]


async def test_probe_logs_in_and_quits_without_sending() -> None:
    async with alert_sandbox() as sinks:
        await EmailChannel(sinks.email_settings(DUTY)).probe()

    assert sinks.smtp.mail == []


def sink_settings(sink: SmtpSink) -> EmailSettings:
    """Settings for a sink started alone (alert_sandbox's `email_settings` needs both)."""
    return EmailSettings(
        host=sink.host,
        port=sink.port,
        starttls=sink.config.starttls,
        username=sink.config.username,
        password=SecretStr(sink.config.password),
        sender=sink.config.sender,
        recipients=DUTY,
        ca_file=sink.ca_file,
    )
