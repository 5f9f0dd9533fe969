"""Avito's side of a week: its answer kept raw first, then read line by line.

Failure rules first:

- Every line Avito sends is stored as received (`store/settlement_answers.py`), in a
  transaction of its own, before anything reads it: a line nothing can read — or a bug in
  reading it — loses nothing.
- A line that cannot be read is quarantined (`avito/settlement.py` says why) and the rest of
  the week is read and diffed; the quarantined lines join the week's diff, where finance sees
  them. An answer without any list of lines is quarantined whole and nothing is compared.
- What Avito changed — a quarantined line, a row type or field we do not know, an answer
  without lines — is contract drift, noted once the lines' verdicts are recorded.
- A transport or HTTP error stores nothing and fails the check, as before: it is no line's
  fault, and the check can simply be run again.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

import structlog

from leadbridge.avito.settlement import SettlementReading, answer_lines, read_settlement
from leadbridge.domain.periods import Week
from leadbridge.domain.settlement import AvitoLine
from leadbridge.store import settlement_answers as answers
from leadbridge.store.database import Database
from leadbridge.store.drift_notes import note_drifts

log = structlog.get_logger(__name__)


class AvitoSettlement(Protocol):
    async def fetch_settlement_answer(self, date_from: date, date_to: date) -> object: ...


async def avito_side(
    db: Database, avito: AvitoSettlement, week: Week, now: datetime
) -> SettlementReading:
    body = await avito.fetch_settlement_answer(week.monday, week.next_monday)
    lines = answer_lines(body)
    async with db.transaction() as session:
        await answers.keep(session, week, [body] if lines is None else lines, now)
    reading = read_settlement(body)
    async with db.transaction() as session:
        await answers.mark_unreadable(session, week, reading.quarantined)
    await note_drifts(db, reading.drifts)
    if reading.quarantined:
        # Counts only: a reason shows what was found, which is for the dashboard, not logs.
        count = len(reading.quarantined)
        log.warning("settlement.avito_lines_quarantined", week=week.name, lines=count)
    return reading


def avito_lines(reading: SettlementReading) -> list[AvitoLine]:
    return [
        AvitoLine(
            key=row.key,
            avito_lead_id=row.lead_id,
            kind=row.type,
            amount_kopecks=row.amount_kopecks,
            occurred_at=row.occurred_at,
        )
        for row in reading.rows
    ]
