"""Without `security.token_keys` the first command makes a key file and says where it is."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from tests.acceptance.processes import LEADBRIDGE


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LEADBRIDGE, *args], env=env, input="", capture_output=True, text=True, check=False
    )


def test_the_first_start_makes_a_private_key_file_and_tells_where(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    env["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'bridge.db'}"
    key = tmp_path / "bridge.db.key"

    first = _run(env, "db", "upgrade")
    second = _run(env, "db", "upgrade")

    assert first.returncode == 0, first.stderr
    assert str(key) in first.stderr
    assert str(key) not in second.stderr  # told once, when it is made
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() not in first.stderr + first.stdout
