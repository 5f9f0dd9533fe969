"""Drift in Avito's answers, through the relay against the Avito simulator over real HTTP: a
status that is none of ours, an error code we do not know and a read-back that cannot be read
are noted (kind, name, masked sample) while the other statuses go through."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select
from tests.integration.relay.lead_rig import CHAIN, NOW, PROMPT, TERMINAL, AvitoRig, avito_rig
from tests.integration.relay.lead_rig import queue as queue_priced

from leadbridge.avito.results import StatusUpdate
from leadbridge.domain.outbox_state import OutboxState
from leadbridge.store import contract_drift, outbox
from leadbridge.store.database import Database
from leadbridge.store.tables import OutboxItem
from leadbridge.sync.relay import Relay

pytestmark = pytest.mark.anyio
STATUS_PATH = "/partner/buyout/v1/leads/{lead_id}/status"
Handler = Callable[[Request], Awaitable[Response]]
PRICED = {"price_agreed": 3_000_000}
OUTAGE_PAGE = "<html>Сервис временно недоступен</html>"


async def queue(db: Database, avito_id: str, statuses: list[str]) -> None:
    await queue_priced(db, avito_id, statuses, PRICED)


def _relay(db: Database, rig: AvitoRig) -> Relay:
    return Relay(db=db, avito=rig.avito, settings=PROMPT, chain=CHAIN, terminal=TERMINAL)


async def _vanished_claim(db: Database) -> None:
    """The heads queued so far were claimed long ago by a worker that died mid-send: the relay
    reads each back before sending it again."""
    long_ago = datetime.now(UTC) - timedelta(minutes=5)
    async with db.transaction() as session:
        await outbox.claim_heads(session, limit=100, now=long_ago, lease_s=1)


async def _states(db: Database) -> dict[tuple[str, str], OutboxState]:
    async with db.transaction() as session:
        items = await session.scalars(select(OutboxItem).order_by(OutboxItem.id))
        return {(item.avito_lead_id, item.status): item.state for item in items}


async def _drift(db: Database) -> dict[tuple[str, str], tuple[int, str]]:
    async with db.transaction() as session:
        rows = await contract_drift.listing(session)
    return {(row.kind, row.name): (row.seen, row.sample) for row in rows}


async def _relay_until_settled(relay: Relay, db: Database, done: Callable[..., bool]) -> None:
    for _ in range(200):
        await relay.run_once()
        if done(await _states(db)):
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"never settled: {await _states(db)}")


async def test_a_status_avito_sets_itself_is_noted_and_nothing_waits_for_it(db: Database) -> None:
    async with avito_rig() as avito:
        avito.sandbox.set_evolution(new_status=True)  # inspection_scheduled after device_received
        for lead_id in ("n-1", "n-2", "n-3"):
            avito.sandbox.add_lead({"id": lead_id})
        # n-2 got all its statuses through before its worker died without recording them.
        applied = await avito.avito.apply_statuses(
            [StatusUpdate("n-2", s, NOW, f"n-2:{s}", PRICED.get(s)) for s in CHAIN]
        )
        assert {result.outcome.value for result in applied} == {"ok"}
        await queue(db, "n-2", list(CHAIN))
        await _vanished_claim(db)
        await queue(db, "n-1", list(CHAIN))
        await queue(db, "n-3", ["accepted", "contacted"])
        relay = _relay(db, avito)
        await _relay_until_settled(
            relay, db, lambda states: set(states.values()) == {OutboxState.SENT}
        )
    drift = await _drift(db)
    assert set(drift) == {("unknown_status", "inspection_scheduled")}
    seen, sample = drift["unknown_status", "inspection_scheduled"]
    assert seen >= 2  # n-2's read-back, and the answer to n-1's device_received
    assert '"status": "i•••••••••••••••••••"' in sample  # the read-back, masked
    assert "inspection" not in sample


def _avito_ships_a_change(app: FastAPI) -> None:
    """Answers the simulator does not give yet: a verdict, an error code and a read-back body
    that no version of our contract has."""

    @app.middleware("http")
    async def change(request: Request, call_next: Handler) -> Response:
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        if request.url.path == STATUS_PATH.format(lead_id="garbled-1"):
            return HTMLResponse(OUTAGE_PAGE)
        if request.url.path == STATUS_PATH.format(lead_id="locked-2"):
            locked = {"error": {"code": 423, "message": "lead is locked by moderation"}}
            return JSONResponse(locked, status_code=423)
        answer = json.loads(body)
        if request.method == "POST" and request.url.path.endswith("/statuses/apply"):
            for row in answer["result"]:
                if row["leadId"] == "locked-1":
                    row.update(result="lead_locked", message="lead is locked by moderation")
        return JSONResponse(answer, status_code=response.status_code)


async def test_an_unknown_error_code_and_an_unreadable_read_back_hold_up_only_their_status(
    db: Database,
) -> None:
    async with avito_rig(_avito_ships_a_change) as avito:
        for lead_id in ("ok-1", "locked-1", "garbled-1", "locked-2"):
            avito.sandbox.add_lead({"id": lead_id})
        await queue(db, "garbled-1", ["accepted"])
        await queue(db, "locked-2", ["accepted"])
        await _vanished_claim(db)
        await queue(db, "ok-1", ["accepted", "contacted"])
        await queue(db, "locked-1", ["accepted"])
        relay = _relay(db, avito)
        await _relay_until_settled(
            relay, db, lambda states: states["ok-1", "contacted"] == OutboxState.SENT
        )
    states = await _states(db)
    assert states == {
        ("garbled-1", "accepted"): OutboxState.PENDING,  # retried, read back again first
        ("locked-2", "accepted"): OutboxState.PENDING,
        ("ok-1", "accepted"): OutboxState.SENT,
        ("ok-1", "contacted"): OutboxState.SENT,
        ("locked-1", "accepted"): OutboxState.PARKED,  # a verdict we do not know: a person's
    }
    drift = await _drift(db)
    assert set(drift) == {
        ("unknown_error_code", "lead_locked"),
        ("unknown_error_code", "423"),
        ("unknown_answer", f"GET {STATUS_PATH}: body"),
    }
    assert '"result": "l••••••••••"' in drift["unknown_error_code", "lead_locked"][1]
    assert '"code": 423' in drift["unknown_error_code", "423"][1]
    masked_page = '"<' + "•" * (len(OUTAGE_PAGE) - 1) + '"'  # the shape of it, no text
    assert drift["unknown_answer", f"GET {STATUS_PATH}: body"][1] == masked_page
    async with db.transaction() as session:
        waiting = await session.scalars(select(OutboxItem).where(OutboxItem.verify_first))
        errors = {item.avito_lead_id: item.last_error for item in waiting}
    unreadable = f"unreadable answer: GET {STATUS_PATH}: body: body is not JSON"
    assert errors == {
        "garbled-1": f"read-back failed: {unreadable}",
        "locked-2": "read-back failed: HTTP 423",
    }
