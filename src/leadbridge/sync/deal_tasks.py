"""The first-call task of every new deal: «Связаться с продавцом», for its responsible user,
due once the team's SLA has passed in its working hours (`domain/working_hours.py`).

A task is planned in the transaction that records its deal, and sent in batches of up to 50
(`POST /api/v4/tasks`, through amoCRM's one limiter). Tasks carry no idempotency key: each is
marked attempted before it is sent, and one attempted before is sent again only after its
attempt has settled (the client's timeout: a killed process's request may still be on its way)
and a look at the deals' tasks (`GET /api/v4/tasks?filter[entity_id][]=…`) has not found it. A
crash between amoCRM's answer and our commit therefore never makes a second task.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeGuard

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.tasks import FIRST_CALL_TEXT, first_call
from leadbridge.domain.working_hours import due_after
from leadbridge.store import lead_tasks
from leadbridge.store.database import Database
from leadbridge.store.lead_tasks import PlannedTask, WaitingTask
from leadbridge.store.tables import Lead
from leadbridge.sync.routing import Router

log = structlog.get_logger(__name__)
TASKS_PER_REQUEST = 50


class DealTasks:
    def __init__(
        self, *, db: Database, api: AmoApi, router: Router, attempt_settle_s: float = 10.0
    ) -> None:
        self._db, self._api, self._router = db, api, router
        self._attempt_settle = timedelta(seconds=attempt_settle_s)

    async def plan(self, session: AsyncSession, deals: Sequence[tuple[Lead, int | None]]) -> None:
        """In the deals' recording transaction: each (lead, its responsible user or None)."""
        planned = []
        for lead, owner in deals:
            schedule = self._router.schedule_for(lead.city)
            arrival = lead.avito_created_at.replace(tzinfo=lead.avito_created_at.tzinfo or UTC)
            due = due_after(arrival, schedule.sla, schedule.hours)
            planned.append(PlannedTask(lead.id, owner, due))
        await lead_tasks.plan(session, planned)

    async def run_once(self) -> int:
        """Send one batch of waiting tasks; how many it settled."""
        async with self._db.transaction() as session:
            batch = await lead_tasks.waiting(session, TASKS_PER_REQUEST)
        settled_before = _now() - self._attempt_settle
        batch = [t for t in batch if t.attempted_at is None or t.attempted_at <= settled_before]
        if not batch:
            return 0
        found = await self._already_there([t for t in batch if t.attempted_at is not None])
        missing = [t for t in batch if t.lead_id not in found]
        if missing:
            async with self._db.transaction() as session:
                await lead_tasks.mark_attempted(session, [t.lead_id for t in missing], _now())
            bodies = [
                first_call(str(t.lead_id), t.amo_lead_id, t.due_at, t.responsible_user_id)
                for t in missing
            ]
            created = await self._api.create_tasks(bodies)
            log.info("tasks.created", count=len(created))
            found |= {int(row.request_id): row.id for row in created if _ours(row.request_id)}
        await self._record_added({t.lead_id: found.get(t.lead_id) for t in batch})
        return len(batch)

    async def _already_there(self, attempted: Sequence[WaitingTask]) -> dict[int, int | None]:
        """lead id → its task's id, for the deals amoCRM already has our task on."""
        if not attempted:
            return {}
        lead_of = {t.amo_lead_id: t.lead_id for t in attempted}
        tasks = await self._api.deal_tasks(lead_of)
        return {
            lead_of[task.entity_id]: task.id
            for task in tasks
            if task.entity_id in lead_of and task.text == FIRST_CALL_TEXT
        }

    async def _record_added(self, task_ids: dict[int, int | None]) -> None:
        async with self._db.transaction() as session:
            await lead_tasks.mark_added(session, task_ids, _now())


def _ours(request_id: str | None) -> TypeGuard[str]:
    """Our request ids are lead ids."""
    return request_id is not None and request_id.isdigit()


def _now() -> datetime:
    return datetime.now(UTC)
