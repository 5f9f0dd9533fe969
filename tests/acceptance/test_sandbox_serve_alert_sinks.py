"""`leadbridge sandbox serve` as an integrator runs it: its JSON line names the alert sinks, and
alerts sent with only those values arrive where /sandbox/messages and /sandbox/mail show them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from pydantic import SecretStr
from tests.acceptance.processes import free_port, sandbox_serve
from tests.acceptance.test_cli import clean_env  # noqa: F401  (fixture)
from tests.integration.channels.rig import alert

from leadbridge.channels.email import EmailChannel
from leadbridge.channels.telegram import TelegramChannel
from leadbridge.config.alerts import EmailSettings, TelegramSettings


async def _send(telegram: TelegramSettings, email: EmailSettings) -> None:
    for channel in (TelegramChannel(telegram), EmailChannel(email)):
        try:
            await channel.probe()
            await channel.send(alert())
        finally:
            await channel.aclose()


def test_the_json_line_names_the_alert_sinks_and_alerts_reach_them(
    clean_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    ports = ("--telegram-port", str(free_port()), "--smtp-port", str(free_port()))
    with sandbox_serve(tmp_path, clean_env, extra=ports) as credentials:
        telegram, smtp = credentials["telegram"], credentials["smtp"]
        ca_file = Path(smtp["ca_file"])
        certificate = ca_file.read_text()
        asyncio.run(
            _send(
                TelegramSettings(
                    base_url=telegram["base_url"],
                    bot_token=SecretStr(telegram["bot_token"]),
                    chat_id=telegram["chat_id"],
                ),
                EmailSettings(
                    host=smtp["host"],
                    port=smtp["port"],
                    username=smtp["username"],
                    password=SecretStr(smtp["password"]),
                    sender=smtp["sender"],
                    recipients=["duty@example.ru"],
                    ca_file=ca_file,
                ),
            )
        )
        messages = httpx.get(f"{telegram['base_url']}/sandbox/messages").json()["messages"]
        mail = httpx.get(smtp["mail_url"]).json()["mail"]

    assert set(telegram) == {"base_url", "bot_token", "chat_id"}
    assert telegram["base_url"] == f"http://127.0.0.1:{ports[1]}"
    assert smtp["port"] == int(ports[3])
    assert smtp["starttls"] is True
    assert certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert [message["text"].splitlines()[0] for message in messages] == [alert().text]
    assert messages[0]["chat_id"] == telegram["chat_id"]
    assert [(m["subject"], m["to"], m["over_tls"]) for m in mail] == [
        (alert().subject, ["duty@example.ru"], True)
    ]
    assert not ca_file.exists()  # removed when the command stopped
