"""The calm end of an endless demo stopped with Ctrl+C: what was done, in Russian, and nothing
judged on work still in flight."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from leadbridge.domain.spans import SpanUnits, two_units
from leadbridge.sandbox.demo_progress import DemoState, snapshot
from leadbridge.sandbox.demo_sims import Simulators
from leadbridge.store.database import Database

SPOKEN = SpanUnits(" дн", " ч", " мин", " с", between=" ")


async def stopped_by_user(
    db: Database, sims: Simulators, out: Callable[[str], None], seconds: float
) -> dict[str, Any]:
    """The calm end of a demo stopped with Ctrl+C: what was done, in words a person reads."""
    out("")
    out(f"Демо остановлено пользователем (Ctrl+C) через {two_units(round(seconds), SPOKEN)}.")
    try:
        done: DemoState | None = await snapshot(db, sims.avito, sims.amocrm)
    except (SQLAlchemyError, OSError):
        done = None  # the database went away meanwhile: nothing to count, nothing wrong
    if done is None:
        out("Сделанное не подсчитать: база данных недоступна.")
    else:
        out("Сделано: " + done.line(None))
    out(
        "Заявки и статусы, бывшие в пути, не проверялись; проверка всего пути: "
        "leadbridge demo --leads 200 --check"
    )
    return {"interrupted": True, "done": None if done is None else asdict(done)}
