"""Where the deployment files are, and how the tests read them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
EXAMPLE_TOML = DEPLOY / "leadbridge.example.toml"
EXAMPLE_ENV = DEPLOY / "leadbridge.example.env"
ALERTS = DEPLOY / "prometheus" / "leadbridge-alerts.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.example.yml"
DASHBOARD = DEPLOY / "grafana" / "leadbridge.json"
NGINX_SITE = DEPLOY / "nginx" / "leadbridge.conf"
SYSTEMD = DEPLOY / "systemd"
ADMIN_SCRIPT = DEPLOY / "bin" / "leadbridge-admin"
VENV_LEADBRIDGE = ROOT / ".venv" / "bin" / "leadbridge"


def tool(name: str) -> str:
    """The path of `name` on PATH, or skip the test saying what is missing and why."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"`{name}` is not on PATH: the check that runs it is skipped")
    return found


def env_file_values(path: Path = EXAMPLE_ENV) -> dict[str, str]:
    """The VARIABLE=value lines of an environment file as systemd reads them (no quoting)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values
