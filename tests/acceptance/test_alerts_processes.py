"""Alerts from real causes, end to end: `leadbridge sandbox serve` (Avito, amoCRM and the
Telegram simulator) in one process, `leadbridge run` with its alert rules in another. amoCRM
blocks the account, then Avito falls silent; each cause opens exactly one incident, told once in
Telegram, and each is resolved, told once more, when the cause goes away."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.acceptance.processes import (
    LEADBRIDGE,
    bridge_env,
    eventually,
    free_port,
    http_status,
    sandbox_serve,
)
from tests.acceptance.test_run_against_sandbox import _deal_of

BLOCKED = "amoCRM заблокировал доступ к API"
SILENT = "От Авито давно нет новых заявок"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with sandbox_serve(tmp_path) as credentials:
        yield credentials


def alerting_env(sandbox: dict[str, Any], tmp_path: Path, port: int) -> dict[str, str]:
    """`run`'s environment with alerts to the Telegram simulator, on a compressed clock."""
    telegram = sandbox["telegram"]
    env = bridge_env(sandbox, f"sqlite:///{tmp_path / 'bridge.db'}", port)
    env.update(
        {
            "LEADBRIDGE_AMOCRM__BLOCK_PROBE_AFTER_S": "1",
            # A compressed clock: rules every second, a calm spell of three seconds, Avito
            # unusually silent after six seconds, requests expected around the clock.
            "LEADBRIDGE_ALERTS__INTERVAL_S": "1",
            "LEADBRIDGE_ALERTS__AMOCRM_CHECK_S": "1",
            "LEADBRIDGE_ALERTS__RESOLVE_AFTER_MINUTES": "0.05",
            "LEADBRIDGE_ALERTS__WORKING_HOURS": "00:00-24:00",
            "LEADBRIDGE_ALERTS__THRESHOLDS__SILENT_FLOOR_MINUTES": "0.1",
            "LEADBRIDGE_ALERTS__TELEGRAM__BASE_URL": telegram["base_url"],
            "LEADBRIDGE_ALERTS__TELEGRAM__BOT_TOKEN": telegram["bot_token"],
            "LEADBRIDGE_ALERTS__TELEGRAM__CHAT_ID": str(telegram["chat_id"]),
        }
    )
    return env


def texts(telegram_url: str) -> list[str]:
    answer = httpx.get(f"{telegram_url}/sandbox/messages").json()
    return [message["text"] for message in answer["messages"]]


def told(telegram_url: str, mark: str, title: str) -> int:
    return sum(text.startswith(f"{mark}: {title}") for text in texts(telegram_url))


class Requests:
    """A seller's request on Avito every half second until stopped."""

    def __init__(self, avito_url: str) -> None:
        self._url = avito_url
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Requests:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            httpx.post(f"{self._url}/sandbox/leads", json={})


def test_an_amocrm_block_and_a_silent_avito_each_open_and_resolve_one_incident(
    sandbox: dict[str, Any], tmp_path: Path
) -> None:
    avito, amocrm, telegram = sandbox["avito"], sandbox["amocrm"], sandbox["telegram"]
    port = free_port()
    bridge = subprocess.Popen(
        [*LEADBRIDGE, "run"],
        env=alerting_env(sandbox, tmp_path, port),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    chat = telegram["base_url"]
    try:
        eventually(lambda: http_status(f"http://127.0.0.1:{port}/readyz") == 200)
        first = httpx.post(f"{avito['base_url']}/sandbox/leads", json={}).json()
        eventually(lambda: _deal_of(amocrm["base_url"], first["id"]))  # the flows are running
        with Requests(avito["base_url"]):  # requests keep coming while amoCRM is blocked
            httpx.post(f"{amocrm['base_url']}/sandbox/block", json={"seconds": 600})
            eventually(lambda: told(chat, "🔴 Авария", BLOCKED) == 1, seconds=60)
            httpx.delete(f"{amocrm['base_url']}/sandbox/block")
            eventually(lambda: told(chat, "✅ Решено", BLOCKED) == 1, seconds=60)
        # Avito falls silent: no request for longer than usual.
        eventually(lambda: told(chat, "🔴 Авария", SILENT) == 1, seconds=60)
        httpx.post(f"{avito['base_url']}/sandbox/leads", json={})
        eventually(lambda: told(chat, "✅ Решено", SILENT) == 1, seconds=60)
        assert told(chat, "🔴 Авария", BLOCKED) == 1  # the block was told once, not per pass
        page = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        assert "leadbridge_alert_incidents_open" in page
    finally:
        bridge.send_signal(signal.SIGTERM)
        code = bridge.wait(timeout=30)
        logs = bridge.stderr.read() if bridge.stderr else ""
    assert code == 0, logs[-2000:]
    assert telegram["bot_token"] not in logs
