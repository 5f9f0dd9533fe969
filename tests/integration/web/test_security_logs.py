"""A full bridge run against both simulators, logging everything: no phone number, no name,
no token and no secret may reach the log."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from tests.acceptance.processes import free_port

from leadbridge import logs
from leadbridge.config import DEFAULT_FUNNEL
from leadbridge.sandbox.amocrm import AmoSandboxConfig
from leadbridge.sandbox.avito import AvitoSandboxConfig
from leadbridge.sandbox.demo import run_demo
from leadbridge.sandbox.demo_sims import DemoOptions

pytestmark = pytest.mark.anyio
LEADS = 12


def _secrets_of_the_run(demo_db: Path, printed: list[str]) -> set[str]:
    with sqlite3.connect(demo_db) as connection:
        people = connection.execute("SELECT seller_phone, seller_name FROM leads").fetchall()
        pairs = connection.execute(
            "SELECT access_token, refresh_token FROM oauth_tokens"
        ).fetchall()
    assert len(people) == LEADS
    found: set[str] = set()
    for phone, name in people:
        if phone:
            digits = re.sub(r"\D", "", phone)
            found |= {phone, digits, digits[-10:]}
        found.add(name)
    found |= {token for pair in pairs for token in pair if token}
    found |= {AmoSandboxConfig().client_secret, AvitoSandboxConfig().client_secret}
    found.add(next(line for line in printed if line.startswith("Вход")).split(" / ")[-1])
    return found


async def test_a_full_run_logs_no_personal_data_and_no_secret(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    logs.configure("DEBUG")
    printed: list[str] = []
    options = DemoOptions(
        leads=LEADS,
        check=True,
        port=free_port(),
        seed=7,
        database_url=f"sqlite:///{tmp_path / 'leadbridge.db'}",
        funnel_file=DEFAULT_FUNNEL,
        leads_per_second=1000.0,
        time_scale=0.001,
        timeout_s=120.0,
    )
    result = await run_demo(options, out=printed.append)
    captured = capfd.readouterr()
    log_text = captured.err + captured.out

    assert result["ok"] is True
    lines = [line for line in log_text.splitlines() if line.startswith("{")]
    assert len(lines) > LEADS  # the run did log: the check below is not vacuous
    about_leads = [json.loads(line) for line in lines if '"lead_id"' in line]
    assert about_leads
    assert all("correlation_id" in line for line in about_leads)
    for secret in _secrets_of_the_run(tmp_path / "leadbridge-demo.db", printed):
        assert secret not in log_text, "a phone, name, token or secret was logged"
