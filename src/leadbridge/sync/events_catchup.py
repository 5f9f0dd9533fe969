"""The completeness guarantee: amoCRM's events API read with a cursor.

Webhooks are fast but may be lost or arrive out of order; every stage change is also an event.
A pass reads `lead_status_changed` events from the cursor (minus an overlap: events of the same
second may be listed after the cursor moved, and the clocks of amoCRM and this host differ) and
applies those not logged yet. A pass far behind — after downtime, or under a flood of lost
webhooks — walks the past in windows of `amocrm.events_window_s` and saves the cursor after each,
so a process killed midway leaves its successor one window to redo, not the whole pass. Windows
bound the events by time, so nothing depends on the order amoCRM lists them in.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import structlog

from leadbridge.amocrm.answers import StatusEvent
from leadbridge.amocrm.api import AmoApi
from leadbridge.store import cursors, leads
from leadbridge.store.database import Database
from leadbridge.sync.provisioning import ensure_webhook
from leadbridge.sync.stage_changes import StageChanges

log = structlog.get_logger(__name__)
CURSOR = "amocrm_status_events"
OVERLAP_S = 120
# A change younger than this may still be on its way as a webhook: the pass that applies it
# first won a race (logged at info), it did not make up for a lost webhook (a warning).
WEBHOOK_GRACE_S = 10


class EventsCatchUp:
    def __init__(
        self,
        *,
        db: Database,
        api: AmoApi,
        changes: StageChanges,
        webhook_url: str | None = None,
        window_s: int = 60,
    ) -> None:
        self._db, self._api, self._changes = db, api, changes
        self._webhook_url, self._window_s = webhook_url, window_s

    async def run_once(self) -> int:
        """One pass; returns how many changes were new to us. Each pass also makes sure the
        status webhook is still on: amoCRM switches it off after too many failed deliveries."""
        if self._webhook_url:
            await ensure_webhook(self._api, self._webhook_url)
        since, stored = await self._start()
        applied = late = 0
        # Windows close only well in the past (by this host's clock); the rest of the way is
        # one open-ended read, and its cursor is the newest event's time by amoCRM's clock.
        settled_until = int(time.time()) - OVERLAP_S
        while True:
            until = since + self._window_s if since + self._window_s < settled_until else None
            events = await self._api.status_events(since, until)
            fresh_from = int(time.time()) - WEBHOOK_GRACE_S
            # Oldest first, as one list would be applied: every older event precedes the fresh.
            late_now = await self._apply([e for e in events if (e.created_at or 0) < fresh_from])
            fresh = [e for e in events if (e.created_at or 0) >= fresh_from]
            applied += late_now + await self._apply(fresh)
            late += late_now
            newest = max((event.created_at or 0 for event in events), default=since)
            # Never back: a quiet open window would otherwise save its own start, an overlap
            # behind the cursor, and every quiet pass would read further into the past.
            reached = until if until is not None else max(since, newest, stored)
            async with self._db.transaction() as session:
                await cursors.save_cursor(session, CURSOR, str(reached), datetime.now(UTC))
            if until is None:
                break
            since = until  # `to` is inclusive: the boundary second is read twice, and deduplicated
        if late:
            log.warning("events.caught_up", applied=applied, late=late)
        elif applied:
            log.info("events.caught_up", applied=applied, late=0)
        return applied

    async def _apply(self, events: list[StatusEvent]) -> int:
        """Apply `events`, resynchronising the deals they leave a hole in; how many were new."""
        if not events:
            return 0
        replayed = await self._changes.apply_events(events)
        for amo_lead_id in sorted(replayed.gaps):
            replayed.applied += await self._changes.resync(amo_lead_id)
        return replayed.applied

    async def _start(self) -> tuple[int, int]:
        """Where this pass starts reading, and the cursor it starts from."""
        async with self._db.transaction() as session:
            stored = await cursors.cursor(session, CURSOR)
            first_lead = await leads.first_created_at(session) if stored is None else None
        if stored is not None:
            return max(int(stored) - OVERLAP_S, 0), int(stored)
        # No cursor yet: our deals' history begins with our first lead.
        begins = int(first_lead.timestamp() if first_lead else time.time())
        return max(begins - OVERLAP_S, 0), begins
