"""The reconciliation page over real HTTP against both simulators, on both databases: the run
started by the button is the real one, against the amoCRM and Avito simulators."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from tests.dashboard_login import add_user, login
from tests.dashboard_site import cells
from tests.integration.sync.reconcile_rig import QUIET, Rig, rig

from leadbridge.config import AmoCrmSettings, AvitoSettings, Settings, WebSettings
from leadbridge.sync.reconcile_launch import ReconcileLauncher
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio


@dataclass
class Site:
    url: str
    app: FastAPI
    rig: Rig

    @contextlib.asynccontextmanager
    async def logged_in(self, name: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            yield http, await login(http, name, f"{name}-password")

    async def run_finished(self) -> None:
        launcher = self.app.state.reconcile_launcher
        assert isinstance(launcher, ReconcileLauncher)
        await launcher.wait()


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    async with rig(database_url) as r:
        amo = r.amo.config
        settings = Settings(
            database_url=database_url,
            web=WebSettings(webhook_token="t"),
            reconcile=QUIET,  # no grace: a request without a deal counts at once
            # The stored token is used: the rig authorised already.
            amocrm=AmoCrmSettings(
                base_url=r.amo_url,
                client_id=amo.client_id,
                client_secret=amo.client_secret,  # type: ignore[arg-type]
                redirect_uri=amo.redirect_uri,
            ),
            avito=AvitoSettings(
                base_url=r.avito_url,
                client_id=r.avito.config.client_id,
                client_secret=r.avito.config.client_secret,  # type: ignore[arg-type]
            ),
        )
        for name, role in (("olga", "operator"), ("fedor", "finance"), ("ada", "admin")):
            await add_user(r.db, name, role, password=f"{name}-password")
        app = create_app(WebContext(settings=settings, db=r.db, wakeups=r.wakeups))
        async with serve(app) as url:
            yield Site(url, app, r)


async def test_a_run_started_from_the_page_lists_its_drift_with_links_to_the_leads(
    site: Site,
) -> None:
    avito_id, _ = await site.rig.new_lead(with_deal=False)  # a request that never became a deal
    async with site.logged_in("olga") as (http, csrf):
        empty = await http.get("/reconciliation")
        refused = await http.post("/reconciliation/run", data={"fix": "yes"})
        started = await http.post("/reconciliation/run", data={"csrf_token": csrf})
        await site.run_finished()
        listed = await http.get("/reconciliation")
        (run,) = cells(listed.text, "runs")
        items = await http.get(f"/reconciliation/{run[0]}")
        missing = await http.get("/reconciliation/999999")
    assert cells(empty.text, "runs") == [["Сверок ещё не было"]]
    assert refused.status_code == 403
    assert started.status_code == 303
    assert "закончен" in listed.text
    assert run[3:5] == ["нет", "1"]  # without repair; one lead checked
    assert run[8] == "1"  # missing in amoCRM
    assert run[-2:] == ["1", "0"]  # needing a person; none in flight
    (item,) = cells(items.text, "items")
    assert item[:3] == [avito_id, "Нет сделки в amoCRM", "нужен человек"]
    assert '<a href="/leads/' in items.text
    assert missing.status_code == 404


async def test_only_operators_and_admins_open_it(site: Site) -> None:
    async with site.logged_in("ada") as (http, _):
        as_admin = await http.get("/reconciliation")
    async with site.logged_in("fedor") as (http, csrf):
        as_finance = await http.get("/reconciliation")
        finance_post = await http.post("/reconciliation/run", data={"csrf_token": csrf})
    async with httpx.AsyncClient(base_url=site.url) as stranger:
        away = await stranger.get("/reconciliation")
    assert as_admin.status_code == 200
    assert 'href="/reconciliation"' in as_admin.text
    assert as_finance.status_code == finance_post.status_code == 403
    assert 'href="/reconciliation"' not in as_finance.text
    assert away.status_code == 303


async def test_statuses_on_their_way_are_counted_apart_and_not_as_problems(site: Site) -> None:
    r = site.rig
    _, amo_id = await r.new_lead()
    assert amo_id is not None
    await r.move(amo_id, "contacted")
    await r.changes().resync(amo_id)  # queued, not sent: the outbox has a backlog
    await r.move(amo_id, "price_agreed")  # and its next webhook is still on its way
    await r.new_lead(with_deal=False)  # a real difference, for a person
    async with site.logged_in("olga") as (http, csrf):
        await http.post("/reconciliation/run", data={"csrf_token": csrf})
        await site.run_finished()
        listed = await http.get("/reconciliation")
        (run,) = cells(listed.text, "runs")
        items = await http.get(f"/reconciliation/{run[0]}")

    assert run[8:12] == ["1", "0", "0", "0"]  # by kind: only the missing deal
    assert run[-2:] == ["1", "1"]  # needing a person; in flight
    latest = " ".join(listed.text.split('id="latest"')[1].split("</p>")[0].split())
    assert "расхождений — 1, из них нужен человек — 1." in latest
    assert "Ещё 1 — в пути" in latest
    assert "Расхождений: 1, из них нужен человек: 1." in items.text
    actions = sorted(row[2] for row in cells(items.text, "items"))
    assert actions == ["в пути", "нужен человек"]
