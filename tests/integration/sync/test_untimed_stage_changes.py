"""Stage changes from older amoCRM accounts, end to end: `leadbridge setup` records the account
(`GET /api/v4/account` of the simulator), the real endpoint takes their webhooks over HTTP —
the account named only in each item, no `last_modified` — and the stage-change flow logs each
move once, against the amoCRM simulator, on both databases.

Without times, a deal moved A→B, back to A and to B again sends the first body twice, byte for
byte, and so does amoCRM redelivering it: three moves must log three changes, a copy none."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select
from tests.integration.sync.reconcile_rig import Rig, rig

from leadbridge.config import AmoCrmSettings, ConfigurationError, Settings, WebSettings
from leadbridge.store import crm_objects, leads, status_log
from leadbridge.store.tables import InboxEvent
from leadbridge.sync.setup import run_setup
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
TOKEN = "hook-token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SECONDS_BETWEEN_MOVES = 30  # a manager's pace; each move's event gets its own second


def setup_settings(r: Rig, database_url: str, account_id: int | None = None) -> Settings:
    return Settings(
        database_url=database_url,
        web=WebSettings(webhook_token=TOKEN),  # type: ignore[arg-type]
        amocrm=AmoCrmSettings(
            base_url=r.amo_url,
            client_id=r.amo.config.client_id,
            client_secret=r.amo.config.client_secret,  # type: ignore[arg-type]
            redirect_uri=r.amo.config.redirect_uri,
            auth_code=r.amo.issue_auth_code(),  # type: ignore[arg-type]
            account_id=account_id,
        ),
    )


async def recorded_account(r: Rig) -> int | None:
    async with r.db.transaction() as session:
        return await crm_objects.account_id(session)


@contextlib.asynccontextmanager
async def endpoint(r: Rig) -> AsyncIterator[httpx.AsyncClient]:
    """The web app over HTTP, `amocrm.account_id` unset: only setup's record guards the door."""
    settings = Settings(
        database_url="sqlite://",  # unused: the context's database is the rig's
        web=WebSettings(webhook_token=TOKEN),  # type: ignore[arg-type]
    )
    app = create_app(WebContext(settings=settings, db=r.db, wakeups=r.wakeups))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, headers=FORM) as http:
        yield http


async def move(r: Rig, amo_id: int, old: str, new: str) -> str:
    """A manager moves the deal in the simulator (its event gets the simulator's time); the
    webhook an older account posts for it: the account in the item only, no time."""
    started = r.amo.now
    r.amo.now = lambda: started() + SECONDS_BETWEEN_MOVES
    await r.move(amo_id, new)
    deal = r.amo.leads[amo_id]
    item = {
        "id": amo_id,
        "name": deal["name"],
        "status_id": r.layout.status_ids[new],
        "old_status_id": r.layout.status_ids[old],
        "pipeline_id": r.layout.pipeline_id,
        "old_pipeline_id": r.layout.pipeline_id,
        "price": deal["price"],
        "responsible_user_id": 0,
        "modified_user_id": 0,
        "created_user_id": 0,
        "date_create": deal["created_at"],
        "account_id": r.amo.config.account_id,
    }
    return urlencode({f"leads[status][0][{key}]": str(value) for key, value in item.items()})


async def deliver(http: httpx.AsyncClient, body: str) -> str:
    answer = await http.post(f"/webhooks/amocrm/{TOKEN}", content=body)
    assert answer.status_code == 200, answer.text
    result: str = answer.json()["result"]
    return result


async def moves_logged(r: Rig, amo_id: int) -> list[tuple[str | None, str | None]]:
    """The deal's status log as (from stage, to stage)."""
    stage_of = {status: stage for stage, status in r.layout.status_ids.items()}
    async with r.db.transaction() as session:
        lead = await leads.by_amo_lead_id(session, amo_id)
        assert lead is not None
        rows = await status_log.for_lead(session, lead.id)
    return [(stage_of.get(row.old_status_id or 0), row.stage_key) for row in rows]


async def stored(r: Rig) -> int:
    """amoCRM's events in the inbox (Avito's request is there too)."""
    statement = select(func.count()).where(InboxEvent.source == "amocrm")
    async with r.db.transaction() as session:
        return int(await session.scalar(statement) or 0)


async def test_setup_records_the_token_account(database_url: str) -> None:
    async with rig(database_url) as r:
        dry = await run_setup(setup_settings(r, database_url), dry_run=True)
        assert await recorded_account(r) is None
        did = await run_setup(setup_settings(r, database_url), dry_run=False)
        again = await run_setup(setup_settings(r, database_url), dry_run=False)

        line = f"record amoCRM account {r.amo.config.account_id}: other accounts' webhooks refused"
        assert (dry, did, again) == ([line], [line], [])
        assert await recorded_account(r) == r.amo.config.account_id


async def test_setup_refuses_a_setting_naming_another_account(database_url: str) -> None:
    async with rig(database_url) as r:
        settings = setup_settings(r, database_url, account_id=r.amo.config.account_id + 1)
        with pytest.raises(ConfigurationError, match=r"amocrm\.account_id"):
            await run_setup(settings, dry_run=False)

        assert await recorded_account(r) is None


async def test_there_back_and_there_again_logs_three_moves_and_a_copy_none(
    database_url: str,
) -> None:
    async with rig(database_url) as r:
        await run_setup(setup_settings(r, database_url), dry_run=False)
        _, amo_id = await r.new_lead()
        assert amo_id is not None
        flow = r.changes()
        async with endpoint(r) as http:
            there = await move(r, amo_id, "new", "contacted")
            assert [await deliver(http, there), await deliver(http, there)] == [
                "stored",
                "duplicate",  # amoCRM's redelivery, the first copy still waiting
            ]
            await flow.run_once()
            back = await move(r, amo_id, "contacted", "new")
            assert await deliver(http, back) == "stored"
            await flow.run_once()
            again = await move(r, amo_id, "new", "contacted")
            assert again == there  # byte for byte: only the deal's history tells them apart
            assert await deliver(http, again) == "stored"
            await flow.run_once()
            late = await deliver(http, there)  # a redelivery after all that: read, logs nothing
            await flow.run_once()

        assert late == "stored"
        assert await moves_logged(r, amo_id) == [
            ("new", "contacted"),
            ("contacted", "new"),
            ("new", "contacted"),
        ]
        assert await stored(r) == 4


async def test_three_moves_waiting_together_still_log_three(database_url: str) -> None:
    """The flow was behind: the third body arrived while the identical first still waited."""
    async with rig(database_url) as r:
        await run_setup(setup_settings(r, database_url), dry_run=False)
        _, amo_id = await r.new_lead()
        assert amo_id is not None
        async with endpoint(r) as http:
            results = [
                await deliver(http, await move(r, amo_id, "new", "contacted")),
                await deliver(http, await move(r, amo_id, "contacted", "new")),
                await deliver(http, await move(r, amo_id, "new", "contacted")),
            ]
        await r.changes().run_once()

        assert results == ["stored", "stored", "duplicate"]
        assert await moves_logged(r, amo_id) == [
            ("new", "contacted"),
            ("contacted", "new"),
            ("new", "contacted"),
        ]


async def test_a_late_copy_arriving_when_the_deal_is_back_logs_nothing(database_url: str) -> None:
    """amoCRM did not get our answer to A→B in time and resends it after the deal went back
    to A: the body would continue the history we know, yet it is no move."""
    async with rig(database_url) as r:
        await run_setup(setup_settings(r, database_url), dry_run=False)
        _, amo_id = await r.new_lead()
        assert amo_id is not None
        flow = r.changes()
        async with endpoint(r) as http:
            there = await move(r, amo_id, "new", "contacted")
            await deliver(http, there)
            await flow.run_once()
            await deliver(http, await move(r, amo_id, "contacted", "new"))
            await flow.run_once()
            late = await deliver(http, there)
            await flow.run_once()

        assert late == "stored"  # the deal's history grew since: it could have been a move
        assert await moves_logged(r, amo_id) == [("new", "contacted"), ("contacted", "new")]
        async with r.db.transaction() as session:
            lead = await leads.by_amo_lead_id(session, amo_id)
        assert lead is not None
        assert lead.stage_key == "new"


async def test_another_accounts_webhook_is_refused_after_setup(database_url: str) -> None:
    async with rig(database_url) as r:
        await run_setup(setup_settings(r, database_url), dry_run=False)
        _, amo_id = await r.new_lead()
        assert amo_id is not None
        body = await move(r, amo_id, "new", "contacted")
        ours = f"account_id%5D={r.amo.config.account_id}"
        theirs = body.replace(ours, f"account_id%5D={r.amo.config.account_id + 1}")
        assert theirs != body
        async with endpoint(r) as http:
            answer = await http.post(f"/webhooks/amocrm/{TOKEN}", content=theirs)

        assert answer.status_code == 403
        assert await stored(r) == 0
