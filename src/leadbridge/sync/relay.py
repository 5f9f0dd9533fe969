"""Relay: send the head of each lead's outbox to Avito, in batches, within Avito's limit.

A batch holds at most one status per lead, so statuses of one lead leave strictly in order while
up to 100 leads share one request. A retryable answer keeps the item at its lead's head (later
statuses of that lead wait; other leads go on); a refusal parks it for a person.

Claims are leases (see `store/outbox.py`). When a send may have arrived without its verdict — a
lost answer, or a lease that ran out mid-send — the item is read back from Avito first: if Avito
already shows the status (or a later one of the chain) it counts as sent and is not resent.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.avito.client import AvitoClient
from leadbridge.avito.results import ApplyResult, Outcome, StatusUpdate
from leadbridge.config import RelaySettings
from leadbridge.domain.contract_drift import DriftKind
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.read_back import already_reached
from leadbridge.domain.retry import Backoff
from leadbridge.store import outbox
from leadbridge.store.database import Database
from leadbridge.store.tables import OutboxItem
from leadbridge.sync.contract_drift import note_drifts

log = structlog.get_logger(__name__)
DELIVERED = (Outcome.OK, Outcome.ALREADY_APPLIED)
CLAIM_AHEAD_S = 0.1  # about what claiming a batch of 100 takes on a busy PostgreSQL


class Relay:
    def __init__(
        self,
        *,
        db: Database,
        avito: AvitoClient,
        settings: RelaySettings,
        batch_size: int = 100,
        chain: Sequence[str] = (),
        rng: random.Random | None = None,
    ) -> None:
        self._db, self._avito, self._settings = db, avito, settings
        self._batch_size = batch_size
        self._chain = tuple(chain)
        self._rng = rng or random.Random()
        self._backoff = Backoff(settings.backoff_base_s, settings.backoff_max_s)
        self.sent = 0
        self.read_back_sent = 0  # items found already applied by a read-back, not resent

    async def run_once(self) -> int:
        """Send one batch of due heads; returns how many items were claimed."""
        # Claim when the limit lets the batch go, not before: what is queued meanwhile joins it.
        # Woken a little early, so that the claim itself does not waste the slot's time.
        await self._avito.ready_to_apply(ahead_s=CLAIM_AHEAD_S)
        async with self._db.transaction() as session:
            claimed = await outbox.claim_heads(
                session, limit=self._batch_size, now=_now(), lease_s=self._settings.lease_s
            )
            items = list(claimed)
        if not items:
            return 0
        verified = [item for item in items if item.verify_first]
        to_send = [item for item in items if not item.verify_first]
        if verified:
            to_send += await self._read_back(verified)
        if to_send:
            results = await self._avito.apply_statuses([_update(item) for item in to_send])
            await self._record(to_send, results)
        return len(items)

    async def _read_back(self, items: Sequence[OutboxItem]) -> list[OutboxItem]:
        """Settle the items Avito already has; return those that must be sent (again)."""
        answers = await asyncio.gather(*(self._read(item) for item in items))
        results: list[ApplyResult] = []
        unsure: list[OutboxItem] = []
        for item, answer in zip(items, answers, strict=True):
            if isinstance(answer, ApplyResult):
                results.append(answer)
                unsure.append(item)
        await self._record(unsure, results)
        self.read_back_sent += sum(r.outcome is Outcome.ALREADY_APPLIED for r in results)
        return [item for item, answer in zip(items, answers, strict=True) if answer is None]

    async def _read(self, item: OutboxItem) -> ApplyResult | None:
        """Avito's verdict from its current status; None when the status must be sent."""
        key = item.idempotency_key
        try:
            current = await self._avito.read_status(item.avito_lead_id)
        except httpx.HTTPStatusError as error:
            if error.response.status_code == 404:
                return None  # sending it gets Avito's `not_found`, which parks it for a person
            detail = f"read-back failed: HTTP {error.response.status_code}"
            return ApplyResult(key, Outcome.RETRYABLE, detail, ambiguous=True)
        except (httpx.HTTPError, ValueError) as error:  # ValueError: an unreadable body
            detail = f"read-back failed: {type(error).__name__}"
            return ApplyResult(key, Outcome.RETRYABLE, detail, ambiguous=True)
        if already_reached(self._chain, current=current, wanted=item.status):
            return ApplyResult(key, Outcome.ALREADY_APPLIED, f"read-back: Avito has {current}")
        return None

    async def seconds_until_due(self) -> float | None:
        async with self._db.transaction() as session:
            due = await outbox.next_due_at(session)
        return None if due is None else max((due - _now()).total_seconds(), 0.0)

    async def _record(self, items: Sequence[OutboxItem], results: Sequence[ApplyResult]) -> None:
        by_key = {result.idempotency_key: result for result in results}
        now = _now()
        pairs = [(item, by_key[item.idempotency_key]) for item in items]
        attempts = [(item.id, result.outcome.value, result.detail) for item, result in pairs]
        sent = [(item.id, item.attempts) for item, result in pairs if result.outcome in DELIVERED]
        async with self._db.transaction() as session:
            # The common case — the whole batch delivered — is two statements, whatever its size.
            await outbox.record_attempts(session, attempts, now=now)
            self.sent += await outbox.finish_sent(session, sent, sent_at=now)
            for item, result in pairs:
                if result.outcome not in DELIVERED:
                    await self._settle(session, item, result, now)
        # Outside the transaction: noting drift opens its own (see sync/contract_drift.py).
        drifts = {result.drift: result.detail for result in results if result.drift is not None}
        if drifts:
            await note_drifts(
                self._db,
                [(DriftKind(kind), name, detail) for (kind, name), detail in drifts.items()],
            )

    async def _settle(
        self, session: AsyncSession, item: OutboxItem, result: ApplyResult, now: datetime
    ) -> None:
        claim = item.attempts
        if result.outcome is Outcome.RETRYABLE:
            delay = self._backoff.delay(item.attempts, self._rng)
            await outbox.retry_later(
                session,
                item.id,
                error=result.detail,
                next_attempt_at=now + timedelta(seconds=delay),
                claim=claim,
                verify_first=result.ambiguous,
            )
        else:
            log.warning(
                "outbox.parked",
                lead_id=item.lead_id,
                status=item.status,
                outcome=result.outcome.value,
                detail=result.detail,
            )
            error = result.detail
            await outbox.finish(
                session, item.id, state=OutboxState.PARKED, error=error, sent_at=None, claim=claim
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
