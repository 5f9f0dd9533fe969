"""The leads search as an operator types into it, on both databases: the end of a phone however
it is written, the seller's name in any case, a model spelt loosely or in Russian, and paging
that never lands past the last page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from tests.dashboard_site import Site, cells, served_site

from leadbridge.config import Settings, WebSettings
from leadbridge.store import lead_search, personal_data
from leadbridge.store.tables import Lead

pytestmark = pytest.mark.anyio
NOTHING = [["Ничего не найдено"]]


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    settings = Settings(database_url=database_url, web=WebSettings(webhook_token="t"))
    async with served_site(settings) as served:
        yield served


async def _all_leads(site: Site) -> list[Lead]:
    async with site.db.transaction() as session:
        return list((await session.scalars(select(Lead).order_by(Lead.id.desc()))).all())


async def _found(site: Site, user: str, **params: str | int) -> list[list[str]]:
    async with site.logged_in(user) as (http, _):
        answer = await http.get("/leads", params=params)
    assert answer.status_code == 200
    return [row for row in cells(answer.text, "leads") if row]


def _ids(rows: list[list[str]]) -> list[str]:
    return [row[0] for row in rows]


async def test_a_lead_is_found_by_the_end_of_its_phone_however_it_is_written(site: Site) -> None:
    phone = site.seeded.phones[5]  # +7XXXXXXXXXX
    digits = phone[1:]
    everyone = await _all_leads(site)
    typed = {
        digits[-4:]: digits[-4:],
        f"{digits[-7:-4]}-{digits[-4:-2]}-{digits[-2:]}": digits[-7:],
        f"({digits[-10:-7]}) {digits[-7:-4]} {digits[-4:-2]} {digits[-2:]}": digits[-10:],
        f" {digits[-6:-3]}.{digits[-3:]} ": digits[-6:],
    }
    for query, ending in typed.items():
        expected = [
            lead.avito_lead_id for lead in everyone if (lead.seller_phone or "").endswith(ending)
        ]
        assert site.seeded.avito_ids[5] in expected
        assert _ids(await _found(site, "olga", q=query)) == expected, query
    # Three digits are too few to mean a phone: they would match a tenth of all sellers.
    assert await _found(site, "olga", q=digits[-3:]) == NOTHING


async def test_a_lead_is_found_by_the_sellers_name_in_any_case(site: Site) -> None:
    everyone = await _all_leads(site)
    name = everyone[5].seller_name  # "Имя Фамилия", Cyrillic
    surname = name.split()[-1]
    for query in (surname.lower(), surname.upper(), name.upper(), f"  {name.lower()}  "):
        wanted = query.strip().lower()
        expected = [lead.avito_lead_id for lead in everyone if wanted in lead.seller_name.lower()]
        assert everyone[5].avito_lead_id in expected
        assert _ids(await _found(site, "olga", q=query)) == expected, query


async def test_a_model_is_found_however_it_is_spelt(site: Site) -> None:
    everyone = await _all_leads(site)
    expected = [
        lead.avito_lead_id for lead in everyone if "iphone13" in lead.model.lower().replace(" ", "")
    ]
    assert expected  # the seed has some
    for query in ("iphone13", "IPHONE 13", "iPhone 13", "айфон 13", "Айфон13", "айфона 13"):
        assert _ids(await _found(site, "olga", q=query)) == expected, query
    mini = [lead.avito_lead_id for lead in everyone if "13 mini" in lead.model]
    assert _ids(await _found(site, "olga", q="айфон 13mini")) == mini


async def test_a_page_past_the_end_shows_the_last_one(site: Site) -> None:
    async with site.logged_in("olga") as (http, _):
        past = await http.get("/leads", params={"page": 999, "per_page": 10})
        searched = await http.get("/leads", params={"q": "iphone", "page": 50, "per_page": 5})
    assert "Найдено: 24" in past.text
    assert "страница 3 из 3" in past.text
    assert _ids([row for row in cells(past.text, "leads") if row]) == site.seeded.avito_ids[3::-1]
    assert "Ничего не найдено" not in past.text
    assert "дальше →" not in past.text
    assert "← назад" in past.text  # and the way back is the page before the last
    assert "Ничего не найдено" not in searched.text
    assert "страница 50" not in searched.text


async def test_finance_finds_no_lead_by_a_sellers_phone_ending_or_name(site: Site) -> None:
    everyone = await _all_leads(site)
    phone, name = everyone[5].seller_phone, everyone[5].seller_name
    assert phone is not None
    assert await _found(site, "fedor", q=phone[-4:]) == NOTHING
    assert await _found(site, "fedor", q=name.split()[-1].lower()) == NOTHING
    assert await _found(site, "fedor", q="айфон 13")  # the model is no personal data


async def test_a_purged_sellers_phone_finds_nothing(site: Site) -> None:
    everyone = await _all_leads(site)
    lead = everyone[5]
    assert lead.seller_phone is not None
    ending = lead.seller_phone[-6:]
    assert lead.avito_lead_id in _ids(await _found(site, "olga", q=ending))
    async with site.db.transaction() as session:
        await personal_data.anonymize_leads(session, [lead.id], paths=[])
    assert lead.avito_lead_id not in _ids(await _found(site, "olga", q=ending))


async def test_the_end_of_a_phone_is_looked_up_by_an_index(site: Site) -> None:
    """A number is found through indexes alone: no table scan however many leads there are."""
    query = lead_search.LeadQuery("391-52-34", personal_data=True)
    async with site.db.transaction() as session:
        dialect = session.get_bind().dialect
        statement = select(Lead.id).where(*lead_search.conditions_of(query, dialect.name))
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            # 24 leads are cheaper to read whole; what matters is that the index can be used.
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = (await session.scalars(text("EXPLAIN " + sql))).all()
        else:
            plan = [row[-1] for row in (await session.execute(text("EXPLAIN QUERY PLAN " + sql)))]
    shown = "\n".join(plan)
    assert "ix_leads_seller_phone_last4" in shown
    assert "Seq Scan" not in shown
    assert "SCAN leads" not in shown


async def test_past_the_count_cap_the_page_says_more_and_pages_within_the_cap(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lead_search, "COUNT_CAP", 10)  # 24 leads seeded: more than that
    everyone = await _all_leads(site)
    async with site.logged_in("olga") as (http, _):
        last = await http.get("/leads", params={"page": 999, "per_page": 5})
        narrow = await http.get("/leads", params={"q": everyone[0].avito_lead_id})
    assert "Найдено: больше 10 — уточните поиск" in last.text
    assert "страница 2 из 2" in last.text  # 10 counted, 5 to a page
    shown = _ids([row for row in cells(last.text, "leads") if row])
    assert shown == [lead.avito_lead_id for lead in everyone[5:10]]
    assert "Найдено: 1" in narrow.text
