"""Relay: send the head of each lead's outbox to Avito, in batches, within Avito's limit.

A batch holds at most one status per lead, so statuses of one lead leave strictly in order while
up to 100 leads share one request. A retryable answer keeps the item at its lead's head (later
statuses of that lead wait; other leads go on); a refusal parks it for a person — except one
because the seller withdrew the request on Avito: nothing will ever be applied to that lead, so
the item and the lead's statuses queued after it are given up (skipped, audited as `avito`).

Claims are leases (see `store/outbox.py`). When a send may have arrived without its verdict — a
lost answer, or a lease that ran out mid-send — the item is read back from Avito first: if Avito
already shows the status (or a later one of the chain) it counts as sent and is not resent. A
read-back that fails, or whose answer cannot be read, is a retryable failure of that item alone.

What in Avito's answers our mapping does not expect is noted as contract drift and never stops
the batch: a status that is none of ours (in a read-back or an answer's `currentStatus`) is kept
as Avito's and handled as any status outside the chain (a read-back then resends, and the same
key makes Avito answer `already_applied`); an answer of unknown shape, a verdict or an error code
we do not know are classified by `avito/apply_answers.py`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.avito.client import AvitoClient
from leadbridge.avito.results import (
    AnswerDrift,
    ApplyResult,
    ErrorAnswer,
    Outcome,
    StatusUpdate,
    UnreadableAnswer,
)
from leadbridge.config import RelaySettings
from leadbridge.domain.contract_drift import DriftKind
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.read_back import already_reached, unknown_status
from leadbridge.domain.retry import Backoff
from leadbridge.domain.seller_changes import SKIP_REASON
from leadbridge.store import operator_actions, outbox
from leadbridge.store.database import Database
from leadbridge.store.drift_notes import note_drifts
from leadbridge.store.tables import OutboxItem

log = structlog.get_logger(__name__)
DELIVERED = (Outcome.OK, Outcome.ALREADY_APPLIED)
CLAIM_AHEAD_S = 0.1  # about what claiming a batch of 100 takes on a busy PostgreSQL


class ReadBack(NamedTuple):
    verdict: ApplyResult | None  # None: Avito does not have it, send it
    drifts: tuple[AnswerDrift, ...] = ()


class Relay:
    def __init__(
        self,
        *,
        db: Database,
        avito: AvitoClient,
        settings: RelaySettings,
        batch_size: int = 100,
        chain: Sequence[str] = (),
        terminal: Collection[str] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._db, self._avito, self._settings = db, avito, settings
        self._batch_size = batch_size
        self._chain = tuple(chain)
        # Our statuses (the funnel's chain and the terminal ones outside it): any other that
        # Avito reports is drift. Not told the terminal ones, the relay would take a seller's
        # withdrawal (`cancelled` set on Avito's side) for one: it then notes none.
        self._known = frozenset((*chain, *terminal)) if terminal is not None else frozenset()
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
            await self._record(to_send, results, sent=True)
        return len(items)

    async def _read_back(self, items: Sequence[OutboxItem]) -> list[OutboxItem]:
        """Settle the items Avito already has; return those that must be sent (again)."""
        readings = await asyncio.gather(*(self._read(item) for item in items))
        settled = [
            (item, reading.verdict)
            for item, reading in zip(items, readings, strict=True)
            if reading.verdict is not None
        ]
        results = [verdict for _item, verdict in settled]
        await self._record([item for item, _verdict in settled], results, sent=False)
        await self._note(drift for reading in readings for drift in reading.drifts)
        self.read_back_sent += sum(r.outcome is Outcome.ALREADY_APPLIED for r in results)
        to_send = zip(items, readings, strict=True)
        return [item for item, reading in to_send if reading.verdict is None]

    async def _read(self, item: OutboxItem) -> ReadBack:
        """Avito's verdict from its current status (None when the status must be sent), and
        what in its answer our mapping did not expect."""
        key = item.idempotency_key
        try:
            reading = await self._avito.read_back(item.avito_lead_id)
        except httpx.HTTPStatusError as error:
            drifts = error.drifts if isinstance(error, ErrorAnswer) else ()
            if error.response.status_code == 404:
                # Sending it gets Avito's `not_found`, which parks it for a person.
                return ReadBack(None, drifts)
            detail = f"read-back failed: HTTP {error.response.status_code}"
            return ReadBack(ApplyResult(key, Outcome.RETRYABLE, detail, ambiguous=True), drifts)
        except UnreadableAnswer as error:
            detail = f"read-back failed: unreadable answer: {error}"
            retry = ApplyResult(key, Outcome.RETRYABLE, detail, ambiguous=True)
            return ReadBack(retry, error.drifts)
        except (httpx.HTTPError, ValueError) as error:
            detail = f"read-back failed: {type(error).__name__}"
            return ReadBack(ApplyResult(key, Outcome.RETRYABLE, detail, ambiguous=True))
        current = reading.status
        drifts = self._status_drifts(item, current, reading.answer)
        if already_reached(self._chain, current=current, wanted=item.status):
            verdict = ApplyResult(key, Outcome.ALREADY_APPLIED, f"read-back: Avito has {current}")
            return ReadBack(verdict, drifts)
        return ReadBack(None, drifts)

    def _status_drifts(
        self, item: OutboxItem, reported: str | None, answer: object
    ) -> tuple[AnswerDrift, ...]:
        if reported is None or not unknown_status(self._known, reported=reported, sent=item.status):
            return ()
        return ((DriftKind.UNKNOWN_STATUS, reported, answer),)

    async def seconds_until_due(self) -> float | None:
        async with self._db.transaction() as session:
            due = await outbox.next_due_at(session)
        return None if due is None else max((due - _now()).total_seconds(), 0.0)

    async def _record(
        self, items: Sequence[OutboxItem], results: Sequence[ApplyResult], *, sent: bool
    ) -> None:
        """Record what Avito said of `items`: to a send (`sent`), or to a read-back only."""
        by_key = {result.idempotency_key: result for result in results}
        now = _now()
        pairs = [(item, by_key[item.idempotency_key]) for item in items]
        attempts = [(item.id, result.outcome.value, result.detail) for item, result in pairs]
        delivered = [
            (item.id, item.attempts) for item, result in pairs if result.outcome in DELIVERED
        ]
        async with self._db.transaction() as session:
            # The common case — the whole batch delivered — is two statements, whatever its size.
            await outbox.record_attempts(session, attempts, now=now)
            self.sent += await outbox.finish_sent(session, delivered, sent_at=now)
            for item, result in pairs:
                if result.outcome not in DELIVERED:
                    await self._settle(session, item, result, now, sent=sent)
        # Outside the transaction: noting drift opens its own (see store/drift_notes.py).
        await self._note(
            drift
            for item, result in pairs
            for drift in (
                *result.drifts,
                *self._status_drifts(item, result.current_status, result.answer),
            )
        )

    async def _note(self, drifts: Iterable[AnswerDrift]) -> None:
        """Each (kind, name) once per batch, with its first sample: a moved endpoint answering
        a hundred items is one sighting, as one request is."""
        first: dict[tuple[str, str], AnswerDrift] = {}
        for drift in drifts:
            first.setdefault((drift[0], drift[1]), drift)
        if first:
            await note_drifts(self._db, first.values())

    async def _settle(
        self,
        session: AsyncSession,
        item: OutboxItem,
        result: ApplyResult,
        now: datetime,
        *,
        sent: bool,
    ) -> None:
        claim = item.attempts
        if result.outcome is Outcome.WITHDRAWN:
            skipped = await operator_actions.skip_withdrawn(
                session, item.lead_id, note=SKIP_REASON, now=now, refused=(item.id, claim)
            )
            log.info("outbox.withdrawn", lead_id=item.lead_id, status=item.status, skipped=skipped)
        elif result.outcome is Outcome.RETRYABLE:
            # The wait grows with the sends only: a read-back that failed is no try of the
            # status itself, and counting it made an unlucky status wait twice as long.
            sends = item.sends + 1 if sent else item.sends
            delay = self._backoff.delay(max(sends, 1), self._rng)
            await outbox.retry_later(
                session,
                item.id,
                error=result.detail,
                next_attempt_at=now + timedelta(seconds=delay),
                claim=claim,
                verify_first=result.ambiguous,
                sends=sends,
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
