"""Bad input to the dashboard and the webhooks gets a 4xx, never a 500: ids past what a row id
holds (2**63 included), weeks past any calendar we keep, and bodies nested deep enough to exhaust
a recursive parser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from tests.dashboard_site import Site, served_site

from leadbridge.config import AmoCrmSettings, Settings, WebSettings

pytestmark = pytest.mark.anyio
TOKEN = "bad-input-token"
ACCOUNT = 31000001
PAST_64_BITS = "9223372036854775808"  # 2**63: no database integer holds it
PAST_ROW_IDS = "2147483648"  # 2**31: row ids are INTEGER, 32 bits on PostgreSQL
LARGEST = "2147483647"  # a valid id that no row has
DEEP = 1000


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    settings = Settings(
        database_url=database_url,
        web=WebSettings(webhook_token=TOKEN),  # type: ignore[arg-type]
        amocrm=AmoCrmSettings(account_id=ACCOUNT),
    )
    async with served_site(settings) as served:
        yield served


@pytest.mark.parametrize("path", ["/leads/{}", "/reconciliation/{}"])
async def test_a_page_for_an_id_no_row_can_have_is_a_4xx(site: Site, path: str) -> None:
    async with site.logged_in("ada") as (http, _):
        for bad in (PAST_64_BITS, PAST_ROW_IDS, "-1", "0", "1" * 40):
            answer = await http.get(path.format(bad))
            assert answer.status_code == 422, (bad, answer.status_code, answer.text)
        missing = await http.get(path.format(LARGEST))
    assert missing.status_code == 404


async def test_an_action_on_an_outbox_item_no_row_can_be_is_a_4xx(site: Site) -> None:
    async with site.logged_in("olga") as (http, csrf):
        answers = [
            await http.post(
                f"/outbox/{bad}/retry", data={"note": "x"}, headers={"X-CSRF-Token": csrf}
            )
            for bad in (PAST_64_BITS, PAST_ROW_IDS)
        ]
        missing = await http.post(
            f"/outbox/{LARGEST}/retry", data={"note": "x"}, headers={"X-CSRF-Token": csrf}
        )
    assert [answer.status_code for answer in answers] == [422, 422]
    assert missing.status_code == 404


@pytest.mark.parametrize("week", ["9999-W52", "9999-W01", "0001-W01", "1970-W01", "2101-W01"])
async def test_a_week_past_the_calendar_is_not_found(site: Site, week: str) -> None:
    async with site.logged_in("fedor") as (http, csrf):
        pages = [
            await http.get(f"/settlements/{week}"),
            await http.get(f"/settlements/{week}/export.xlsx"),
            await http.get(f"/settlements/{week}/export.csv"),
            await http.post(
                f"/settlements/{week}/freeze",
                data={"confirm": "yes"},
                headers={"X-CSRF-Token": csrf},
            ),
        ]
        chart = await http.get("/charts", params={"week": week})
    assert [page.status_code for page in pages] == [404] * 4
    assert chart.status_code == 400


async def test_a_week_within_the_calendar_still_opens(site: Site) -> None:
    async with site.logged_in("fedor") as (http, _):
        week = await http.get("/settlements/2099-W52")
        chart = await http.get("/charts", params={"week": "2026-W018"})
    assert week.status_code == 200
    assert chart.status_code == 200
    assert 'id="scope">Заявки, созданные на неделе 2026-W18' in chart.text


async def test_a_refusal_message_cannot_be_written_into_a_page_by_a_link(site: Site) -> None:
    """`error` used to be a query parameter too: a link could put any text in the alert box."""
    planted = "Позвоните в поддержку по номеру 8-800-000-00-00"
    async with site.logged_in("ada") as (http, _):
        runs = await http.get("/reconciliation", params={"error": planted})
        week = await http.get("/settlements/2026-W48", params={"error": planted})
    assert (runs.status_code, week.status_code) == (200, 200)
    assert planted not in runs.text
    assert planted not in week.text


async def test_an_amocrm_form_nested_a_thousand_deep_is_refused_before_the_account_check(
    site: Site,
) -> None:
    key = "leads" + "[a]" * DEEP
    body = f"{key}=1&account[id]=1".encode()  # another account: would be 403 if it got that far
    async with httpx.AsyncClient(base_url=site.url) as http:
        answer = await http.post(
            f"/webhooks/amocrm/{TOKEN}",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 400
    assert "nested deeper than" in answer.json()["detail"]


async def test_an_amocrm_form_as_deep_as_amocrm_sends_is_accepted(site: Site) -> None:
    body = (
        "leads[status][0][id]=1&leads[status][0][status_id]=2"
        "&leads[status][0][custom_fields][0][values][0][value]=x"
        f"&account[id]={ACCOUNT}"
    ).encode()
    async with httpx.AsyncClient(base_url=site.url) as http:
        answer = await http.post(
            f"/webhooks/amocrm/{TOKEN}",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert answer.status_code == 200, answer.text


async def test_a_nul_character_in_a_search_is_no_server_error(site: Site) -> None:
    # Found by the dashboard fuzz test: PostgreSQL refuses NUL in any text, a LIKE pattern too.
    async with site.logged_in("olga") as (http, _):
        answer = await http.get("/leads", params={"q": "iphone\x00"})
    assert answer.status_code in (200, 400), answer.text
