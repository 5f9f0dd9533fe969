"""The `leadbridge` command as separate processes, the way a person runs it."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LEADBRIDGE = [sys.executable, "-m", "leadbridge"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def sandbox_serve(
    cwd: Path,
    env: dict[str, str] | None = None,
    *,
    avito_port: int = 0,
    amocrm_port: int = 0,
    extra: tuple[str, ...] = (),
) -> Iterator[dict[str, Any]]:
    """`leadbridge sandbox serve` until the block ends; yields the credentials it printed."""
    process = subprocess.Popen(
        [
            *LEADBRIDGE,
            "sandbox",
            "serve",
            "--avito-port",
            str(avito_port or free_port()),
            "--amocrm-port",
            str(amocrm_port or free_port()),
            *extra,
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=20)
