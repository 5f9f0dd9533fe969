"""What only the running bridge knows — amoCRM's account block and the limiters' use.

The bridge puts a `LiveStatus` on the app's state when it serves the dashboard itself; a
dashboard served apart from the bridge shows these rows as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from starlette.requests import Request

if TYPE_CHECKING:
    from leadbridge.sync.bridge import Bridge


class LiveStatus(Protocol):
    def amo_blocked_until(self) -> datetime | None:
        """None while amoCRM answers; else when the next probe may go."""

    def limiter_use(self) -> dict[str, tuple[int, int]]:
        """Per limiter: requests in its current window, and the most it admits."""


@dataclass(frozen=True, slots=True)
class LiveSnapshot:
    known: bool
    blocked_until: datetime | None = None
    limiters: tuple[tuple[str, int, int], ...] = ()


def snapshot(request: Request) -> LiveSnapshot:
    status = getattr(request.app.state, "live_status", None)
    if status is None:
        return LiveSnapshot(known=False)
    use = status.limiter_use()
    return LiveSnapshot(
        known=True,
        blocked_until=status.amo_blocked_until(),
        limiters=tuple((name, used, limit) for name, (used, limit) in sorted(use.items())),
    )


class BridgeStatus:
    """The `LiveStatus` of a bridge running in this process."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge

    def amo_blocked_until(self) -> datetime | None:
        return self._bridge.amo.blocked_until

    def limiter_use(self) -> dict[str, tuple[int, int]]:
        avito = self._bridge.avito.limiters
        return {"amoCRM": self._bridge.amo.usage()} | {
            f"Авито {name}": limiter.usage() for name, limiter in avito.items()
        }
