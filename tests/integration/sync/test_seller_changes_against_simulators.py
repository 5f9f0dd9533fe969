"""A seller's edit or withdrawal on Avito, end to end on both databases: the Avito simulator's
admin plays the seller, its webhook reaches our endpoint and its feed is pulled (the same change
both ways), the change flow writes to the amoCRM simulator, the relay talks to Avito."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from tests.integration.sync.seller_changes_rig import TOKEN, World, world

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.seller_changes import URGENT_TASK_TEXT, OnWithdrawal
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.store import operator_actions, outbox
from leadbridge.store.seller_changes import withdrawn_summary
from leadbridge.store.tables import InboxEvent, OperatorAction, SellerChange

pytestmark = pytest.mark.anyio
EDITED = "Продавец изменил заявку на Авито"
WITHDRAWN = "Продавец отменил заявку на Авито"


async def queue(w: World, avito_id: str, *statuses: str) -> None:
    """Statuses planned after the first, as a manager's moves would queue them."""
    lead = await w.lead(avito_id)
    now = datetime.now(UTC)
    async with w.db.transaction() as session:
        await outbox.enqueue(
            session,
            lead_id=lead.id,
            avito_lead_id=avito_id,
            statuses=[PlannedStatus(status) for status in statuses],
            occurred_at=now,
            now=now,
        )


async def audited_skips(w: World) -> list[tuple[str, str]]:
    async with w.db.transaction() as session:
        rows = await session.execute(
            select(OperatorAction.actor, OperatorAction.state_before).where(
                OperatorAction.action == "skip"
            )
        )
        return sorted((actor, before) for actor, before in rows.all())


async def test_an_edit_rewrites_the_deal_and_adds_one_note_however_often_it_arrives(
    database_url: str,
) -> None:
    async with world(database_url) as w:
        w.avito.set_faults(webhook_duplicate_probability=1.0)  # every delivery comes twice
        avito_id = await w.new_lead()
        before = await w.lead(avito_id)
        edit = {"buyoutPrice": before.buyout_price_kopecks - 200_000, "device": {"memory": "1 ТБ"}}

        await w.seller(avito_id, "update", edit)
        await w.pull()  # the same change by the feed
        await w.apply()
        await w.pull()
        await w.apply()

        lead = await w.lead(avito_id)
        deal = w.deal(lead.amo_lead_id)
        assert lead.buyout_price_kopecks == edit["buyoutPrice"]
        assert lead.device["memory"] == "1 ТБ"
        assert deal["price"] == lead.buyout_price_kopecks // 100
        values = [v["value"] for f in deal["custom_fields_values"] for v in f["values"]]
        assert "1 ТБ" in values
        (note,) = w.notes(lead.amo_lead_id, EDITED)
        old = f"{before.buyout_price_kopecks // 100:,}".replace(",", " ")
        new = f"{lead.buyout_price_kopecks // 100:,}".replace(",", " ")
        assert f"цена {old} → {new} ₽" in note
        assert f"память {before.device['memory']} → 1 ТБ" in note
        async with w.db.transaction() as session:
            events = await session.scalar(
                select(func.count()).where(InboxEvent.event_key.startswith("change:"))
            )
        assert events == 1


async def test_an_edited_imei_is_the_one_a_later_request_is_matched_by(database_url: str) -> None:
    async with world(database_url) as w:
        avito_id = await w.new_lead()
        await w.seller(avito_id, "update", {"device": {"imei": "35-209900-176148-1"}})
        await w.pull()
        await w.apply()

        lead = await w.lead(avito_id)
        assert lead.device["imei"] == "35-209900-176148-1"
        assert lead.imei == "352099001761481"


async def test_a_note_attempted_before_a_crash_is_looked_for_not_sent_twice(
    database_url: str,
) -> None:
    async with world(database_url) as w:
        avito_id = await w.new_lead()
        await w.seller(avito_id, "update", {"device": {"color": "синий"}})
        await w.apply()
        # As if the process died after amoCRM took the note and before we recorded it.
        long_ago = datetime.now(UTC) - timedelta(minutes=5)
        async with w.db.transaction() as session:
            await session.execute(
                update(SellerChange).values(
                    note_added_at=None, done_at=None, note_attempted_at=long_ago
                )
            )

        await w.apply()

        lead = await w.lead(avito_id)
        assert len(w.notes(lead.amo_lead_id, EDITED)) == 1
        async with w.db.transaction() as session:
            unfinished = await session.scalar(
                select(func.count()).where(SellerChange.done_at.is_(None))
            )
        assert unfinished == 0


async def test_a_withdrawal_closes_the_deal_as_lost_and_gives_up_its_queued_statuses(
    database_url: str,
) -> None:
    async with world(database_url) as w:
        avito_id = await w.new_lead()
        assert await w.relay.run_once() == 1  # accepted reaches Avito
        await queue(w, avito_id, "contacted", "price_agreed")
        items = await w.outbox(avito_id)
        async with w.db.transaction() as session:  # a person held one back
            await operator_actions.act(
                session, item_id=items[1].id, action="park", actor="op", note=None, now=_now()
            )

        await w.seller(avito_id, "withdraw")
        await w.pull()
        await w.apply()

        lead = await w.lead(avito_id)
        deal = w.deal(lead.amo_lead_id)
        reasons = {r["id"]: r["name"] for r in w.amo.sandbox.loss_reasons.values()}
        assert deal["status_id"] == 143
        assert reasons[deal["loss_reason_id"]] == "Продавец отменил на Авито"
        assert len(w.notes(lead.amo_lead_id, WITHDRAWN)) == 1
        states = [(item.status, item.state) for item in await w.outbox(avito_id)]
        assert states == [
            ("accepted", OutboxState.SENT),
            ("contacted", OutboxState.SKIPPED),
            ("price_agreed", OutboxState.SKIPPED),
        ]
        assert await audited_skips(w) == [("avito", "parked"), ("avito", "pending")]
        assert await w.relay.run_once() == 0
        assert await withdrawn_summary(w.db) == {"leads": 1, "settled": 1, "parked": 0}


async def test_kept_open_a_withdrawn_deal_gets_one_urgent_task_for_its_manager(
    database_url: str,
) -> None:
    async with world(database_url, OnWithdrawal.KEEP_OPEN_WITH_TASK) as w:
        avito_id = await w.new_lead()
        lead = await w.lead(avito_id)
        stage = w.deal(lead.amo_lead_id)["status_id"]

        await w.seller(avito_id, "withdraw")
        await w.apply()
        await w.pull()  # the same withdrawal by the feed
        await w.apply()

        assert w.deal(lead.amo_lead_id)["status_id"] == stage
        urgent = [
            task
            for task in w.amo.sandbox.tasks.values()
            if task["entity_id"] == lead.amo_lead_id and task["text"] == URGENT_TASK_TEXT
        ]
        assert len(urgent) == 1
        assert urgent[0]["complete_till"] <= datetime.now(UTC).timestamp() + 1
        assert len(w.notes(lead.amo_lead_id, WITHDRAWN)) == 1
        assert [item.state for item in await w.outbox(avito_id)] == [OutboxState.SKIPPED]


async def test_a_status_avito_refuses_because_the_seller_withdrew_is_skipped_not_parked(
    database_url: str,
) -> None:
    async with world(database_url) as w:
        avito_id = await w.new_lead()
        await queue(w, avito_id, "contacted")
        w.avito.webhooks.unregister()  # the withdrawal does not reach us before the relay goes
        await w.seller(avito_id, "withdraw")

        assert await w.relay.run_once() == 1  # accepted, refused: the seller withdrew

        states = [item.state for item in await w.outbox(avito_id)]
        assert states == [OutboxState.SKIPPED, OutboxState.SKIPPED]
        assert await audited_skips(w) == [("avito", "pending"), ("avito", "sending")]
        assert w.avito.state_json()["stats"]["withdrawn_refused_total"] == 1
        await w.pull()  # the feed brings the withdrawal all the same
        await w.apply()
        lead = await w.lead(avito_id)
        assert w.deal(lead.amo_lead_id)["status_id"] == 143
        assert await withdrawn_summary(w.db) == {"leads": 1, "settled": 1, "parked": 0}


async def test_a_withdrawal_before_the_deal_waits_for_it_then_closes_it(
    database_url: str,
) -> None:
    async with world(database_url) as w:
        lead_payload = w.avito.add_lead()
        avito_id = str(lead_payload["id"])
        await w.delivered()
        await w.seller(avito_id, "withdraw")
        await w.apply()  # waits: no deal yet
        assert await withdrawn_summary(w.db) == {"leads": 0, "settled": 0, "parked": 0}

        while await w.deals.run_once():
            pass
        await w.apply()

        lead = await w.lead(avito_id)
        assert w.deal(lead.amo_lead_id)["status_id"] == 143
        assert [item.state for item in await w.outbox(avito_id)] == [OutboxState.SKIPPED]
        assert await withdrawn_summary(w.db) == {"leads": 1, "settled": 1, "parked": 0}


async def test_a_change_that_cannot_be_read_is_quarantined_with_its_reason(
    database_url: str,
) -> None:
    async with world(database_url) as w:
        avito_id = await w.new_lead()
        lead = w.avito.lead(avito_id)
        assert lead is not None
        body = {"id": "e-x", "payload": {"type": "lead.withdrawn", "lead": lead.payload}}

        answer = await w.web.post(f"/webhooks/avito/{TOKEN}", json=body)

        assert answer.status_code == 200
        assert answer.json()["result"] == "quarantined"
        assert "changeId" in answer.json()["reason"]
        async with w.db.transaction() as session:
            held = (
                await session.scalars(
                    select(InboxEvent).where(InboxEvent.quarantined_at.is_not(None))
                )
            ).all()
        assert [json.loads(event.body)["payload"]["type"] for event in held] == ["lead.withdrawn"]
        await w.apply()
        assert await withdrawn_summary(w.db) == {"leads": 0, "settled": 0, "parked": 0}


def _now() -> datetime:
    return datetime.now(UTC)
