"""The first-call task of a new deal (`POST /api/v4/tasks`, reference §7.1), and the tasks
amoCRM lists for a deal, as the task flow reads them.

Tasks carry no idempotency key: the flow marks a task attempted before sending it and, after an
attempt that may have landed, looks for this text on the deal before sending it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadbridge.amocrm.answers import Json

FIRST_CALL_TEXT = "Связаться с продавцом"
CALL_TASK_TYPE = 1  # every account has it: 1 call, 2 meeting


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    entity_id: int | None
    text: str | None


@dataclass(frozen=True, slots=True)
class TaskCreated:
    id: int
    request_id: str | None


def first_call(request_id: str, deal_id: int, due: datetime, responsible: int | None) -> Json:
    """Without `responsible`, amoCRM gives the task to the acting user: the deal's owner when
    no routing chose one."""
    return call_task(request_id, deal_id, FIRST_CALL_TEXT, due, responsible)


def call_task(
    request_id: str, deal_id: int, text: str, due: datetime, responsible: int | None
) -> Json:
    """A call task on the deal, due `due`, for `responsible` (None: the acting user)."""
    body: Json = {
        "text": text,
        "complete_till": int(due.timestamp()),
        "entity_type": "leads",
        "entity_id": deal_id,
        "task_type_id": CALL_TASK_TYPE,
        "request_id": request_id,
    }
    if responsible is not None:
        body["responsible_user_id"] = responsible
    return body


def task(body: Any) -> Task | None:
    if not isinstance(body, dict) or _int(body.get("id")) is None:
        return None
    text = body.get("text")
    return Task(
        int(body["id"]), _int(body.get("entity_id")), text if isinstance(text, str) else None
    )


def task_created(body: Any) -> TaskCreated | None:
    if not isinstance(body, dict) or _int(body.get("id")) is None:
        return None
    request_id = body.get("request_id")
    return TaskCreated(int(body["id"]), None if request_id is None else str(request_id))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
