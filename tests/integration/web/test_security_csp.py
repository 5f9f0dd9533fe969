"""A partner's URL cannot become a script: only https links to Avito's hosts are links, and the
Content-Security-Policy allows no script or style but the site's own files, so a page has none
inline."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from tests.dashboard_site import Site, served_site

from leadbridge.config import Settings, WebSettings
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store.tables import Lead
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext

pytestmark = pytest.mark.anyio
TOKEN = "csp-webhook-token"
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)", re.I),
    "style element": re.compile(r"<style", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
}


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token=TOKEN))  # type: ignore[arg-type]
    async with served_site(settings) as served:
        yield served


async def _lead_with_item_url(site: Site, item_url: str, avito_id: str) -> int:
    """The lead as Avito delivers it: through the webhook, its `itemUrl` as the seller made it."""
    lead = LeadFactory(seed=99).make()
    lead.update(id=avito_id, itemUrl=item_url)
    envelope = {"id": f"e-{avito_id}", "payload": {"type": "lead.created", "lead": lead}}
    async with httpx.AsyncClient(base_url=site.url) as http:
        answer = await http.post(f"/webhooks/avito/{TOKEN}", json=envelope)
    assert answer.status_code == 200, answer.text
    async with site.db.transaction() as session:
        found = await session.scalar(select(Lead.id).where(Lead.avito_lead_id == avito_id))
    assert found is not None
    return found


async def _item_url_cell(site: Site, lead_id: int) -> str:
    async with site.logged_in("olga") as (http, _):
        page = await http.get(f"/leads/{lead_id}")
    assert page.status_code == 200
    cell = re.search(r'<dd id="item-url">(.*?)</dd>', page.text, re.S)
    assert cell, "no item URL on the lead page"
    return cell.group(1)


async def test_a_javascript_item_url_is_shown_as_text_not_as_a_link(site: Site) -> None:
    lead_id = await _lead_with_item_url(site, "javascript:alert(1)", "b-js")
    assert await _item_url_cell(site, lead_id) == "javascript:alert(1)"


@pytest.mark.parametrize(
    "url",
    [
        "JaVaScRiPt:fetch('/outbox/1/park',{method:'POST'})",
        "https://avito.ru.evil.example/moskva/telefony/iphone_1",
        "http://www.avito.ru/moskva/telefony/iphone_1",
        "https://www.avito.ru@evil.example/x",
    ],
)
async def test_other_urls_that_are_no_avito_listing_are_text_too(site: Site, url: str) -> None:
    lead_id = await _lead_with_item_url(site, url, "b-other")
    cell = await _item_url_cell(site, lead_id)
    assert "<a" not in cell


async def test_an_avito_listing_is_a_link(site: Site) -> None:
    url = "https://www.avito.ru/moskva/telefony/iphone_13_128_gb_4242"
    lead_id = await _lead_with_item_url(site, url, "b-avito")
    cell = await _item_url_cell(site, lead_id)
    assert cell == f'<a href="{url}" rel="noopener noreferrer">{url}</a>'


async def test_a_listing_link_that_breaks_out_of_its_attribute_stays_inside_it(
    site: Site,
) -> None:
    url = 'https://www.avito.ru/x"><script>alert(1)</script>'
    lead_id = await _lead_with_item_url(site, url, "b-quote")
    cell = await _item_url_cell(site, lead_id)
    escaped = "https://www.avito.ru/x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert cell == f'<a href="{escaped}" rel="noopener noreferrer">{escaped}</a>'


async def test_every_page_forbids_inline_script_and_style_and_has_none(site: Site) -> None:
    # Every page without a parameter (a new one too), and those with one that the tests know.
    app = create_app(WebContext(settings=site.settings, db=site.db, wakeups=LocalWakeups()))
    paths = [
        route.path or ""
        for route in iter_route_contexts(app.routes)
        if "GET" in (route.methods or ())
    ]
    pages = [path for path in paths if "{" not in path and path != "/login"]
    assert {"/", "/leads", "/outbox", "/settlements", "/charts"} <= set(pages)
    pages += [f"/leads/{site.seeded.lead_ids[0]}", "/settlements/2026-W48"]
    async with site.logged_in("ada") as (http, _):
        answers = {path: await http.get(path) for path in pages}
        answers["/leads (htmx)"] = await http.get("/leads?q=b", headers={"HX-Target": "results"})
    async with httpx.AsyncClient(base_url=site.url) as stranger:
        answers["/login"] = await stranger.get("/login")
    for path, answer in answers.items():
        assert answer.status_code == 200 or path == "/readyz", path  # 503 is its own answer
        policy = answer.headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'"):
            assert directive in policy, path
        assert "frame-ancestors 'none'" in policy
        assert "unsafe" not in policy
        for what, pattern in INLINE.items():
            assert not pattern.search(answer.text), f"{what} on {path}"


async def test_the_style_sheets_load_without_a_login(site: Site) -> None:
    """The login page has no session yet, and the policy allows it only a style sheet file."""
    async with httpx.AsyncClient(base_url=site.url) as stranger:
        login = await stranger.get("/login")
        sheet = await stranger.get("/static/login.css")
        dashboard = await stranger.get("/static/dashboard.css")
    assert '<link rel="stylesheet" href="/static/login.css">' in login.text
    assert (sheet.status_code, dashboard.status_code) == (200, 200)
    assert sheet.headers["Content-Type"].startswith("text/css")
    assert "svg.chart" in dashboard.text
