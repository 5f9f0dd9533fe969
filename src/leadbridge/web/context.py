"""What the web layer needs from the running bridge, stored on the app's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request

from leadbridge.config import Settings
from leadbridge.store.database import Database
from leadbridge.sync.wakeups import Wakeups


@dataclass(frozen=True, slots=True)
class WebContext:
    settings: Settings
    db: Database
    wakeups: Wakeups

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def context_of(request: Request) -> WebContext:
    ctx = request.app.state.leadbridge
    assert isinstance(ctx, WebContext)
    return ctx
