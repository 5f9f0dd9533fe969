"""Whether the supervised loops of every process are alive: a pure judgement of their records.

A loop is stalled when it has not completed a pass for longer than `stall_after(period)`: its
period (an idle wait, a poll interval) plus as much again, at least `STALL_GRACE_S`, so that one
slow pass (a large batch, a partner's timeout) is not taken for a stall. A process that has not
written its records for `PROCESS_GONE_S` has stopped (a killed worker leaves its rows behind):
its loops are not judged, but if no process that runs the flows is left, that is said too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STALL_GRACE_S = 60.0
PROCESS_GONE_S = 60.0


@dataclass(frozen=True, slots=True)
class LoopRecord:
    process: str
    role: str
    loop: str
    period_s: float
    state: str  # "running" | "restarting"
    restarts: int
    last_pass_at: datetime
    last_error: str | None
    updated_at: datetime | None = None  # when the process last wrote it; None: not yet written

    def silent_for(self, now: datetime) -> timedelta:
        return now - self.last_pass_at

    def stalled(self, now: datetime) -> bool:
        return self.silent_for(now).total_seconds() > stall_after(self.period_s)

    def process_gone(self, now: datetime) -> bool:
        written = self.updated_at or self.last_pass_at
        return (now - written).total_seconds() > PROCESS_GONE_S


def stall_after(period_s: float) -> float:
    return period_s + max(period_s, STALL_GRACE_S)


def live(records: list[LoopRecord], now: datetime) -> list[LoopRecord]:
    return [record for record in records if not record.process_gone(now)]


def problems(records: list[LoopRecord], now: datetime) -> list[str]:
    """What keeps the flows from being ready, one line each; empty when all is well."""
    alive = live(records, now)
    if records and not alive:
        return ["no process running the flows has reported in the last minute"]
    return [_problem(record, now) for record in alive if record.stalled(now)]


def _problem(record: LoopRecord, now: datetime) -> str:
    silent = int(record.silent_for(now).total_seconds())
    why = f"; last error: {record.last_error}" if record.last_error else ""
    return (
        f"loop {record.loop} of {record.role} {record.process} has not completed a pass for "
        f"{silent} s ({record.state}, restarts: {record.restarts}{why})"
    )
