"""In-process wake-ups: a flow that has work for another one says so instead of waiting for its
next poll. (Across processes on PostgreSQL this becomes LISTEN/NOTIFY.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

DEALS, STAGE_CHANGES, OUTBOX = "deals", "stage_changes", "outbox"


class Wakeups:
    def __init__(self) -> None:
        self._events: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    def notify(self, topic: str) -> None:
        self._events[topic].set()

    async def wait(self, topic: str, at_most_s: float) -> None:
        """Return when notified or after `at_most_s` seconds, whichever comes first."""
        event = self._events[topic]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), at_most_s)
        event.clear()
