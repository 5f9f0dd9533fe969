"""The charts page over real HTTP on both databases: SVG drawn on the server, numbers in tables."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from tests.dashboard_site import Site, cells, served_site

from leadbridge.config import Settings, WebSettings
from leadbridge.domain.periods import Week
from leadbridge.sandbox.avito.leads import LeadFactory
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.stats_command import load_statistics
from leadbridge.sync.wakeups import LocalWakeups

pytestmark = pytest.mark.anyio


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token="t"))
    async with served_site(settings) as site:
        yield site


async def test_every_role_sees_the_charts_and_their_numbers(site: Site) -> None:
    week = Week.of(datetime.now(UTC)).name  # the seeded requests came in just now
    for name in ("olga", "fedor", "ada"):
        async with site.logged_in(name) as (http, _):
            page = await http.get("/charts")
        assert page.status_code == 200, name
        assert 'href="/charts"' in page.text
    assert page.text.count("<svg") == 5
    assert "<script" not in page.text.split("</head>")[1]  # no charting script
    assert cells(page.text, "by-week") == [[week, "24", "3", "0", "12,5 %"]]
    models = cells(page.text, "by-model")
    assert sum(int(row[1]) for row in models) == 24
    assert sum(int(row[2]) for row in models) == 3
    assert cells(page.text, "prices")[0][0] == "3"  # three bought-out deals
    async with httpx.AsyncClient(base_url=site.url) as stranger:
        away = await stranger.get("/charts")
    assert away.status_code == 303


async def test_the_week_filter_narrows_and_the_answer_is_kept_a_minute(site: Site) -> None:
    async with site.logged_in("fedor") as (http, _):
        before = await http.get("/charts")
        empty = await http.get("/charts", params={"week": "2020-W01"})
        wrong = await http.get("/charts", params={"week": "last week"})
        # A new request is not counted until the kept answer is a minute old.
        late = {**LeadFactory(seed=99).make(), "id": "b-999999"}
        await accept_lead(site.db, late, channel="webhook", wakeups=LocalWakeups())
        kept = await http.get("/charts")
    assert "Все заявки: 24" in before.text
    assert 'id="scope">Заявки, созданные на неделе 2020-W01: 0' in empty.text
    assert cells(empty.text, "by-week") == [["Нет данных"]]
    assert wrong.status_code == 400
    assert "Все заявки: 24" in kept.text
    fresh = await load_statistics(site.db, site.settings.funnel)
    assert fresh.leads == 25  # the database has it: the page answered from what it kept
