"""The completeness guarantee: amoCRM's events API read with a cursor.

Webhooks are fast but may be lost or arrive out of order; every stage change is also an event.
Each pass reads `lead_status_changed` events since the cursor (minus an overlap, because events
of the same second may be listed after the cursor moved) and applies those not logged yet.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from leadbridge.amocrm.api import AmoApi, Json
from leadbridge.amocrm.events import change_from_event
from leadbridge.store import tokens as cursors
from leadbridge.store.database import Database
from leadbridge.sync.provisioning import ensure_webhook
from leadbridge.sync.stage_changes import Outcome, StageChanges

log = structlog.get_logger(__name__)
CURSOR = "amocrm_status_events"
OVERLAP_S = 120


class EventsCatchUp:
    def __init__(
        self, *, db: Database, api: AmoApi, changes: StageChanges, webhook_url: str | None = None
    ) -> None:
        self._db, self._api, self._changes = db, api, changes
        self._webhook_url = webhook_url

    async def run_once(self) -> int:
        """One pass; returns how many changes were new to us. Each pass also makes sure the
        status webhook is still on: amoCRM switches it off after too many failed deliveries."""
        if self._webhook_url:
            await ensure_webhook(self._api, self._webhook_url)
        async with self._db.transaction() as session:
            stored = await cursors.cursor(session, CURSOR)
        since = max(int(stored) - OVERLAP_S, 0) if stored else 0
        newest, applied, gaps = since, 0, set()
        prices: dict[int, Json | None] = {}  # one read of each deal per pass
        async for event in self._api.status_events(since):
            newest = max(newest, int(event.get("created_at") or 0))
            change = change_from_event(event, price=None)
            if change is None:
                continue
            outcome = await self._changes.apply(change, source="events", prices=prices)
            if outcome is Outcome.APPLIED:
                applied += 1
            elif outcome is Outcome.GAP:
                gaps.add(change.amo_lead_id)
        for amo_lead_id in sorted(gaps):
            applied += await self._changes.resync(amo_lead_id)
        async with self._db.transaction() as session:
            await cursors.save_cursor(session, CURSOR, str(newest), datetime.now(UTC))
        if applied:
            log.warning("events.caught_up", applied=applied)
        return applied
