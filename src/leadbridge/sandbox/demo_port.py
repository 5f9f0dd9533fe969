"""The demo's dashboard port: found busy before anything starts, and said so in one line.

The check binds the port the way the dashboard will (sandbox/serving.py) and lets it go at
once. Another program may still take the port between the check and the dashboard's start:
that late refusal (`EADDRINUSE`) is turned into the same `PortBusy` by `busy_port_as_such`.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Iterator

HOST = "127.0.0.1"
LOOK_FURTHER = 10  # the suggested port: the first free one of port + 10, + 20, …


class PortBusy(Exception):
    """The dashboard's port is taken by another program."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.port = port

    def __str__(self) -> str:
        other = suggested_port(self.port)
        return (
            f"Порт {self.port} занят другой программой, демо не запущено: освободите его "
            f"или запустите демо на другом порту — make demo PORT={other} "
            f"или leadbridge demo --port {other}"
        )


def ensure_port_free(port: int) -> None:
    """Raise `PortBusy` if something listens on `port` of 127.0.0.1."""
    if not _bindable(port):
        raise PortBusy(port)


@contextlib.contextmanager
def busy_port_as_such(port: int) -> Iterator[None]:
    """The late form of a busy port (taken after `ensure_port_free`) as `PortBusy` too."""
    try:
        yield
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortBusy(port) from error
        raise


def suggested_port(port: int) -> int:
    candidates = [port + LOOK_FURTHER * n for n in range(1, 20)]
    free = (candidate for candidate in candidates if candidate < 65536 and _bindable(candidate))
    return next(free, 8090 if port != 8090 else 8091)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the dashboard binds: a port left in TIME_WAIT by the last demo is free to it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as error:
            return error.errno != errno.EADDRINUSE
    return True
