"""The supervised loops of every process as the overview shows them: what each does, in Russian,
and whether it is working, restarting, stalled or its process gone (domain/loop_health.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadbridge.domain.loop_health import LoopRecord

LOOP_LABELS = {
    "deals": "Сделки в amoCRM",
    "stage_changes": "Смены этапов из amoCRM",
    "relay": "Статусы в Авито",
    "feed": "Лента заявок Авито",
    "events": "Догон событий amoCRM",
    "reconcile": "Сверка",
    "avito_changes": "Изменения заявок на Авито",
    "alerts": "Оповещения",
    "privacy": "Удаление персональных данных",
    "heartbeats": "Отметки о работе",
}
ROLE_LABELS = {"run": "мост", "worker": "обработчик", "demo": "демо"}


@dataclass(frozen=True, slots=True)
class LoopRow:
    process: str
    loop: str
    state: str
    trouble: bool
    silent_s: float
    restarts: int
    last_error: str | None


def loop_rows(records: list[LoopRecord], now: datetime) -> list[LoopRow]:
    return [_row(record, now) for record in records]


def _row(record: LoopRecord, now: datetime) -> LoopRow:
    if record.process_gone(now):
        state, trouble = "процесс не отвечает", True
    elif record.stalled(now):
        state, trouble = "завис", True
    elif record.state == "restarting":
        state, trouble = "перезапускается", True
    else:
        state, trouble = "работает", False
    return LoopRow(
        process=f"{ROLE_LABELS.get(record.role, record.role)} {record.process}",
        loop=LOOP_LABELS.get(record.loop, record.loop),
        state=state,
        trouble=trouble,
        silent_s=record.silent_for(now).total_seconds(),
        restarts=record.restarts,
        last_error=record.last_error,
    )
