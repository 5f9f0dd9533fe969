"""Stage changes from amoCRM → the status log and the Avito statuses they imply.

Webhook bodies wait in the inbox; this flow logs each change once (append-only) and, in the same
transaction, queues the statuses `plan_statuses` derives from it. A webhook only says "status
changed"; for a deal closed as lost the loss reason is read back from the API.
"""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.webhook import LeadStatusChange, WebhookFormatError, parse_webhook
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.status_path import Verdict, plan_statuses
from leadbridge.store import inbox, leads, outbox, status_log
from leadbridge.store.database import Database
from leadbridge.store.tables import StatusChange
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.wakeups import OUTBOX, Wakeups

log = structlog.get_logger(__name__)
INBOX_BATCH = 100


class StageChanges:
    def __init__(
        self, *, db: Database, api: AmoApi, funnel: Funnel, layout: CrmLayout, wakeups: Wakeups
    ) -> None:
        self._db, self._api, self._funnel, self._layout = db, api, funnel, layout
        self._wakeups = wakeups

    async def run_once(self) -> int:
        """Process waiting webhook bodies; returns how many inbox events were handled."""
        async with self._db.transaction() as session:
            events = list(await inbox.unprocessed(session, "amocrm", INBOX_BATCH))
        for event in events:
            error = None
            try:
                for change in parse_webhook(event.body).status_changes:
                    await self.apply(change, source="webhook")
            except WebhookFormatError as exc:
                error = str(exc)
            async with self._db.transaction() as session:
                await inbox.mark_processed(session, event.id, datetime.now(UTC), error)
        if events:
            self._wakeups.notify(OUTBOX)
        return len(events)

    async def apply(self, change: LeadStatusChange, *, source: str) -> Verdict | None:
        """Log one change and queue what it implies; None if the deal is not ours."""
        stage_key = self._layout.stage_of(change.status_id)
        if change.pipeline_id not in (None, self._layout.pipeline_id) or stage_key is None:
            return None
        loss_reason = (
            await self._loss_reason(change) if self._funnel.stage(stage_key).lost else None
        )
        now = datetime.now(UTC)
        occurred = datetime.fromtimestamp(change.modified_at, UTC) if change.modified_at else now
        async with self._db.transaction() as session:
            lead = await leads.by_amo_lead_id(session, change.amo_lead_id, lock=True)
            if lead is None:
                return None
            price = change.price * 100 if change.price else lead.buyout_price_kopecks
            plan = plan_statuses(
                self._funnel,
                last_status=lead.avito_status,
                stage_key=stage_key,
                price_kopecks=price,
                loss_reason=loss_reason,
            )
            logged = await status_log.append(
                session,
                StatusChange(
                    lead_id=lead.id,
                    change_key=_change_key(change),
                    old_status_id=change.old_status_id,
                    new_status_id=change.status_id,
                    pipeline_id=change.pipeline_id,
                    stage_key=stage_key,
                    price_kopecks=price,
                    loss_reason=loss_reason,
                    verdict=plan.verdict.value,
                    source=source,
                    occurred_at=occurred,
                    recorded_at=now,
                ),
            )
            if not logged:
                return None
            lead.stage_key = stage_key
            lead.updated_at = now
            if plan.to_send:
                await outbox.enqueue(
                    session,
                    lead_id=lead.id,
                    avito_lead_id=lead.avito_lead_id,
                    statuses=plan.to_send,
                    occurred_at=occurred,
                    now=now,
                )
                lead.avito_status = plan.last
        log.info("stage.changed", lead_id=lead.id, stage=stage_key, verdict=plan.verdict.value)
        return plan.verdict

    async def _loss_reason(self, change: LeadStatusChange) -> str | None:
        deal = await self._api.lead(change.amo_lead_id)
        reason_id = deal.get("loss_reason_id") if deal else None
        return self._layout.loss_reason_name(reason_id)


def _change_key(change: LeadStatusChange) -> str:
    """The same change seen twice (a retried webhook) gets the same key."""
    return f"{change.amo_lead_id}:{change.old_status_id}>{change.status_id}@{change.modified_at}"
