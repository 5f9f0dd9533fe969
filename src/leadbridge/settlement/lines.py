"""A week's lines, streamed: stored ones for a frozen week, computed ones for an open week.

An open week that directly follows the latest frozen week also carries the adjustments: every
frozen week is recomputed from today's data and compared with what was frozen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.domain.commission import RuleBook
from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import Line, SettlementEvent, adjustments, line_of
from leadbridge.store import settlement as store

REPRICE_CHUNK = 250  # amoCRM's page size: one request per chunk of deals


class PriceSource(Protocol):
    """The final buyout price of deals as the CRM has it now (kopecks), by deal id."""

    async def current(self, amo_lead_ids: Sequence[int]) -> Mapping[int, int]: ...


@dataclass(frozen=True)
class LineMaker:
    rules: RuleBook
    bought_out: str
    returned: str
    prices: PriceSource | None = None

    async def stored_or_computed(self, session: AsyncSession, week: Week) -> AsyncIterator[Line]:
        row = await store.period(session, week)
        source = (
            store.stored_lines(session, week)
            if row is not None and row.frozen_at is not None
            else self.open_week(session, week)
        )
        async for line in source:
            yield line

    async def open_week(self, session: AsyncSession, week: Week) -> AsyncIterator[Line]:
        async for line in self.originals(session, week):
            yield line
        frozen = await store.frozen_weeks(session)
        if frozen and week == frozen[-1].next():
            async for line in self._adjustments(session, frozen, week):
                yield line

    async def originals(self, session: AsyncSession, week: Week) -> AsyncIterator[Line]:
        events = store.events(session, week, bought_out=self.bought_out, returned=self.returned)
        async for event in self._repriced(events):
            yield line_of(event, self.rules)

    async def _adjustments(
        self, session: AsyncSession, frozen: Sequence[Week], week: Week
    ) -> AsyncIterator[Line]:
        """Frozen weeks recomputed batch by batch against what they booked, then what they
        booked for statuses no longer acknowledged: memory is one batch, not the history."""
        batch: list[Line] = []
        for past in frozen:
            async for line in self.originals(session, past):
                batch.append(line)
                if len(batch) >= store.BATCH:
                    for adjustment in await self._adjust(session, batch, week):
                        yield adjustment
                    batch = []
        for adjustment in await self._adjust(session, batch, week):
            yield adjustment
        gone = await store.booked_unacknowledged(
            session, bought_out=self.bought_out, returned=self.returned
        )
        for adjustment in adjustments({}, gone, week.name, week.starts_at):
            yield adjustment

    async def _adjust(self, session: AsyncSession, batch: list[Line], week: Week) -> list[Line]:
        if not batch:
            return []
        expected = {line.key: line for line in batch}
        booked = await store.booked(session, list(expected))
        return list(adjustments(expected, booked, week.name, week.starts_at))

    async def _repriced(
        self, events: AsyncIterator[SettlementEvent]
    ) -> AsyncIterator[SettlementEvent]:
        if self.prices is None:
            async for event in events:
                yield event
            return
        chunk: list[SettlementEvent] = []
        async for event in events:
            chunk.append(event)
            if len(chunk) >= REPRICE_CHUNK:
                for repriced in await self._reprice(chunk):
                    yield repriced
                chunk = []
        for repriced in await self._reprice(chunk):
            yield repriced

    async def _reprice(self, chunk: list[SettlementEvent]) -> list[SettlementEvent]:
        if not chunk or self.prices is None:
            return chunk
        deals = sorted({event.amo_lead_id for event in chunk if event.amo_lead_id is not None})
        now = await self.prices.current(deals)
        return [
            replace(event, price_kopecks=now.get(event.amo_lead_id or 0, event.price_kopecks))
            for event in chunk
        ]
