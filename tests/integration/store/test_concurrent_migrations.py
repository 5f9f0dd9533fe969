"""Processes that start together on a fresh PostgreSQL database (web and workers) each migrate
it: one at a time, and every one of them ends at head."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.databases import postgres_database

from leadbridge.store.migrate import current_revision, head_revision

pytestmark = pytest.mark.postgres


def test_four_processes_migrating_at_once_all_reach_head() -> None:
    with postgres_database() as url:
        env = {**os.environ, "LEADBRIDGE_DATABASE_URL": url}
        command = [sys.executable, "-m", "leadbridge", "db", "upgrade"]
        upgrades = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        answers = [process.communicate(timeout=120) for process in upgrades]
        assert [process.returncode for process in upgrades] == [0] * 4, answers
        assert current_revision(url) == head_revision()
