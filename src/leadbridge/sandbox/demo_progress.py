"""What the demo shows while it runs: one line per change, then the summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.sandbox.amocrm import AmoSandbox
from leadbridge.sandbox.avito import AvitoSandbox
from leadbridge.store import inbox, leads, outbox
from leadbridge.store.database import Database

CLOSED_STATUS_IDS = (142, 143)


@dataclass(frozen=True, slots=True)
class DemoState:
    requests: int  # buyout requests Avito has issued
    leads: int  # stored by the bridge
    deals: int  # with an amoCRM deal
    closed: int  # deals a manager closed (won or lost)
    acknowledged: int  # statuses Avito has applied
    queued: int  # statuses waiting in the outbox
    parked: int
    backlog: int  # webhook bodies not processed yet

    @property
    def settled(self) -> bool:
        """Everything that arrived has gone all the way through."""
        return (
            self.leads == self.requests
            and self.deals == self.leads
            and self.queued == 0
            and self.backlog == 0
        )

    def line(self, total: int | None) -> str:
        of = f"/{total}" if total else ""
        parked = f", остановлено {self.parked}" if self.parked else ""
        return (
            f"заявок {self.requests}{of} · сделок {self.deals} · закрыто {self.closed} · "
            f"статусов принято Авито {self.acknowledged} · в очереди {self.queued}{parked}"
        )


async def snapshot(db: Database, avito: AvitoSandbox, amocrm: AmoSandbox) -> DemoState:
    """Counted from the simulators' records, not from their state dumps: the demo looks every
    second or faster, and a dump renders every lead, task and event there has been — a cost
    that grew with each minute of an endless demo."""
    feed = avito.book.feed
    async with db.transaction() as session:
        by_deal_state = await leads.count_by_deal_state(session)
        by_outbox_state = await outbox.count_by_state(session)
        backlog = await inbox.backlog(session)
    return DemoState(
        requests=len(feed),
        leads=sum(by_deal_state.values()),
        deals=by_deal_state.get("created", 0),
        closed=sum(lead["status_id"] in CLOSED_STATUS_IDS for lead in amocrm.leads.values()),
        acknowledged=sum(len(record.history) for record in feed),
        queued=sum(by_outbox_state.get(s, 0) for s in (OutboxState.PENDING, OutboxState.SENDING)),
        parked=by_outbox_state.get(OutboxState.PARKED, 0),
        backlog=backlog,
    )


class Progress:
    def __init__(self, *, total: int | None, stream: TextIO) -> None:
        self._total = total
        self._stream = stream
        self._last = ""

    def show(self, state: DemoState) -> None:
        line = state.line(self._total)
        if line != self._last:
            print(line, file=self._stream, flush=True)
            self._last = line

    def note(self, text: str) -> None:
        print(text, file=self._stream, flush=True)
