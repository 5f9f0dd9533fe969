"""Starting a process: nothing listens before the database is migrated, so the first request a
person or a probe makes — the moment the port answers — never meets a missing table."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
from tests.acceptance.processes import LEADBRIDGE, free_port

PATHS = ("/healthz", "/login", "/")


def test_web_on_a_fresh_database_answers_no_5xx_from_its_first_moment(tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    env |= {
        "LEADBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "LEADBRIDGE_WEB__PORT": str(port),
        "LEADBRIDGE_LOG_LEVEL": "WARNING",
    }
    web = subprocess.Popen([*LEADBRIDGE, "web"], env=env, cwd=tmp_path)
    answers: list[tuple[str, int]] = []
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while len(answers) < 30 and time.monotonic() < deadline:
                for path in PATHS:
                    try:
                        answers.append((path, http.get(path).status_code))
                    except httpx.TransportError:
                        time.sleep(0.01)  # not listening yet
    finally:
        web.terminate()
        assert web.wait(timeout=30) == 0

    assert len(answers) >= 30, "the web process never answered"
    assert [answer for answer in answers if answer[1] >= 500] == []
    # The very first answers already came from a migrated database: a login page, a redirect
    # to it, and liveness.
    assert {status for _, status in answers[:3]} <= {200, 303}
