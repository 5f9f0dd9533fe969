"""The real `leadbridge` command, end to end, over real HTTP on loopback."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.acceptance.processes import LEADBRIDGE, free_port, sandbox_serve
from tests.databases import postgres_database

from leadbridge.store.migrate import head_revision


def _leadbridge(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEADBRIDGE, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    env["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'leadbridge.db'}"
    return env


@pytest.fixture(params=["sqlite", "postgres"])
def demo_env(request: pytest.FixtureRequest, clean_env: dict[str, str]) -> Iterator[dict[str, str]]:
    if request.param == "sqlite":
        yield clean_env
        return
    with postgres_database() as url:
        yield {**clean_env, "LEADBRIDGE_DATABASE_URL": url}


def test_demo_check_carries_every_request_through_and_holds_every_invariant(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    done = _leadbridge(
        "demo", "--leads", "40", "--check", "--port", str(free_port()), env=demo_env, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"] is True
    invariants = result["invariants"]
    for name in (
        "one_deal_per_request",
        "statuses_in_chain_order",
        "final_status_matches_stage",
        "nothing_lost",
        "rate_limits_respected",
    ):
        assert invariants[name]["ok"], invariants[name]
    assert invariants["one_deal_per_request"]["checked"] == 40
    # the managers' day: routed to the city's team, one first-call task each, withdrawals settled
    for name in (
        "deals_routed_to_their_team",
        "one_first_call_task_per_deal",
        "withdrawn_never_parked",
    ):
        assert invariants[name]["ok"], invariants[name]
    routing = result["routing"]
    assert routing["deals"] == routing["in_own_team"] + routing["fallback"] == 40
    assert routing["in_own_team"] > 0
    assert result["tasks"] == {"deals": 40, "with_one_task": 40}
    withdrawn = result["withdrawn"]  # 2 of 40 sellers withdraw; one may come after the close
    assert withdrawn["leads"] >= 1
    assert withdrawn == {"leads": withdrawn["leads"], "settled": withdrawn["leads"], "parked": 0}
    assert result["first_contact_p90_s"] > 0


def test_help_explains_every_command(clean_env: dict[str, str], tmp_path: Path) -> None:
    top = _leadbridge("--help", env=clean_env, cwd=tmp_path)
    assert top.returncode == 0
    for command in ("demo", "run", "web", "worker", "db", "sandbox"):
        assert command in top.stdout
    for sub in (["demo"], ["run"], ["web"], ["worker"], ["db", "upgrade"], ["sandbox", "serve"]):
        shown = _leadbridge(*sub, "--help", env=clean_env, cwd=tmp_path)
        assert shown.returncode == 0
        assert "Usage" in shown.stdout


def test_bad_configuration_is_one_line_and_exit_2(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**clean_env, "LEADBRIDGE_DATABASE_URL": "mysql://nowhere/db"}
    done = _leadbridge("db", "upgrade", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith("leadbridge: error:")

    missing = _leadbridge(
        "--config", str(tmp_path / "nope.toml"), "db", "upgrade", env=clean_env, cwd=tmp_path
    )
    assert missing.returncode == 2
    assert "no such config file" in missing.stderr


def test_db_upgrade_creates_the_schema(clean_env: dict[str, str], tmp_path: Path) -> None:
    done = _leadbridge("db", "upgrade", env=clean_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"revision {head_revision()}" in done.stdout


def test_sandbox_serve_prints_credentials_that_work(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    avito_port, amocrm_port = free_port(), free_port()
    with sandbox_serve(
        tmp_path, clean_env, avito_port=avito_port, amocrm_port=amocrm_port
    ) as credentials:
        avito, amocrm = credentials["avito"], credentials["amocrm"]
        assert avito["base_url"] == f"http://127.0.0.1:{avito_port}"
        token = httpx.post(
            avito["base_url"] + "/token",
            data={
                "grant_type": "client_credentials",
                "client_id": avito["client_id"],
                "client_secret": avito["client_secret"],
            },
        )
        assert token.status_code == 200
        assert token.json()["access_token"]
        exchange = httpx.post(
            amocrm["base_url"] + "/oauth2/access_token",
            json={
                "client_id": amocrm["client_id"],
                "client_secret": amocrm["client_secret"],
                "grant_type": "authorization_code",
                "code": amocrm["auth_code"],
                "redirect_uri": amocrm["redirect_uri"],
            },
        )
        assert exchange.status_code == 200
        assert exchange.json()["refresh_token"]


def test_outbox_commands_list_and_refuse_with_one_line(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    listed = _leadbridge("outbox", "list", "--state", "parked", env=clean_env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == ""

    refused = _leadbridge("outbox", "unpark", "42", "--note", "x", env=clean_env, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == "leadbridge: error: no outbox item 42"
