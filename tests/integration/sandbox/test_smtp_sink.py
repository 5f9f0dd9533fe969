"""The SMTP sink as any mail client meets it: Python's own smtplib (run in a thread, as it
blocks), then the received mail read back over HTTP at /sandbox/mail."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

import anyio
import httpx
import pytest

from leadbridge.sandbox.smtp_sink import SmtpSinkConfig
from leadbridge.sandbox.telegram import AlertSinks, alert_sandbox

pytestmark = pytest.mark.anyio


def _mail() -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = "🟡 Очередь статусов растёт"
    mail["From"] = "leadbridge@sandbox.leadbridge.example"
    mail["To"] = "duty@example.ru"
    mail.set_content("Самый старый статус ждёт 12 минут.")
    return mail


def _tls(sinks: AlertSinks) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(sinks.ca_file))


async def test_a_client_that_trusts_the_ca_file_sends_over_starttls_and_reads_it_back() -> None:
    async with alert_sandbox() as sinks:
        config = sinks.smtp.config

        def send() -> tuple[bool, bool]:
            with smtplib.SMTP(sinks.smtp.host, sinks.smtp.port, timeout=10) as client:
                client.ehlo()
                starttls_offered = client.has_extn("starttls")
                auth_in_clear = client.has_extn("auth")
                client.starttls(context=_tls(sinks))  # hostname 127.0.0.1 checked too
                client.login(config.username, config.password)
                client.send_message(_mail())
            return starttls_offered, auth_in_clear

        starttls_offered, auth_in_clear = await anyio.to_thread.run_sync(send)
        async with httpx.AsyncClient(base_url=sinks.telegram_url) as http:
            mail = (await http.get("/sandbox/mail")).json()["mail"]

    assert starttls_offered is True
    assert auth_in_clear is False  # AUTH is offered only once TLS is up
    assert len(mail) == 1
    assert mail[0]["subject"] == "🟡 Очередь статусов растёт"  # decoded from RFC 2047
    assert mail[0]["body"] == "Самый старый статус ждёт 12 минут.\n"
    assert mail[0]["from"] == "leadbridge@sandbox.leadbridge.example"
    assert mail[0]["to"] == ["duty@example.ru"]
    assert mail[0]["authenticated_as"] == config.username
    assert mail[0]["over_tls"] is True


async def test_mail_before_tls_and_auth_and_a_wrong_password_are_refused() -> None:
    async with alert_sandbox() as sinks:

        def attempts() -> tuple[int, int, int]:
            with smtplib.SMTP(sinks.smtp.host, sinks.smtp.port, timeout=10) as client:
                client.ehlo()
                before_tls = client.mail("a@example.ru")[0]
                client.starttls(context=_tls(sinks))
                client.ehlo()
                before_auth = client.mail("a@example.ru")[0]
                try:
                    client.login(sinks.smtp.config.username, "wrong")
                except smtplib.SMTPAuthenticationError as refused:
                    wrong_password = refused.smtp_code
            return before_tls, before_auth, wrong_password

        before_tls, before_auth, wrong_password = await anyio.to_thread.run_sync(attempts)

    assert before_tls == 530  # "Must issue a STARTTLS command first"
    assert before_auth == 530  # "Authentication required"
    assert wrong_password == 535
    assert sinks.smtp.mail == []


async def test_a_client_that_does_not_trust_the_certificate_fails_the_handshake() -> None:
    async with alert_sandbox() as sinks:

        def handshake() -> None:
            with smtplib.SMTP(sinks.smtp.host, sinks.smtp.port, timeout=10) as client:
                client.starttls(context=ssl.create_default_context())  # the system's CAs only

        with pytest.raises(ssl.SSLCertVerificationError):
            await anyio.to_thread.run_sync(handshake)


async def test_a_refused_recipient_is_answered_550_and_the_others_get_the_mail() -> None:
    refused = SmtpSinkConfig(refused_recipients=frozenset({"gone@example.ru"}))
    async with alert_sandbox(smtp=refused) as sinks:

        def send() -> dict[str, tuple[int, bytes]]:
            with smtplib.SMTP(sinks.smtp.host, sinks.smtp.port, timeout=10) as client:
                client.starttls(context=_tls(sinks))
                client.login(refused.username, refused.password)
                return client.send_message(_mail(), to_addrs=["gone@example.ru", "duty@example.ru"])

        rejected = await anyio.to_thread.run_sync(send)

    assert {address: code for address, (code, _) in rejected.items()} == {"gone@example.ru": 550}
    assert [mail.rcpt_to for mail in sinks.smtp.mail] == [("duty@example.ru",)]
