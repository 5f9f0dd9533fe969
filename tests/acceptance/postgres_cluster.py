"""A PostgreSQL server of the test's own, to stop and start while leadbridge runs against it:
the shared server at LEADBRIDGE_TEST_POSTGRES_URL must stay up for every other test."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.acceptance.processes import free_port


def _bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}")) or [shutil.which(tool) or ""]
    if not found[-1]:
        pytest.skip(f"PostgreSQL's {tool} is not installed")
    return found[-1]


@dataclass
class Cluster:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = self.data.parent / "postgres.log"
        self._ctl("start", "-w", "-o", options, "-l", str(log))

    def stop(self) -> None:
        """As an administrator restarts it: every connection is cut, new ones are refused."""
        self._ctl("stop", "-w", "-m", "fast")

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(self.data), *args]), check=True)


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def private_cluster() -> Iterator[Cluster]:
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as
    # `postgres`.
    home = Path(tempfile.mkdtemp(prefix="leadbridge-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    cluster = Cluster(home / "data", free_port())
    subprocess.run(
        _as_owner([_bin("initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            cluster.stop()
        shutil.rmtree(home, ignore_errors=True)
