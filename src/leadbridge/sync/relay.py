"""Relay: send the head of each lead's outbox to Avito, in batches, within Avito's limit.

A batch holds at most one status per lead, so statuses of one lead leave strictly in order while
up to 100 leads share one request. A retryable answer keeps the item at its lead's head (later
statuses of that lead wait; other leads go on); a refusal parks it for a person.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.avito.client import AvitoClient
from leadbridge.avito.results import ApplyResult, Outcome, StatusUpdate
from leadbridge.config import RelaySettings
from leadbridge.domain.backoff import retry_delay
from leadbridge.store import outbox
from leadbridge.store.database import Database
from leadbridge.store.tables import OutboxItem

log = structlog.get_logger(__name__)


class Relay:
    def __init__(
        self,
        *,
        db: Database,
        avito: AvitoClient,
        settings: RelaySettings,
        batch_size: int = 100,
        rng: random.Random | None = None,
    ) -> None:
        self._db, self._avito, self._settings = db, avito, settings
        self._batch_size = batch_size
        self._rng = rng or random.Random()
        self.sent = 0

    async def run_once(self) -> int:
        """Send one batch of due heads; returns how many items were claimed."""
        async with self._db.transaction() as session:
            items = list(await outbox.claim_heads(session, limit=self._batch_size, now=_now()))
        if not items:
            return 0
        results = await self._avito.apply_statuses([_update(item) for item in items])
        await self._record(items, results)
        return len(items)

    async def seconds_until_due(self) -> float | None:
        async with self._db.transaction() as session:
            due = await outbox.next_due_at(session)
        return None if due is None else max((due - _now()).total_seconds(), 0.0)

    async def _record(self, items: Sequence[OutboxItem], results: Sequence[ApplyResult]) -> None:
        by_key = {result.idempotency_key: result for result in results}
        now = _now()
        async with self._db.transaction() as session:
            for item in items:
                result = by_key[item.idempotency_key]
                await outbox.record_attempt(
                    session, item, outcome=result.outcome.value, detail=result.detail, now=now
                )
                await self._settle(session, item, result, now)

    async def _settle(
        self, session: AsyncSession, item: OutboxItem, result: ApplyResult, now: datetime
    ) -> None:
        if result.outcome in (Outcome.OK, Outcome.ALREADY_APPLIED):
            self.sent += 1
            await outbox.finish(session, item.id, state=outbox.SENT, error=None, sent_at=now)
        elif result.outcome is Outcome.RETRYABLE:
            delay = retry_delay(
                item.attempts,
                base_s=self._settings.backoff_base_s,
                max_s=self._settings.backoff_max_s,
                rng=self._rng,
            )
            await outbox.retry_later(
                session,
                item.id,
                error=result.detail,
                next_attempt_at=now + timedelta(seconds=delay),
            )
        else:
            log.warning(
                "outbox.parked",
                lead_id=item.lead_id,
                status=item.status,
                outcome=result.outcome.value,
                detail=result.detail,
            )
            await outbox.finish(
                session, item.id, state=outbox.PARKED, error=result.detail, sent_at=None
            )


def _update(item: OutboxItem) -> StatusUpdate:
    return StatusUpdate(
        lead_id=item.avito_lead_id,
        status=item.status,
        occurred_at=item.occurred_at,
        idempotency_key=item.idempotency_key,
        price_kopecks=item.price_kopecks,
        reason=item.reason,
    )


def _now() -> datetime:
    return datetime.now(UTC)
