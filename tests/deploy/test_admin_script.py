"""deploy/bin/leadbridge-admin: a command run by hand gets the services' secrets and settings,
as their user, in their directory, with its arguments intact."""

from __future__ import annotations

import json
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.files import ADMIN_SCRIPT, tool

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="leadbridge-admin switches users with runuser: root only"
)

# Stands in for /opt/leadbridge/venv/bin/leadbridge: prints what it was started with.
FAKE_LEADBRIDGE = f"""#!{sys.executable}
import json, os, sys
env = {{k: v for k, v in os.environ.items() if k.startswith(("LEADBRIDGE_", "HOME"))}}
print(json.dumps({{"args": sys.argv[1:], "cwd": os.getcwd(), "uid": os.getuid(), "env": env}}))
"""


def installed_here(tmp_path: Path) -> Path:
    """The script with its paths pointed into `tmp_path`, run as root's own user."""
    tool("runuser")
    (tmp_path / "state").mkdir()
    (tmp_path / "leadbridge.env").write_text(
        "# secrets\nLEADBRIDGE_WEB__WEBHOOK_TOKEN=0123abcd\n\n"
        "LEADBRIDGE_DATABASE_URL=postgresql://leadbridge:pw@127.0.0.1:5432/leadbridge\n",
        encoding="utf-8",
    )
    fake = tmp_path / "leadbridge"
    fake.write_text(FAKE_LEADBRIDGE, encoding="utf-8")
    fake.chmod(0o755)
    paths = {
        "ENV_FILE": tmp_path / "leadbridge.env",
        "CONFIG": tmp_path / "leadbridge.toml",
        "STATE_DIR": tmp_path / "state",
        "SERVICE_USER": "root",
        "LEADBRIDGE": fake,
    }
    text = ADMIN_SCRIPT.read_text(encoding="utf-8")
    for name, value in paths.items():
        text, replaced = re.subn(rf"^{name}=.*$", f"{name}={value}", text, flags=re.MULTILINE)
        assert replaced == 1, name
    script = tmp_path / "leadbridge-admin"
    script.write_text(text, encoding="utf-8")
    script.chmod(0o755)
    return script


def test_a_command_gets_the_secrets_the_config_and_the_state_directory(tmp_path: Path) -> None:
    script = installed_here(tmp_path)
    env = {"PATH": os.environ["PATH"], "LEADBRIDGE_WEB__WEBHOOK_TOKEN": "from-the-caller"}

    done = subprocess.run(
        [str(script), "outbox", "skip", "12", "--note", "seller withdrew"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["args"] == ["outbox", "skip", "12", "--note", "seller withdrew"]
    assert seen["cwd"] == str(tmp_path / "state")
    assert seen["uid"] == 0
    assert seen["env"]["LEADBRIDGE_CONFIG"] == str(tmp_path / "leadbridge.toml")
    assert seen["env"]["LEADBRIDGE_WEB__WEBHOOK_TOKEN"] == "0123abcd"  # the file wins
    assert seen["env"]["LEADBRIDGE_DATABASE_URL"].startswith("postgresql://leadbridge:pw@")
    assert seen["env"]["HOME"] == pwd.getpwuid(0).pw_dir  # the service user's home


def test_without_the_env_file_nothing_runs(tmp_path: Path) -> None:
    script = installed_here(tmp_path)
    (tmp_path / "leadbridge.env").unlink()

    done = subprocess.run(
        [str(script), "users", "list"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode != 0
    assert done.stdout == ""
