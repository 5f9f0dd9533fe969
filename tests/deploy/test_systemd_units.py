"""deploy/systemd: hardened units that start real leadbridge commands and agree with how those
commands stop and fail; `systemd-analyze verify` when it is installed."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from leadbridge.config import ProcessSettings
from tests.deploy.files import ADMIN_SCRIPT, SYSTEMD, VENV_LEADBRIDGE, tool

SERVICES = {
    "leadbridge-web.service": "web",
    "leadbridge-worker@.service": "worker",
    "leadbridge-run.service": "run",
}
INSTALLED_BINARY = "/opt/leadbridge/venv/bin/leadbridge"
HARDENING = {
    "User": "leadbridge",
    "Group": "leadbridge",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "NoNewPrivileges": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "RestrictSUIDSGID": "yes",
    "StateDirectory": "leadbridge",
    "UMask": "0077",
    "Restart": "on-failure",
    "KillSignal": "SIGTERM",
    "EnvironmentFile": "/etc/leadbridge/leadbridge.env",
    "Environment": "LEADBRIDGE_CONFIG=/etc/leadbridge/leadbridge.toml",
    "WorkingDirectory": "/var/lib/leadbridge",
}


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections: every key with all its values, in order (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(name: str, section: str, key: str) -> str:
    values = unit(name)[section].get(key, [])
    assert len(values) == 1, f"{name}: [{section}] {key} = {values}"
    return values[0]


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_hardened(name: str) -> None:
    service = unit(name)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == [value], f"{name}: {key}"
    # Writable: the state directory only, which systemd makes and opens under ProtectSystem.
    assert "ReadWritePaths" not in service
    assert service["RestrictAddressFamilies"] == ["AF_INET AF_INET6 AF_UNIX"]
    assert "@system-service" in service["SystemCallFilter"]


@pytest.mark.parametrize(("name", "command"), SERVICES.items())
def test_every_service_starts_a_real_leadbridge_command(name: str, command: str) -> None:
    assert one(name, "Service", "ExecStart") == f"{INSTALLED_BINARY} {command}"
    assert "ExecStartPre" not in unit(name)["Service"]  # every process migrates by itself

    helped = subprocess.run(
        [str(VENV_LEADBRIDGE), command, "--help"], capture_output=True, text=True, check=False
    )

    assert helped.returncode == 0, helped.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_the_stop_timeout_leaves_room_for_the_shutdown_grace(name: str) -> None:
    timeout_s = float(one(name, "Service", "TimeoutStopSec"))
    assert timeout_s >= ProcessSettings().shutdown_grace_s + 10


@pytest.mark.parametrize("name", SERVICES)
def test_the_units_belong_to_the_target(name: str) -> None:
    assert one(name, "Unit", "PartOf") == "leadbridge.target"
    assert one(name, "Install", "WantedBy") == "leadbridge.target"
    assert one("leadbridge.target", "Install", "WantedBy") == "multi-user.target"


def test_run_and_web_do_not_run_together() -> None:
    assert one("leadbridge-run.service", "Unit", "Conflicts") == "leadbridge-web.service"


def test_a_bad_setting_exits_with_the_status_the_units_do_not_restart(tmp_path: Path) -> None:
    """Restarting a process whose settings are wrong only repeats the error."""
    prevented = {one(name, "Service", "RestartPreventExitStatus") for name in SERVICES}
    env = {name: value for name, value in os.environ.items() if not name.startswith("LEADBRIDGE_")}
    env |= {"LEADBRIDGE_WEB__PORT": "not-a-port", "HOME": str(tmp_path)}

    for command in SERVICES.values():
        done = subprocess.run(
            [str(VENV_LEADBRIDGE), command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert {str(done.returncode)} == prevented, done.stderr
        assert "bad setting web.port" in done.stderr


def test_web_stops_on_sigterm_with_success_within_the_stop_timeout(tmp_path: Path) -> None:
    """systemd stops with SIGTERM; an exit of 0 is a clean stop, not a failure to restart."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {name: value for name, value in os.environ.items() if not name.startswith("LEADBRIDGE_")}
    env |= {
        "LEADBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'leadbridge.db'}",
        "LEADBRIDGE_WEB__PORT": str(port),
        "HOME": str(tmp_path),
    }
    process = subprocess.Popen(
        [str(VENV_LEADBRIDGE), "web"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    healthz = f"http://127.0.0.1:{port}/healthz"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(healthz, timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "web did not answer /healthz"
                time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        stop_timeout_s = float(one("leadbridge-web.service", "Service", "TimeoutStopSec"))
        returncode = process.wait(timeout=stop_timeout_s)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""

    assert returncode == 0, stderr
    assert unit("leadbridge-web.service")["Service"].get("SuccessExitStatus") is None


def test_the_admin_script_uses_the_paths_of_the_units() -> None:
    text = ADMIN_SCRIPT.read_text(encoding="utf-8")
    constants = dict(re.findall(r"^([A-Z_]+)=([^$\s]\S*)$", text, flags=re.MULTILINE))

    assert constants == {
        "ENV_FILE": HARDENING["EnvironmentFile"],
        "CONFIG": HARDENING["Environment"].removeprefix("LEADBRIDGE_CONFIG="),
        "STATE_DIR": HARDENING["WorkingDirectory"],
        "SERVICE_USER": HARDENING["User"],
        "LEADBRIDGE": INSTALLED_BINARY,
    }


def _units_for_this_machine(into: Path) -> list[str]:
    """The units, started from this checkout's leadbridge (systemd-analyze wants an executable
    that exists), with the worker template instantiated once."""
    names = []
    for path in SYSTEMD.iterdir():
        text = path.read_text(encoding="utf-8").replace(INSTALLED_BINARY, str(VENV_LEADBRIDGE))
        name = path.name.replace("@.service", "@1.service")
        (into / name).write_text(text, encoding="utf-8")
        names.append(name)
    return sorted(names)


def test_systemd_analyze_verifies_the_units_without_a_warning(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    names = _units_for_this_machine(tmp_path)
    assert "leadbridge-worker@1.service" in names

    checked = subprocess.run(
        [analyze, "verify", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stderr
    # verify reports an unknown key or a bad value as a warning, and still exits 0.
    warnings = [line for line in checked.stderr.splitlines() if "leadbridge" in line]
    assert warnings == []


def test_systemd_analyze_rates_the_services_exposure_low(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    _units_for_this_machine(tmp_path)
    for name in ("leadbridge-web.service", "leadbridge-worker@1.service", "leadbridge-run.service"):
        rated = subprocess.run(
            [analyze, "security", "--offline=yes", "--threshold=20", f"./{name}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if "--offline" in rated.stderr:
            pytest.skip("this systemd-analyze cannot rate a unit file offline (systemd < 250)")
        # Exit 0: the overall exposure is at most 2.0 of 10 ("OK").
        assert rated.returncode == 0, rated.stdout[-2000:] + rated.stderr
