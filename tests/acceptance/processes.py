"""The `leadbridge` command as separate processes, the way a person runs it."""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

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


def eventually(check: Callable[[], Any], seconds: float = 60) -> Any:
    """`check()`'s first truthy result, asked every 0.2 s for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def http_status(url: str) -> int:
    """The status of a GET, 0 when nothing answers."""
    try:
        return httpx.get(url).status_code
    except httpx.HTTPError:
        return 0


def bridge_env(
    sandbox: dict[str, Any],
    database_url: str,
    port: int,
    *,
    webhook_secret: str = "avito-webhook-secret",
    webhook_token: str = "rehearsal-token-0123456789",
) -> dict[str, str]:
    """The environment of a `leadbridge run` against `sandbox serve`'s credentials, serving on
    `port`, with none of this process's LEADBRIDGE_* settings. A rig that needs more settings
    adds them to this one, so every run starts from the same base."""
    avito, amocrm = sandbox["avito"], sandbox["amocrm"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADBRIDGE_")}
    env.update(
        {
            "LEADBRIDGE_DATABASE_URL": database_url,
            "LEADBRIDGE_AVITO__BASE_URL": avito["base_url"],
            "LEADBRIDGE_AVITO__CLIENT_ID": avito["client_id"],
            "LEADBRIDGE_AVITO__CLIENT_SECRET": avito["client_secret"],
            "LEADBRIDGE_AVITO__WEBHOOK_SECRET": webhook_secret,
            "LEADBRIDGE_AMOCRM__BASE_URL": amocrm["base_url"],
            "LEADBRIDGE_AMOCRM__CLIENT_ID": amocrm["client_id"],
            "LEADBRIDGE_AMOCRM__CLIENT_SECRET": amocrm["client_secret"],
            "LEADBRIDGE_AMOCRM__REDIRECT_URI": amocrm["redirect_uri"],
            "LEADBRIDGE_AMOCRM__AUTH_CODE": amocrm["auth_code"],
            "LEADBRIDGE_WEB__PORT": str(port),
            "LEADBRIDGE_WEB__PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LEADBRIDGE_WEB__WEBHOOK_TOKEN": webhook_token,
        }
    )
    return env
