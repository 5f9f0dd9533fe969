"""The settlements page over real HTTP on both databases, with the Avito simulator for the check."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook
from tests.dashboard_site import Site, cells, served_site

from leadbridge.config import AvitoSettings, Settings, WebSettings
from leadbridge.domain.periods import Week
from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.settlement import dashboard as settlement
from leadbridge.store import settlement as store
from leadbridge.web.pages.settlements import line_text
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
THIS_WEEK = Week.of(datetime.now(UTC))
LAST_WEEK = THIS_WEEK.previous()


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    avito_config = AvitoSandboxConfig(method_rps={})
    async with serve(create_avito_app(avito_config)) as avito_url:
        avito = AvitoSettings(
            base_url=avito_url,
            client_id=avito_config.client_id,
            client_secret=avito_config.client_secret,
        )
        settings = Settings(
            database_url=database_url, web=WebSettings(webhook_token="t"), avito=avito
        )
        async with served_site(settings) as site:
            yield site


async def _week_lines(site: Site, week: Week) -> list[tuple[str, Decimal]]:
    maker = settlement.maker_for(site.settings)
    view = await settlement.week_view(site.db, maker, week, 10_000)
    return [(line.key, Decimal(line.amount_kopecks) / 100) for line in view.lines]


async def test_finance_and_admin_see_the_weeks_others_do_not(site: Site) -> None:
    async with site.logged_in("fedor") as (http, _):
        listed = await http.get("/settlements")
        week = await http.get(f"/settlements/{THIS_WEEK.name}")
    async with site.logged_in("ada") as (http, _):
        as_admin = await http.get("/settlements")
    async with site.logged_in("olga") as (http, _):
        as_operator = await http.get(f"/settlements/{THIS_WEEK.name}")
    async with httpx.AsyncClient(base_url=site.url) as stranger:
        away = await stranger.get("/settlements")
    assert listed.status_code == as_admin.status_code == 200
    weeks = [row[0].split()[0] for row in cells(listed.text, "weeks")]
    assert weeks[:2] == [THIS_WEEK.name, LAST_WEEK.name]
    assert 'href="/settlements"' in listed.text  # in finance's navigation
    lines = cells(week.text, "lines")
    assert len(lines) == len(await _week_lines(site, THIS_WEEK)) == 3  # three buyouts
    assert {row[1] for row in lines} == {"комиссия"}
    assert as_operator.status_code == 403
    assert away.status_code == 303
    assert away.headers["location"].startswith("/login")


async def test_the_xlsx_and_csv_hold_the_weeks_lines(site: Site) -> None:
    async with site.logged_in("fedor") as (http, _):
        xlsx = await http.get(f"/settlements/{THIS_WEEK.name}/export.xlsx")
        csv = await http.get(f"/settlements/{THIS_WEEK.name}/export.csv")
        wrong = await http.get(f"/settlements/{THIS_WEEK.name}/export.pdf")
        no_week = await http.get("/settlements/2026-W99/export.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert f'filename="settlement-{THIS_WEEK.name}.xlsx"' in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book["Строки"].iter_rows(min_row=2, values_only=True))
    assert rows[-1][0] == "Итого"
    assert [(row[0], Decimal(str(row[6]))) for row in rows[:-1]] == await _week_lines(
        site, THIS_WEEK
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").count("\n") == 4  # header and three lines
    assert wrong.status_code == no_week.status_code == 404


async def test_check_against_avito_keeps_the_diff(site: Site) -> None:
    ours = await _week_lines(site, THIS_WEEK)
    async with site.logged_in("fedor") as (http, csrf):
        refused = await http.post(f"/settlements/{THIS_WEEK.name}/check", data={"confirm": "yes"})
        unconfirmed = await http.post(
            f"/settlements/{THIS_WEEK.name}/check", data={"csrf_token": csrf}
        )
        checked = await http.post(
            f"/settlements/{THIS_WEEK.name}/check",
            data={"csrf_token": csrf, "confirm": "yes"},
            follow_redirects=True,
        )
        xlsx = await http.get(f"/settlements/{THIS_WEEK.name}/export.xlsx")
    assert refused.status_code == 403
    assert unconfirmed.status_code == 400
    assert checked.status_code == 200  # after the redirect to the week
    assert "Сверка с Авито выполнена" in checked.text
    # The simulator never saw these leads' money: every line of ours is ours only.
    diff = cells(checked.text, "diff")
    # The line's key is Avito's line id, read as "<lead> · <kind>" (the key is its title).
    assert sorted(row[1] for row in diff) == sorted(line_text(key) for key, _ in ours)
    assert {row[0] for row in diff} == {"Только у нас"}
    async with site.db.transaction() as session:
        period = await store.period(session, THIS_WEEK)
    assert period is not None
    assert (period.matched, period.frozen_at) == (0, None)
    # The download carries the stored check without asking Avito again.
    book = load_workbook(io.BytesIO(xlsx.content))
    exceptions = list(book["Расхождения"].iter_rows(min_row=2, values_only=True))
    assert sorted((row[0], row[1]) for row in exceptions) == sorted(
        ("Только у нас", key) for key, _ in ours
    )
    summary = {row[0]: row[1] for row in book["Сводка"].iter_rows(values_only=True)}
    assert (summary["Совпало с Авито"], summary["Расхождений"]) == (0, len(ours))


async def test_freeze_only_a_finished_week(site: Site) -> None:
    async with site.logged_in("ada") as (http, csrf):
        form = {"csrf_token": csrf, "confirm": "yes"}
        too_early = await http.post(f"/settlements/{THIS_WEEK.name}/freeze", data=form)
        frozen = await http.post(
            f"/settlements/{LAST_WEEK.name}/freeze", data=form, follow_redirects=True
        )
        again = await http.post(f"/settlements/{LAST_WEEK.name}/freeze", data=form)
        listed = (await http.get("/settlements")).text
    assert too_early.status_code == 409
    assert "is not over" in too_early.text
    assert frozen.status_code == 200
    assert "Неделя заморожена" in frozen.text
    assert again.status_code == 409
    rows = {row[0].split()[0]: row for row in cells(listed, "weeks")}
    assert rows[LAST_WEEK.name][1].startswith("заморожена")
    assert rows[THIS_WEEK.name][1] == "открыта"
