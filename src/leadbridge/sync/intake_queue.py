"""Webhook leads written together: one transaction for whatever arrived during the last one.

Avito gives a webhook 2 s to be acknowledged. After an outage it redelivers its backlog at once,
and a transaction per webhook queues them all behind each other — on SQLite, with its single
writer, long enough for the later ones to time out. Each webhook still waits until its lead is
committed before it is acknowledged: nothing is acknowledged that a crash could lose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadbridge.avito.payload import parse_lead
from leadbridge.domain.lead import BuyoutRequest
from leadbridge.store.database import Database
from leadbridge.sync.intake import Intake, store_lead
from leadbridge.sync.wakeups import DEALS, Wakeups

MAX_BATCH = 200


@dataclass(frozen=True, slots=True)
class _Waiting:
    request: BuyoutRequest
    raw: Mapping[str, Any]
    channel: str
    stored: asyncio.Future[Intake]


class LeadIntakeQueue:
    def __init__(self, db: Database, wakeups: Wakeups) -> None:
        self._db, self._wakeups = db, wakeups
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def accept(self, raw: Mapping[str, Any], *, channel: str) -> Intake:
        """Store one lead payload once committed. Raises PayloadError, before anything is
        queued, if it is unusable."""
        request = parse_lead(raw)
        stored = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(request, raw, channel, stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        # Shielded: a client that hangs up does not cancel the write others wait for.
        return await asyncio.shield(stored)

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                results = await self._write(batch)
            except Exception as error:  # every webhook of the batch is refused; Avito retries
                for waiting in batch:
                    waiting.stored.set_exception(error)
                continue
            for waiting, result in zip(batch, results, strict=True):
                waiting.stored.set_result(result)
            if Intake.NEW in results:
                self._wakeups.notify(DEALS)

    async def _write(self, batch: list[_Waiting]) -> list[Intake]:
        now = datetime.now(UTC)
        async with self._db.transaction() as session:
            return [
                await store_lead(session, w.request, w.raw, channel=w.channel, now=now)
                for w in batch
            ]
