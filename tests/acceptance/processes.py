"""The `leadbridge` command as separate processes, the way a person runs it."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LEADBRIDGE = [sys.executable, "-m", "leadbridge"]


def free_port() -> int:
    """A port nothing listens on, for a server in a child process. Not one the kernel would hand
    out itself: while the suite runs on several workers, outgoing connections take ports from
    that range, and one could take the port between this check and the child's bind."""
    low = _ephemeral_ports()[0]
    for _ in range(200):
        port = random.randint(PRIVATE_LOW, low - 1)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


PRIVATE_LOW = 10_000


def _ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
    return int(low), int(high)


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
            # The alert channels' simulators too: their default ports would collide between
            # tests running side by side.
            "--telegram-port",
            str(free_port()),
            "--smtp-port",
            str(free_port()),
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
        assert process.stderr is not None
        line = process.stdout.readline()
        assert line, f"sandbox serve printed nothing: {process.stderr.read()[-2000:]}"
        yield json.loads(line)
    finally:
        process.terminate()
        process.wait(timeout=20)
