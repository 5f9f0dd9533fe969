"""amoCRM's sharp edges — 429 storms, the 403 block, 504s, webhook auto-disable, token races —
against the simulator over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from tests.databases import postgres_database

from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoBlocked
from leadbridge.amocrm.connect import connect
from leadbridge.amocrm.tokens import AmoTokens
from leadbridge.config import AmoCrmSettings
from leadbridge.sandbox.amocrm import AmoSandbox, AmoSandboxConfig, create_amocrm_app
from leadbridge.sandbox.amocrm.faults import FaultProfile
from leadbridge.store import tokens as token_store
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio


@dataclass
class Rig:
    sandbox: AmoSandbox
    db: Database
    api: AmoApi
    url: str


def settings_for(sandbox: AmoSandbox, url: str, **overrides: Any) -> AmoCrmSettings:
    values: dict[str, Any] = {
        "base_url": url,
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
        "redirect_uri": sandbox.config.redirect_uri,
        "auth_code": sandbox.issue_auth_code(),
        **overrides,
    }
    return AmoCrmSettings.model_validate(values)


@contextlib.asynccontextmanager
async def rig(
    database_url: str, config: AmoSandboxConfig | None = None, **overrides: Any
) -> AsyncIterator[Rig]:
    upgrade(database_url)
    app = create_amocrm_app(config)
    sandbox: AmoSandbox = app.state.sandbox
    async with serve(app) as url:
        db = Database(database_url)
        api = connect(settings_for(sandbox, url, **overrides), db)
        try:
            await api.bootstrap()
            yield Rig(sandbox, db, api, url)
        finally:
            await api.aclose()
            await db.dispose()
            await sandbox.aclose()


@contextlib.asynccontextmanager
async def bare_simulator(
    config: AmoSandboxConfig | None = None,
) -> AsyncIterator[tuple[AmoSandbox, httpx.AsyncClient]]:
    """The simulator and an HTTP client that already carries a long-lived token."""
    app = create_amocrm_app(config)
    sandbox: AmoSandbox = app.state.sandbox
    async with serve(app) as url:
        headers = {"Authorization": f"Bearer {sandbox.issue_long_lived_token()}"}
        async with httpx.AsyncClient(base_url=url, headers=headers) as http:
            try:
                yield sandbox, http
            finally:
                await sandbox.aclose()


def deal(number: int) -> dict[str, Any]:
    return {"name": f"deal-{number}", "request_id": f"r{number}"}


async def eventually(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


# --- 429 storm ----------------------------------------------------------------------------------


async def test_a_429_storm_loses_no_write_and_duplicates_none(database_url: str) -> None:
    storm = FaultProfile(seed=7, burst_429_probability=0.06, burst_429_length=3)
    config = AmoSandboxConfig(integration_rps=30, account_rps=50, faults=storm)
    async with rig(database_url, config, rps=30) as r:
        answers = await asyncio.gather(*(r.api.create_complex([deal(n)]) for n in range(80)))

        assert r.sandbox.faults.injected["429"] > 0  # there was a storm
        names = sorted(lead["name"] for lead in r.sandbox.leads.values())
        assert names == sorted(f"deal-{n}" for n in range(80))
        assert sorted(row.request_ids[0] for (row,) in answers) == sorted(
            f"r{n}" for n in range(80)
        )
        assert r.sandbox.block.started_total == 0


# --- 403 block ----------------------------------------------------------------------------------


async def test_repeated_429s_block_the_account_with_an_nginx_403() -> None:
    async with bare_simulator(AmoSandboxConfig(integration_rps=2)) as (sandbox, http):
        sandbox.block_time_scale = 0.5 / (15 * 60)  # the 15 min block lasts 0.5 s here
        answers = await asyncio.gather(*(http.get("/api/v4/account") for _ in range(20)))
        statuses = [answer.status_code for answer in answers]
        assert statuses.count(429) == 10  # the tenth violation starts the block ...
        assert statuses.count(403) == 20 - 2 - 10  # ... and the rest are refused already

        blocked = await http.get("/api/v4/leads")
        assert blocked.status_code == 403
        assert "403 Forbidden" in blocked.text
        assert "nginx" in blocked.text
        state = (await http.get("/sandbox/state")).json()["stats"]
        assert state["blocks_started"] == 1
        assert state["blocked_requests_total"] == statuses.count(403) + 1

        await asyncio.sleep(1.1)  # past the block and the rate window
        assert (await http.get("/api/v4/account")).status_code == 200


async def test_a_block_stops_every_call_until_one_probe_gets_through(database_url: str) -> None:
    async with rig(database_url, block_probe_after_s=0.4) as r:
        await r.api.pipelines()
        async with httpx.AsyncClient(base_url=r.url) as admin:
            await admin.post("/sandbox/block", json={"seconds": 0.7})
        started = time.monotonic()

        with pytest.raises(AmoBlocked):
            await r.api.pipelines()
        assert r.api.client.blocked_until is not None
        seen = r.sandbox.stats.requests_total
        callers = await asyncio.gather(
            *(r.api.pipelines() for _ in range(20)), return_exceptions=True
        )
        assert all(isinstance(outcome, AmoBlocked) for outcome in callers)
        assert r.sandbox.block.forbidden_total == 1  # none of the 20 reached amoCRM
        assert r.sandbox.stats.requests_total == seen

        while True:
            with contextlib.suppress(AmoBlocked):
                await r.api.pipelines()
                break
            await asyncio.sleep(0.02)

        # Probe at 0.4 s (still blocked), pause doubled, probe at 1.2 s gets through.
        assert r.sandbox.block.forbidden_total == 2
        assert time.monotonic() - started >= 1.1
        assert r.api.client.blocked_until is None


# --- 504 halving --------------------------------------------------------------------------------


async def test_a_504_halves_the_batch_and_every_deal_is_created_once(database_url: str) -> None:
    config = AmoSandboxConfig(faults=FaultProfile(complex_504_above=7))
    async with rig(database_url, config) as r:
        answer = await r.api.create_complex([deal(n) for n in range(30)])

        assert sorted(row.request_ids[0] for row in answer) == sorted(f"r{n}" for n in range(30))
        assert sorted(lead["name"] for lead in r.sandbox.leads.values()) == sorted(
            f"deal-{n}" for n in range(30)
        )
        # 30 → 15 + 15 → (7 + 8) + (7 + 8) → 8 = 4 + 4: five 504s, none sent again as it was.
        assert r.sandbox.stats.complex_batches == [7, 4, 4, 7, 4, 4]
        assert r.sandbox.faults.injected["504"] == 5


# --- webhooks -----------------------------------------------------------------------------------


def receiver(answers: list[int]) -> FastAPI:
    """A webhook endpoint whose answer is `answers[0]`, changeable while it runs."""
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        await request.body()
        return Response(status_code=answers[0])

    return app


async def test_a_hook_with_over_100_invalid_answers_is_disabled_until_reposted() -> None:
    answers = [500]
    async with (
        serve(receiver(answers)) as hook_url,
        bare_simulator() as (sandbox, http),
    ):
        sandbox.retry_delay_scale = 0.0
        destination = f"{hook_url}/hook"
        subscription = {"destination": destination, "settings": ["status_lead"]}
        await http.post("/api/v4/webhooks", json=subscription)
        created = await http.post("/api/v4/leads", json=[{"name": "x"}])
        lead_id = created.json()["_embedded"]["leads"][0]["id"]
        pipeline = sandbox.leads[lead_id]["pipeline_id"]
        statuses = [s for s in sandbox.pipelines[pipeline]["statuses"] if s not in (142, 143)]
        hook = sandbox.webhooks.hooks[destination]
        person = {"Authorization": f"Bearer {sandbox.issue_person_token()}"}  # not rate-limited

        for change in range(21):  # five attempts each on a 500: 105 invalid answers
            status = statuses[change % len(statuses)]
            if status == sandbox.leads[lead_id]["status_id"]:
                status = statuses[(change + 1) % len(statuses)]
            await http.patch(f"/api/v4/leads/{lead_id}", json={"status_id": status}, headers=person)
        await eventually(lambda: hook["disabled"], 3)
        await eventually(lambda: not sandbox.webhooks._tasks)

        assert hook["invalid_last_2h"] > 100  # (attempts in flight still finish)
        assert hook["auto_disabled"] == 1
        attempts = hook["attempts"]
        await http.patch(f"/api/v4/leads/{lead_id}", json={"status_id": 142}, headers=person)
        await asyncio.sleep(0.2)
        assert hook["attempts"] == attempts  # no deliveries while disabled

        answers[0] = 200
        again = (await http.post("/api/v4/webhooks", json=subscription)).json()
        assert again["disabled"] is False
        await http.patch(f"/api/v4/leads/{lead_id}", json={"status_id": 143}, headers=person)
        await eventually(lambda: hook["delivered"] == 1)


# --- tokens -------------------------------------------------------------------------------------


async def test_two_workers_refreshing_at_once_make_one_refresh_request() -> None:
    app = create_amocrm_app()
    sandbox: AmoSandbox = app.state.sandbox
    with postgres_database() as url:
        upgrade(url)
        first_db, second_db = Database(url), Database(url)
        async with serve(app) as base, httpx.AsyncClient(base_url=base) as http:
            settings = settings_for(sandbox, base)
            first = AmoTokens(first_db, http, settings)
            second = AmoTokens(second_db, http, settings)
            try:
                await first.bootstrap()
                async with first_db.transaction() as session:
                    row = await token_store.token(session, "amocrm")
                    assert row is not None
                    row.expires_at = datetime.now(UTC) + timedelta(minutes=1)
                first.invalidate()

                tokens = await asyncio.gather(first.access_token(), second.access_token())

                assert sandbox.stats.token_grants == {"authorization_code": 1, "refresh_token": 1}
                assert tokens[0] == tokens[1]
                account = await http.get(
                    "/api/v4/account", headers={"Authorization": f"Bearer {tokens[0]}"}
                )
                assert account.status_code == 200
            finally:
                await first_db.dispose()
                await second_db.dispose()
                await sandbox.aclose()


async def test_a_long_lived_token_is_used_without_any_refresh(database_url: str) -> None:
    app = create_amocrm_app()
    sandbox: AmoSandbox = app.state.sandbox
    upgrade(database_url)
    async with serve(app) as url:
        long_lived = sandbox.issue_long_lived_token(days=1)
        settings = settings_for(sandbox, url, auth_code="", long_lived_token=long_lived)
        db = Database(database_url)
        api = connect(settings, db)
        try:
            await api.bootstrap()
            await api.pipelines()
            api.client.tokens.invalidate()  # as after a 401: the stored token is read again
            await api.pipelines()

            assert sandbox.stats.token_grants == {}
            assert sandbox.stats.by_kind["integration"] == 2
            async with db.transaction() as session:
                row = await token_store.token(session, "amocrm")
                assert row is not None
                assert row.refresh_token is None
        finally:
            await api.aclose()
            await db.dispose()
            await sandbox.aclose()


# --- batch caps, filters, a person's actions ----------------------------------------------------


async def test_batch_caps_filters_and_single_contact_reads() -> None:
    async with bare_simulator() as (_, http):
        too_many = await http.post("/api/v4/leads", json=[{"name": "x"}] * 251)
        assert too_many.status_code == 400
        assert too_many.json()["validation-errors"][0]["errors"][0]["code"] == "TooManyEntities"

        contact = {"first_name": "Иван"}
        rows = (
            await http.post(
                "/api/v4/leads/complex",
                json=[{"name": f"d{n}", "_embedded": {"contacts": [contact]}} for n in range(3)],
            )
        ).json()
        wanted = [rows[0]["id"], rows[2]["id"]]
        params = [("filter[id][]", i) for i in wanted] + [("with", "contacts"), ("limit", 999)]
        page = (await http.get("/api/v4/leads", params=params)).json()
        assert [lead["id"] for lead in page["_embedded"]["leads"]] == wanted
        assert (
            page["_embedded"]["leads"][0]["_embedded"]["contacts"][0]["id"] == rows[0]["contact_id"]
        )
        assert "limit=250" in page["_links"]["self"]["href"]

        one = await http.get(f"/api/v4/contacts/{rows[1]['contact_id']}", params={"with": "leads"})
        assert one.json()["first_name"] == "Иван"
        assert one.json()["_embedded"]["leads"] == [{"id": rows[1]["id"]}]
        assert (await http.get("/api/v4/contacts/1")).status_code == 204


async def test_a_person_closes_a_deal_as_lost_with_a_reason() -> None:
    async with bare_simulator() as (sandbox, http):
        (reason,) = (
            await http.post("/api/v4/leads/loss_reasons", json=[{"name": "Передумал"}])
        ).json()["_embedded"]["loss_reasons"]
        lead_id = (await http.post("/api/v4/leads", json=[{"name": "x"}])).json()["_embedded"][
            "leads"
        ][0]["id"]
        person = {"Authorization": f"Bearer {sandbox.issue_person_token()}"}

        answer = await http.patch(
            f"/api/v4/leads/{lead_id}",
            json={"status_id": 143, "loss_reason_id": reason["id"]},
            headers=person,
        )

        assert answer.status_code == 200
        lead = (await http.get(f"/api/v4/leads/{lead_id}")).json()
        assert (lead["status_id"], lead["loss_reason_id"]) == (143, reason["id"])
        assert lead["closed_at"] is not None
        (event,) = sandbox.events
        assert event["value_after"][0]["lead_status"]["id"] == 143
