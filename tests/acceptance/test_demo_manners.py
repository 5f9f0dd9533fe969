"""`leadbridge demo` as a person meets it (issue 18): a busy port is refused in one Russian line
before anything starts, Ctrl+C ends the endless demo calmly, and a demo with no fault switched
on logs no warning."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.acceptance.processes import LEADBRIDGE, free_port

RUN_S = 32.0  # past the bridge's start and its first two reads of amoCRM's events (every 30 s)
START_TIMEOUT_S = 120.0


def _clean_env(directory: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    env["LEADBRIDGE_DATABASE_URL"] = f"sqlite:///{directory / 'leadbridge.db'}"
    return env


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def interrupted_demo(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """The default demo (no --leads, no fault), run for a while and stopped with SIGINT."""
    directory = tmp_path_factory.mktemp("demo")
    out, err = directory / "stdout.txt", directory / "stderr.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        demo = subprocess.Popen(
            [*LEADBRIDGE, "demo", "--port", str(free_port())],
            env=_clean_env(directory),
            cwd=directory,
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
        try:
            _wait_for(lambda: "Дашборд:" in out.read_text(), demo, START_TIMEOUT_S)
            _wait_for(lambda: "сделок 1 " in err.read_text(), demo, START_TIMEOUT_S)
            time.sleep(RUN_S)
            demo.send_signal(signal.SIGINT)
            demo.wait(timeout=120)
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()
    return Finished(demo.returncode, out.read_text(), err.read_text())


def _wait_for(condition: Callable[[], bool], demo: subprocess.Popen[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert demo.poll() is None, "the demo ended on its own"
        assert time.monotonic() < deadline, "the demo did not get there in time"
        time.sleep(0.2)


def test_ctrl_c_ends_the_endless_demo_calmly_with_exit_0(interrupted_demo: Finished) -> None:
    assert interrupted_demo.returncode == 0, interrupted_demo.stderr[-3000:]
    out = interrupted_demo.stdout
    assert "Демо остановлено пользователем (Ctrl+C)" in out
    done = next(line for line in out.splitlines() if line.startswith("Сделано: "))
    assert "заявок" in done
    assert "сделок" in done
    assert "статусов принято Авито" in done
    assert '"ok"' not in out  # nothing judged on work in flight, no JSON
    assert "violations" not in out
    assert "Traceback" not in interrupted_demo.stderr


def test_a_demo_without_faults_logs_no_warning(interrupted_demo: Finished) -> None:
    assert "заявок" in interrupted_demo.stderr  # its stderr was read: the check is not vacuous
    logged = [line for line in interrupted_demo.stderr.splitlines() if line.startswith("{")]
    loud = [line for line in logged if '"level": "warning"' in line or '"level": "error"' in line]
    assert loud == []


def test_a_busy_port_is_one_russian_line_and_exit_2_before_anything_starts(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*LEADBRIDGE, "demo", "--port", str(port)],
            env=_clean_env(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"Порт {port} занят" in lines[0]
    assert "--port" in lines[0]
    assert "make demo PORT=" in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    # Checked before the demo's database and the key file: nothing was started.
    assert not (tmp_path / "leadbridge-demo.db").exists()
    assert not (tmp_path / "leadbridge.db.key").exists()
