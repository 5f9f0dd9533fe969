"""The deal's side of a seller's change (`sync/avito_changes.py` records it): its fields written
again or its move to the lost stage, then a note, then an urgent task — each once.

Per pass, the earliest unfinished change of up to 50 leads: one `PATCH /api/v4/leads` for their
writes (writing the same values twice changes nothing: a retry is safe), one
`POST /api/v4/leads/notes` and one `POST /api/v4/tasks`, through amoCRM's one limiter. Notes and
tasks carry no idempotency key: each is marked attempted before it is sent, and one attempted
before is sent again only once that attempt has settled (the client's timeout) and the deal's
notes (or tasks) do not show it — so a crash between amoCRM's answer and our commit never adds
it twice. A write amoCRM refuses for good (not a passing trouble) is given up with its error,
and the note still tells the manager what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import structlog

from leadbridge.amocrm.answers import Json
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.deal_changes import closing_as_lost, fields_update, text_note, urgent_task
from leadbridge.amocrm.deal_payload import DealPlacement
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.seller_changes import URGENT_TASK_TEXT, WithdrawalAction
from leadbridge.store import seller_changes
from leadbridge.store.database import Database
from leadbridge.store.seller_changes import UPDATED, Pending
from leadbridge.sync import quarantine
from leadbridge.sync.crm_layout import CrmLayout

log = structlog.get_logger(__name__)
BATCH = 50  # amoCRM's task batch; far inside its 250 for deals and notes


class ChangeEffects:
    def __init__(
        self,
        *,
        db: Database,
        api: AmoApi,
        funnel: Funnel,
        layout: CrmLayout,
        attempt_settle_s: float = 10.0,
    ) -> None:
        self._db, self._api, self._layout = db, api, layout
        self._settle = timedelta(seconds=attempt_settle_s)
        lost = next(stage.key for stage in funnel.stages if stage.lost)
        self._lost_status_id = layout.status_ids[lost]
        reason = funnel.withdrawal_reason
        self._loss_reason_id = layout.loss_reason_ids.get(reason) if reason else None
        first = funnel.first_stage.key
        self._placement = DealPlacement(
            pipeline_id=layout.pipeline_id,
            status_id=layout.status_ids.get(first, 0),
            field_ids=layout.field_ids,
            enum_ids=layout.enum_ids,
        )

    async def run_once(self) -> int:
        """One pass; how many steps it took (0 when what is left waits for an attempt to
        settle, so that the loop rests)."""
        async with self._db.transaction() as session:
            batch = await seller_changes.pending(session, BATCH)
        if not batch:
            return 0
        steps = await self._write([p for p in batch if _needs_write(p)])
        steps += await self._notes([p for p in batch if p.change.note_added_at is None])
        steps += await self._tasks([p for p in batch if _needs_task(p)])
        await self._finish(batch)
        return steps

    # --- the deal's fields, or its closing ------------------------------------------------------
    async def _write(self, batch: Sequence[Pending]) -> int:
        if not batch:
            return 0
        failed: dict[int, str] = {}
        try:
            await self._api.update_deals([self._element(p) for p in batch])
        except Exception as error:
            if quarantine.is_passing(error):
                raise
            # One deal amoCRM refuses must not hold back the others: each goes alone.
            failed = await self._alone(batch)
        now = _now()
        async with self._db.transaction() as session:
            await seller_changes.mark(
                session, [p.change.id for p in batch if p.change.id not in failed], patched_at=now
            )
            for change_id, refusal in failed.items():
                await seller_changes.mark(session, [change_id], patched_at=now, error=refusal)
        for p in batch:
            p.change.patched_at = now
        if failed:
            log.warning("avito.change_write_refused", changes=sorted(failed))
        return len(batch)

    async def _alone(self, batch: Sequence[Pending]) -> dict[int, str]:
        failed: dict[int, str] = {}
        for p in batch:
            try:
                await self._api.update_deals([self._element(p)])
            except Exception as error:
                if quarantine.is_passing(error):
                    raise
                failed[p.change.id] = f"{type(error).__name__}: {error}".splitlines()[0][:500]
        return failed

    def _element(self, p: Pending) -> Json:
        if p.change.kind == UPDATED:
            return fields_update(p.lead, self._placement)
        assert p.lead.amo_lead_id is not None
        return closing_as_lost(
            p.lead.amo_lead_id, self._layout.pipeline_id, self._lost_status_id, self._loss_reason_id
        )

    # --- the note ------------------------------------------------------------------------------
    async def _notes(self, batch: Sequence[Pending]) -> int:
        ready = self._settled(batch, lambda p: p.change.note_attempted_at)
        if not ready:
            return 0
        there = {p.change.id for p in ready if await self._has_note(p)}
        missing = [p for p in ready if p.change.id not in there]
        if missing:
            await self._attempted(missing, "note_attempted_at")
            await self._api.add_notes([_note(p) for p in missing])
        await self._mark_done(ready, "note_added_at")
        return len(ready)

    async def _has_note(self, p: Pending) -> bool:
        if p.change.note_attempted_at is None or p.lead.amo_lead_id is None:
            return False
        notes = await self._api.lead_notes(p.lead.amo_lead_id)
        return any(note.text == p.change.note_text for note in notes)

    # --- the urgent task -----------------------------------------------------------------------
    async def _tasks(self, batch: Sequence[Pending]) -> int:
        ready = self._settled(batch, lambda p: p.change.task_attempted_at)
        if not ready:
            return 0
        there = await self._tasks_there([p for p in ready if p.change.task_attempted_at])
        missing = [p for p in ready if p.change.id not in there]
        if missing:
            await self._attempted(missing, "task_attempted_at")
            now = _now()
            await self._api.create_tasks([_task(p, now) for p in missing])
        await self._mark_done(ready, "task_added_at")
        return len(ready)

    async def _tasks_there(self, attempted: Sequence[Pending]) -> set[int]:
        """The changes whose deal amoCRM already has our urgent task on."""
        by_deal = {p.lead.amo_lead_id: p.change.id for p in attempted}
        if not by_deal:
            return set()
        tasks = await self._api.deal_tasks(deal for deal in by_deal if deal is not None)
        return {
            by_deal[task.entity_id]
            for task in tasks
            if task.entity_id in by_deal and task.text == URGENT_TASK_TEXT
        }

    # --- bookkeeping ---------------------------------------------------------------------------
    def _settled(
        self, batch: Sequence[Pending], attempted: Callable[[Pending], datetime | None]
    ) -> list[Pending]:
        """Those never attempted, or whose attempt has had time to land (or not)."""
        before = _now() - self._settle
        return [p for p in batch if (at := attempted(p)) is None or _aware(at) <= before]

    async def _attempted(self, batch: Sequence[Pending], column: str) -> None:
        now = _now()
        async with self._db.transaction() as session:
            await seller_changes.mark(session, [p.change.id for p in batch], **{column: now})

    async def _mark_done(self, batch: Sequence[Pending], column: str) -> None:
        now = _now()
        async with self._db.transaction() as session:
            await seller_changes.mark(session, [p.change.id for p in batch], **{column: now})
        for p in batch:
            setattr(p.change, column, now)

    async def _finish(self, batch: Sequence[Pending]) -> None:
        done = [
            p.change.id
            for p in batch
            if not _needs_write(p) and p.change.note_added_at is not None and not _needs_task(p)
        ]
        if done:
            async with self._db.transaction() as session:
                await seller_changes.mark(session, done, done_at=_now())


def _needs_write(p: Pending) -> bool:
    writes = p.change.kind == UPDATED or p.change.action == WithdrawalAction.CLOSE_LOST
    return writes and p.change.patched_at is None


def _needs_task(p: Pending) -> bool:
    return p.change.action == WithdrawalAction.URGENT_TASK and p.change.task_added_at is None


def _note(p: Pending) -> Json:
    assert p.lead.amo_lead_id is not None
    return text_note(p.lead.amo_lead_id, p.change.note_text)


def _task(p: Pending, now: datetime) -> Json:
    assert p.lead.amo_lead_id is not None
    request_id = f"change-{p.change.id}"
    return urgent_task(
        request_id, p.lead.amo_lead_id, URGENT_TASK_TEXT, now, p.lead.responsible_user_id
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)
