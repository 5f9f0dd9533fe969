"""A poison event never stops the queue behind it (both simulators, the real webhook endpoint
over HTTP, a real database).

The attack as it was seen: an amoCRM status webhook with a 23-digit deal id, with the right
token and account, was stored, then failed in the stage-change flow every few seconds forever,
and every later webhook waited behind it. Now it is refused at the door and kept in quarantine;
one stored by an earlier version is quarantined on its first pass; one whose processing keeps
failing for another reason is quarantined after `inbox.max_tries`. The events behind it are
processed in the same pass as if it were not there.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import anyio
import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from tests.integration.sync.reconcile_rig import FUNNEL, Rig, rig

from leadbridge.config import AmoCrmSettings, InboxSettings, Settings, WebSettings
from leadbridge.store import inbox
from leadbridge.store.tables import InboxEvent, Lead, StatusChange
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.stage_changes import StageChanges
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
TOKEN = "hook-token"
ACCOUNT_ID = 31000001  # the simulator's account
POISON_ID = "99999999999999999999999"
GOOD = 100
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
FAST = InboxSettings(max_tries=3, retry_base_s=0.05, retry_max_s=0.1)


async def _deals(r: Rig, count: int) -> list[tuple[int, str]]:
    """`count` requests from Avito made deals; (amoCRM id, stage) of each, oldest first."""
    for _ in range(count):
        await accept_lead(r.db, r.avito.add_lead(), channel="feed", wakeups=r.wakeups)
    batcher = DealBatcher(db=r.db, api=r.api, funnel=FUNNEL, layout=r.layout, wakeups=r.wakeups)
    while await batcher.run_once():
        pass
    async with r.db.transaction() as session:
        rows = await session.execute(select(Lead.amo_lead_id, Lead.stage_key).order_by(Lead.id))
    deals = [(int(amo_id), str(stage)) for amo_id, stage in rows if amo_id is not None]
    assert len(deals) == count
    return deals


def _moved(r: Rig, amo_id: int, old_stage: str, at: int, status_id: int | None = None) -> str:
    """amoCRM's form for "deal `amo_id` moved from `old_stage` to «contacted» (or to
    `status_id`)", with a price."""
    item = {
        "id": str(amo_id),
        "status_id": str(status_id or r.layout.status_ids["contacted"]),
        "pipeline_id": str(r.layout.pipeline_id),
        "old_status_id": str(r.layout.status_ids[old_stage]),
        "old_pipeline_id": str(r.layout.pipeline_id),
        "price": "45000",
        "last_modified": str(at),
    }
    form = {f"leads[status][0][{key}]": value for key, value in item.items()}
    return urlencode({**form, "account[id]": str(ACCOUNT_ID), "account[subdomain]": "demo"})


@contextlib.asynccontextmanager
async def _endpoint(r: Rig) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url="sqlite://",  # unused: the context's database is the rig's
        web=WebSettings(webhook_token=TOKEN),  # type: ignore[arg-type]
        amocrm=AmoCrmSettings(account_id=ACCOUNT_ID),
    )
    app = create_app(WebContext(settings=settings, db=r.db, wakeups=r.wakeups))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, headers=FORM) as http:
        yield http


async def _drain(changes: StageChanges, passes: int) -> int:
    """Run the flow `passes` times, as the bridge's loop would; how many events it settled."""
    return sum([await changes.run_once() for _ in range(passes)])


async def _applied(r: Rig) -> int:
    async with r.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(StatusChange)) or 0)


async def _quarantined(r: Rig) -> list[InboxEvent]:
    async with r.db.transaction() as session:
        _, events = await inbox.quarantined(session, limit=10)
    return list(events)


async def _backlog(r: Rig) -> int:
    async with r.db.transaction() as session:
        return await inbox.backlog(session)


def _counted() -> float:
    labels = {"source": "amocrm"}
    return REGISTRY.get_sample_value("leadbridge_events_quarantined_total", labels) or 0.0


async def _store(r: Rig, bodies: list[str]) -> None:
    """Bodies in the inbox as the webhook endpoint stored them, in this order."""
    async with r.db.transaction() as session:
        for number, body in enumerate(bodies):
            await inbox.add_if_new(
                session,
                source="amocrm",
                event_key=f"k{number}",
                channel="webhook",
                body=body,
                now=datetime.now(UTC),
            )


async def test_the_poison_webhook_is_refused_and_the_hundred_behind_it_all_go_through(
    database_url: str,
) -> None:
    async with rig(database_url) as r, _endpoint(r) as http:
        deals = await _deals(r, GOOD)
        counted = _counted()
        poison = urlencode(
            {
                "leads[status][0][id]": POISON_ID,
                "leads[status][0][status_id]": str(r.layout.status_ids["contacted"]),
                "leads[status][0][pipeline_id]": str(r.layout.pipeline_id),
                "account[id]": str(ACCOUNT_ID),
            }
        )
        refused = await http.post(f"/webhooks/amocrm/{TOKEN}", content=poison)
        at = int(datetime.now(UTC).timestamp())
        for amo_id, stage in deals:
            good = _moved(r, amo_id, stage, at)
            answer = await http.post(f"/webhooks/amocrm/{TOKEN}", content=good)
            assert answer.json()["result"] == "stored"

        settled = await _drain(r.changes(), passes=2)  # 100 events a pass at most

        assert refused.status_code == 422
        assert f"leads[status][0][id] is {POISON_ID}" in refused.json()["detail"]
        assert settled == GOOD
        assert await _applied(r) == GOOD
        assert await _backlog(r) == 0
        (kept,) = await _quarantined(r)
        assert (kept.source, kept.body) == ("amocrm", poison)
        assert kept.error is not None
        assert POISON_ID in kept.error
        assert _counted() == counted + 1


async def test_a_poison_event_stored_by_an_earlier_version_no_longer_blocks_the_queue(
    database_url: str,
) -> None:
    """The state the attack left behind: the body already in the inbox, at its head."""
    async with rig(database_url) as r:
        deals = await _deals(r, GOOD)
        poison = f"leads[status][0][id]={POISON_ID}&leads[status][0][status_id]=7&account[id]=1"
        at = int(datetime.now(UTC).timestamp())
        await _store(r, [poison] + [_moved(r, amo_id, stage, at) for amo_id, stage in deals])

        settled = await _drain(r.changes(), passes=2)

        assert settled == GOOD + 1  # the poison is settled too: in quarantine, with no retries
        assert await _applied(r) == GOOD
        assert await _backlog(r) == 0
        (kept,) = await _quarantined(r)
        assert kept.attempts == 1
        assert kept.error is not None
        assert f"leads[status][0][id] is {POISON_ID}" in kept.error


async def test_an_event_failing_for_good_is_tried_a_bounded_number_of_times_then_set_aside(
    database_url: str,
) -> None:
    """A stage the amoCRM layout still knows but the funnel file no longer has (it was
    removed after setup): every try of that change fails, not because of a partner."""
    async with rig(database_url) as r:
        deals = await _deals(r, GOOD + 1)
        retired = 990_001
        layout = replace(r.layout, status_ids={**r.layout.status_ids, "retired": retired})
        changes = StageChanges(
            db=r.db, api=r.api, funnel=FUNNEL, layout=layout, wakeups=r.wakeups, settings=FAST
        )
        (failing, failing_stage), *good = deals
        at = int(datetime.now(UTC).timestamp())
        failing_body = _moved(r, failing, failing_stage, at, status_id=retired)
        await _store(r, [failing_body] + [_moved(r, amo_id, stage, at) for amo_id, stage in good])

        first_pass = await changes.run_once()
        await changes.run_once()  # the rest of the good ones (100 events a pass)
        applied_at_once = await _applied(r)
        passes = 2
        while not await _quarantined(r):
            assert passes < 200, "the failing event was never set aside"
            await anyio.sleep(0.02)
            await changes.run_once()
            passes += 1

        assert first_pass == 99  # the failing one waits for its next try; the others are done
        assert applied_at_once == GOOD  # nobody waited for the failing one's retries
        (kept,) = await _quarantined(r)
        assert kept.attempts == FAST.max_tries
        assert kept.error is not None
        assert f"не обработано за {FAST.max_tries} попыток" in kept.error
        assert "KeyError" in kept.error
        assert "retired" in kept.error
        assert await _backlog(r) == 0
