"""What the web layer needs from the running bridge, stored on the app's state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request

from leadbridge.config import Settings
from leadbridge.store.database import Database
from leadbridge.sync.intake_queue import LeadIntakeQueue
from leadbridge.sync.wakeups import Wakeups


@dataclass(frozen=True, slots=True)
class WebContext:
    settings: Settings
    db: Database
    wakeups: Wakeups
    lead_intake: LeadIntakeQueue = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lead_intake", LeadIntakeQueue(self.db, self.wakeups))

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


def context_of(request: Request) -> WebContext:
    ctx = request.app.state.leadbridge
    assert isinstance(ctx, WebContext)
    return ctx
