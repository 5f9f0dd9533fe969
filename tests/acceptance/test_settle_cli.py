"""`leadbridge settle` and the demo's settlement check, as the real command."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.acceptance.processes import free_port, sandbox_serve
from tests.acceptance.test_cli import _leadbridge

OFFLINE = ("--no-diff", "--no-amocrm-prices")


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    env["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'leadbridge.db'}"
    return env


def test_demo_check_reports_an_empty_settlement_diff_over_matched_lines(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    done = _leadbridge(
        "demo", "--leads", "30", "--check", "--port", str(free_port()), env=clean_env, cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["settlement_diff"] == []
    assert result["settlement_matched"] > 0  # managers bought devices out: lines were compared
    assert result["ok"] is True


def test_settle_exports_freezes_once_and_refuses_bad_input_in_one_line(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    assert _leadbridge("db", "upgrade", env=clean_env, cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    args = ("settle", "--week", "2026-W19", *OFFLINE, "--export", str(out))

    frozen = _leadbridge(*args, "--freeze", env=clean_env, cwd=tmp_path)
    again = _leadbridge(*args, "--freeze", env=clean_env, cwd=tmp_path)
    bad_week = _leadbridge("settle", "--week", "2026-W54", *OFFLINE, env=clean_env, cwd=tmp_path)
    future = _leadbridge(
        "settle", "--week", "2099-W01", "--freeze", *OFFLINE, env=clean_env, cwd=tmp_path
    )
    config = tmp_path / "bad.toml"
    config.write_text("[[settlement.rules]]\nmin_kopecks = 2\nmax_kopecks = 1\n")
    bad_rule = _leadbridge("--config", str(config), "settle", *OFFLINE, env=clean_env, cwd=tmp_path)
    no_avito = _leadbridge("settle", "--no-amocrm-prices", env=clean_env, cwd=tmp_path)

    assert frozen.returncode == 0, frozen.stderr
    assert frozen.stdout.splitlines()[0].startswith("2026-W19 (frozen ")
    assert "0 lines, total 0.00 ₽" in frozen.stdout
    assert load_workbook(out / "settlement-2026-W19.xlsx").sheetnames == [
        "Сводка",
        "Строки",
        "Расхождения",
    ]
    assert (out / "settlement-2026-W19.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for refused, message in [
        (again, "leadbridge: error: 2026-W19 was frozen at "),
        (bad_week, "leadbridge: error: 2026-W54 does not exist"),
        (future, "leadbridge: error: 2099-W01 is not over until 2099-01-05 00:00 Moscow time"),
        (bad_rule, "leadbridge: error: settlement.rules: commission bounds must satisfy"),
        (no_avito, "leadbridge: error: avito.client_id is not set"),
    ]:
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.startswith(message), refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1


def test_settle_diffs_against_the_avito_simulator(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    with sandbox_serve(tmp_path, clean_env) as credentials:
        avito = credentials["avito"]
        env = {
            **clean_env,
            "LEADBRIDGE_AVITO__BASE_URL": avito["base_url"],
            "LEADBRIDGE_AVITO__CLIENT_ID": avito["client_id"],
            "LEADBRIDGE_AVITO__CLIENT_SECRET": avito["client_secret"],
        }
        done = _leadbridge("settle", "--no-amocrm-prices", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == "diff with Avito: 0 matched, 0 not"
