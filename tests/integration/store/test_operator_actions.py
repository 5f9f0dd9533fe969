"""Operator actions on outbox items: only the allowed moves, each one audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.integration.store.test_store import _request

from leadbridge.domain.outbox_state import OutboxState
from leadbridge.domain.status_path import PlannedStatus
from leadbridge.store import leads, operator_actions, outbox
from leadbridge.store.database import Database

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _parked_head(db: Database) -> int:
    async with db.transaction() as session:
        lead_id = await leads.add_if_new(session, _request("op-1"), {}, NOW)
        assert lead_id is not None
        await outbox.enqueue(
            session,
            lead_id=lead_id,
            avito_lead_id="op-1",
            statuses=[PlannedStatus("accepted"), PlannedStatus("contacted")],
            occurred_at=NOW,
            now=NOW,
        )
        (head,) = await outbox.claim_heads(session, limit=10, now=NOW)
        await outbox.finish(
            session, head.id, state=OutboxState.PARKED, error="forbidden", sent_at=None
        )
    return head.id


async def test_unpark_makes_the_head_due_again_and_is_audited(db: Database) -> None:
    head = await _parked_head(db)
    later = NOW + timedelta(hours=1)
    async with db.transaction() as session:
        item = await operator_actions.act(
            session, item_id=head, action="unpark", actor="anna", note="fixed in Avito", now=later
        )
        assert (item.state, item.next_attempt_at) == (OutboxState.PENDING, later)
    async with db.transaction() as session:
        (claimed,) = await outbox.claim_heads(session, limit=10, now=later)
        (audit,) = await operator_actions.history(session, head)
    assert claimed.id == head
    assert (audit.actor, audit.action, audit.state_before, audit.state_after, audit.note) == (
        "anna",
        "unpark",
        "parked",
        "pending",
        "fixed in Avito",
    )


async def test_skipping_a_parked_head_lets_the_next_status_go(db: Database) -> None:
    head = await _parked_head(db)
    async with db.transaction() as session:
        await operator_actions.act(
            session, item_id=head, action="skip", actor="anna", note=None, now=NOW
        )
    async with db.transaction() as session:
        (claimed,) = await outbox.claim_heads(session, limit=10, now=NOW)
    assert claimed.status == "contacted"


@pytest.mark.parametrize(("action", "message"), [("retry", "is parked"), ("fly", "unknown")])
async def test_refused_actions_change_nothing(db: Database, action: str, message: str) -> None:
    head = await _parked_head(db)
    with pytest.raises(operator_actions.ActionRefused, match=message):
        async with db.transaction() as session:
            await operator_actions.act(
                session, item_id=head, action=action, actor="anna", note=None, now=NOW
            )
    async with db.transaction() as session:
        assert await operator_actions.history(session, head) == []
        assert (await outbox.count_by_state(session))[OutboxState.PARKED] == 1


async def test_an_unknown_item_is_refused(db: Database) -> None:
    with pytest.raises(operator_actions.ActionRefused, match="no outbox item"):
        async with db.transaction() as session:
            await operator_actions.act(
                session, item_id=999, action="park", actor="anna", note=None, now=NOW
            )


async def test_replaying_a_parked_head_resends_it_under_a_new_key(db: Database) -> None:
    head = await _parked_head(db)
    for replay in (1, 2):
        async with db.transaction() as session:
            item = await operator_actions.act(
                session, item_id=head, action="replay", actor="anna", note="fixed", now=NOW
            )
            assert (item.state, item.attempts) == (OutboxState.PENDING, 0)
            assert item.idempotency_key == f"op-1:accepted:replay-{replay}"
        async with db.transaction() as session:
            (claimed,) = await outbox.claim_heads(session, limit=10, now=NOW)
            await outbox.finish(
                session, claimed.id, state=OutboxState.PARKED, error="x", sent_at=None
            )
        assert claimed.id == head
    async with db.transaction() as session:
        audit = await operator_actions.history(session, head)
    assert [(a.action, a.state_before, a.state_after) for a in audit] == [
        ("replay", "parked", "pending"),
        ("replay", "parked", "pending"),
    ]


async def test_a_replayed_sent_status_goes_again_before_the_later_ones(db: Database) -> None:
    head = await _parked_head(db)
    async with db.transaction() as session:
        await outbox.finish(session, head, state=OutboxState.SENT, error=None, sent_at=NOW)
        await operator_actions.act(
            session, item_id=head, action="replay", actor="anna", note=None, now=NOW
        )
    async with db.transaction() as session:
        claimed = await outbox.claim_heads(session, limit=10, now=NOW)
    assert [(item.id, item.status) for item in claimed] == [(head, "accepted")]
