"""Deal creation: up to 50 waiting leads become amoCRM deals in one `/leads/complex` call.

A lead is counted as attempted before the call. If the process dies after amoCRM created the
deals but before their ids were stored, the next attempt finds them by the Avito id field
instead of creating them twice. It looks only once the earlier attempt is `attempt_settle_s`
old (the client's timeout): a request of a process killed mid-call may still be on its way, and
a deal amoCRM creates after the look would be created a second time.

One process creates deals at a time (the bridge elects it): two would pick the same waiting
leads, and amoCRM's one limit gains nothing from a second.

With a router, each lead's responsible user is chosen in the transaction that marks it attempted
(`sync/routing.py`) and kept for its retries; with tasks, each recorded deal gets its first-call
task planned in the same transaction as its id, and sent once no lead waits for a deal
(`sync/deal_tasks.py`). With a repeat window, the leads repeating a recent deal are found in
that same transaction (`sync/repeat_sellers.py`): their deal is tagged, their note links it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.deal_card import card_note, note_text
from leadbridge.amocrm.deal_fields import AVITO_LEAD_ID
from leadbridge.amocrm.deal_payload import DealPlacement, complex_item
from leadbridge.domain.funnel import Funnel
from leadbridge.domain.status_path import plan_statuses
from leadbridge.store import crm_objects, leads, outbox
from leadbridge.store.database import Database
from leadbridge.store.tables import Lead
from leadbridge.sync.crm_layout import CrmLayout
from leadbridge.sync.deal_tasks import DealTasks
from leadbridge.sync.repeat_sellers import mark_repeats
from leadbridge.sync.routing import Arrival, Router
from leadbridge.sync.wakeups import OUTBOX, Wakeups

log = structlog.get_logger(__name__)
NOTES_PER_REQUEST = 250


class DealBatcher:
    def __init__(
        self,
        *,
        db: Database,
        api: AmoApi,
        funnel: Funnel,
        layout: CrmLayout,
        wakeups: Wakeups,
        batch_size: int = 50,
        attempt_settle_s: float = 10.0,
        router: Router | None = None,
        tasks: DealTasks | None = None,
        repeat_window_days: int = 0,
    ) -> None:
        """`repeat_window_days`: how far back a request's phone or IMEI finds an earlier deal
        to link (0: repeat sellers are not looked for)."""
        self._db, self._api, self._funnel, self._layout = db, api, funnel, layout
        self._router, self._tasks = router, tasks
        self._repeat_window = timedelta(days=repeat_window_days)
        self._wakeups = wakeups
        self._batch_size = batch_size
        self._attempt_settle = timedelta(seconds=attempt_settle_s)

    async def run_once(self) -> int:
        """Create deals for one batch of waiting leads; with none waiting, add the device-card
        notes of created deals. Returns how many leads it settled."""
        async with self._db.transaction() as session:
            batch = list(await leads.awaiting_deal(session, self._batch_size))
        if not batch:
            tasks = await self._tasks.run_once() if self._tasks else 0
            return tasks + await self._add_notes()
        settled_before = _now() - self._attempt_settle
        attempted = [lead for lead in batch if lead.deal_attempts > 0]
        looked_up = [lead for lead in attempted if lead.updated_at <= settled_before]
        recovered = await self._find_existing(looked_up)
        await self._record([(lead, deal, None) for lead, deal in recovered.items()])
        fresh = [lead for lead in batch if lead not in recovered and lead not in attempted]
        fresh += [lead for lead in looked_up if lead not in recovered]
        created = await self._create(fresh) if fresh else 0
        self._wakeups.notify(OUTBOX)
        return len(recovered) + created

    async def _create(self, batch: Sequence[Lead]) -> int:
        chosen, contacts = await self._choose(batch)
        async with self._db.transaction() as session:
            await self._route(session, chosen)
            await mark_repeats(session, chosen, self._repeat_window)
            await leads.mark_deal_attempted(session, [lead.id for lead in chosen], _now())
        placement = self._placement()
        payloads = [
            complex_item(lead, placement, contacts.get(lead.id), lead.responsible_user_id)
            for lead in chosen
        ]
        answer = await self._api.create_complex(payloads)
        by_request = {request_id: row for row in answer for request_id in row.request_ids}
        created = [
            (lead, row.deal_id, row.contact_id)
            for lead in chosen
            if (row := by_request.get(str(lead.id))) is not None
        ]
        if len(created) < len(chosen):
            log.warning("deals.missing_in_answer", count=len(chosen) - len(created))
        await self._record(created)
        log.info("deals.created", count=len(created))
        return len(created)

    async def _add_notes(self) -> int:
        """Notes wait until no deal does: a manager needs the deal (whose fields already carry
        the card) first, and 250 notes go in one request instead of one per deal batch.

        A note sent before without being marked added (the process died in between) may be in
        amoCRM already: once that attempt has settled, the deal's notes are read and only a
        missing card is sent."""
        async with self._db.transaction() as session:
            batch = list(await leads.awaiting_note(session, NOTES_PER_REQUEST))
        settled_before = _now() - self._attempt_settle
        batch = [
            lead
            for lead in batch
            if lead.note_attempted_at is None or lead.note_attempted_at <= settled_before
        ]
        if not batch:
            return 0
        present = {lead.id for lead in batch if await self._has_card_note(lead)}
        missing = [lead for lead in batch if lead.id not in present]
        if missing:
            async with self._db.transaction() as session:
                await leads.mark_notes_attempted(session, [lead.id for lead in missing], _now())
            account = self._api.account_url
            await self._api.add_notes([card_note(lead, account) for lead in missing])
        async with self._db.transaction() as session:
            await leads.mark_notes_added(session, [lead.id for lead in batch], _now())
        return len(batch)

    async def _has_card_note(self, lead: Lead) -> bool:
        if lead.note_attempted_at is None or lead.amo_lead_id is None:
            return False
        text = note_text(lead, self._api.account_url)
        return any(note.text == text for note in await self._api.lead_notes(lead.amo_lead_id))

    async def _choose(self, batch: Sequence[Lead]) -> tuple[list[Lead], dict[int, int]]:
        """The leads to send, and lead id → the seller's known contact. A phone seen twice in
        the batch waits for the next batch, so that its contact is created once and reused; with
        repeat sellers looked for, so does an IMEI seen twice: the second links the first's deal."""
        phones = [lead.seller_phone for lead in batch if lead.seller_phone]
        async with self._db.transaction() as session:
            known = await crm_objects.contacts_for_phones(session, phones)
        chosen: list[Lead] = []
        contacts: dict[int, int] = {}
        phones_seen: set[str] = set()
        imeis_seen: set[str] = set()
        for lead in batch:
            phone = lead.seller_phone
            imei = lead.imei if self._repeat_window else None
            if (phone and phone in phones_seen) or (imei and imei in imeis_seen):
                continue
            chosen.append(lead)
            if imei:
                imeis_seen.add(imei)
            if phone:
                phones_seen.add(phone)
                if phone in known:
                    contacts[lead.id] = known[phone]
        return chosen, contacts

    async def _route(self, session: AsyncSession, chosen: Sequence[Lead]) -> None:
        """Give each lead without a responsible user one, in the caller's transaction."""
        if self._router is None:
            return
        unrouted = [lead for lead in chosen if lead.responsible_user_id is None]
        owners = await self._router.assign(
            session, [Arrival(lead.id, lead.city) for lead in unrouted]
        )
        for lead in unrouted:  # the detached rows follow what was just written
            lead.responsible_user_id = owners.get(lead.id)

    def _placement(self) -> DealPlacement:
        """New deals go to the first stage of our pipeline."""
        layout = self._layout
        first = self._funnel.first_stage.key
        return DealPlacement(
            layout.pipeline_id, layout.status_ids[first], layout.field_ids, layout.enum_ids
        )

    async def _find_existing(self, attempted: Sequence[Lead]) -> dict[Lead, int]:
        found: dict[Lead, int] = {}
        field_id = self._layout.field_ids.get(AVITO_LEAD_ID)
        for lead in attempted:
            for deal in await self._api.leads_matching(lead.avito_lead_id):
                if deal.field_value(field_id) == lead.avito_lead_id:
                    found[lead] = deal.id
                    break
        return found

    async def _record(self, created: Sequence[tuple[Lead, int, int | None]]) -> None:
        """Store the deal ids and queue the first status, for the whole batch at once: the
        sooner the ids are known, the sooner a manager's first move can be matched."""
        if not created:
            return
        first = self._funnel.first_stage.key
        now = _now()
        plans = {
            lead.id: plan_statuses(
                self._funnel,
                last_status=None,
                stage_key=first,
                price_kopecks=lead.buyout_price_kopecks,
            )
            for lead, _, _ in created
        }
        contacts = {
            lead.seller_phone: contact_id
            for lead, _, contact_id in created
            if contact_id and lead.seller_phone
        }
        async with self._db.transaction() as session:
            await leads.mark_deals_created(
                session,
                [
                    leads.CreatedDeal(lead.id, deal_id, contact_id)
                    for lead, deal_id, contact_id in created
                ],
                stage_key=first,
                # The first stage's status does not depend on the lead (only its price does).
                avito_status=next(iter(plans.values())).last,
                now=now,
            )
            await crm_objects.remember_contacts(session, contacts)
            if self._tasks:
                await self._tasks.plan(
                    session, [(lead, lead.responsible_user_id) for lead, _, _ in created]
                )
            await outbox.enqueue_first(
                session,
                [
                    outbox.FirstStatuses(lead.id, lead.avito_lead_id, plans[lead.id].to_send)
                    for lead, _, _ in created
                ],
                occurred_at=now,
                now=now,
            )


def _now() -> datetime:
    return datetime.now(UTC)
