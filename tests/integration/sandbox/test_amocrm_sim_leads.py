"""Deals, contacts, fields and pipelines in the simulator, over real HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadbridge.sandbox.amocrm import AmoSandbox, create_amocrm_app
from leadbridge.sandbox.serving import serve

pytestmark = pytest.mark.anyio

WON, LOST = 142, 143


@contextlib.asynccontextmanager
async def account() -> AsyncIterator[tuple[AmoSandbox, httpx.AsyncClient]]:
    """The simulator and a client that carries an integration's access token."""
    app = create_amocrm_app()
    sandbox: AmoSandbox = app.state.sandbox
    config = sandbox.config
    body = {
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "redirect_uri": config.redirect_uri,
        "grant_type": "authorization_code",
        "code": sandbox.issue_auth_code(),
    }
    try:
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
            token = (await http.post("/oauth2/access_token", json=body)).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            sandbox.config.integration_rps = 10_000  # these tests are about shapes, not limits
            yield sandbox, http
    finally:
        await sandbox.aclose()


async def add_fields(http: httpx.AsyncClient) -> dict[str, Any]:
    fields = [
        {"name": "Модель", "type": "text"},
        {"name": "Цена продавца", "type": "numeric"},
        {"name": "Состояние", "type": "select", "enums": [{"value": "Новое"}, {"value": "Б/у"}]},
        {"name": "Проверено", "type": "checkbox"},
    ]
    answer = await http.post("/api/v4/leads/custom_fields", json=fields)
    assert answer.status_code == 200
    return {f["name"]: f for f in answer.json()["_embedded"]["custom_fields"]}


def complex_deal(number: int, fields: dict[str, Any]) -> dict[str, Any]:
    state = fields["Состояние"]
    return {
        "name": f"iPhone #{number}",
        "price": 30000 + number,
        "request_id": f"avito-{number}",
        "custom_fields_values": [
            {"field_id": fields["Модель"]["id"], "values": [{"value": "iPhone 13"}]},
            {"field_id": fields["Цена продавца"]["id"], "values": [{"value": "41000"}]},
            {"field_id": state["id"], "values": [{"enum_id": state["enums"][1]["id"]}]},
            {"field_id": fields["Проверено"]["id"], "values": [{"value": True}]},
        ],
        "_embedded": {
            "tags": [{"name": "avito"}, {"name": "buyout"}],
            "contacts": [
                {
                    "first_name": f"Продавец {number}",
                    "custom_fields_values": [
                        {
                            "field_code": "PHONE",
                            "values": [{"value": f"+7900{number:07d}", "enum_code": "MOB"}],
                        }
                    ],
                }
            ],
        },
    }


async def test_a_complex_batch_of_fifty_creates_deals_contacts_and_tags() -> None:
    async with account() as (sandbox, http):
        fields = await add_fields(http)

        answer = await http.post(
            "/api/v4/leads/complex", json=[complex_deal(n, fields) for n in range(50)]
        )

        assert answer.status_code == 200
        rows = answer.json()
        assert isinstance(rows, list)
        assert len(rows) == 50
        assert set(rows[0]) == {"id", "contact_id", "company_id", "request_id", "merged"}
        assert rows[7]["request_id"] == ["avito-7"]
        assert rows[7]["merged"] is False
        assert rows[7]["company_id"] is None

        lead = (await http.get(f"/api/v4/leads/{rows[7]['id']}")).json()
        assert lead["price"] == 30007
        assert {t["name"] for t in lead["_embedded"]["tags"]} == {"avito", "buyout"}
        values = {v["field_name"]: v["values"] for v in lead["custom_fields_values"]}
        assert values["Состояние"] == [
            {"value": "Б/у", "enum_id": fields["Состояние"]["enums"][1]["id"]}
        ]
        contact = (await http.get(f"/api/v4/contacts/{rows[7]['contact_id']}")).json()
        (phone,) = contact["custom_fields_values"]
        assert phone["field_code"] == "PHONE"
        assert phone["values"][0]["value"] == "+79000000007"
        assert sandbox.state_json()["stats"]["complex_batches"] == [50]
        tag_ids = {
            t["id"] for lead in sandbox.state_json()["leads"] for t in lead["_embedded"]["tags"]
        }
        assert len(tag_ids) == 2  # a tag is created once, then found by name


async def test_a_complex_batch_of_fifty_one_is_refused_whole() -> None:
    async with account() as (sandbox, http):
        answer = await http.post("/api/v4/leads/complex", json=[{"name": "x"}] * 51)

        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert sandbox.leads == {}


@pytest.mark.parametrize(
    ("field", "value", "path_end"),
    [
        ("unknown", {"value": "x"}, "field_id"),
        ("Состояние", {"enum_id": 1}, "values.0"),
        ("Цена продавца", {"value": "много"}, "value"),
        ("Проверено", {"value": "yes"}, "value"),
    ],
)
async def test_a_bad_field_value_fails_the_request_and_writes_nothing(
    field: str, value: dict[str, Any], path_end: str
) -> None:
    async with account() as (sandbox, http):
        fields = await add_fields(http)
        bad = complex_deal(1, fields)
        field_id = fields[field]["id"] if field in fields else 999
        bad["custom_fields_values"] = [{"field_id": field_id, "values": [value]}]

        answer = await http.post("/api/v4/leads/complex", json=[complex_deal(0, fields), bad])

        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("application/problem+json")
        (problem,) = answer.json()["validation-errors"]
        assert problem["request_id"] == "avito-1"
        (error,) = problem["errors"]
        assert set(error) == {"code", "path", "detail"}
        assert error["path"].startswith("custom_fields_values.0")
        assert error["path"].endswith(path_end)
        assert sandbox.leads == {}
        assert sandbox.contacts == {}


async def test_a_bad_update_changes_nothing() -> None:
    async with account() as (_sandbox, http):
        fields = await add_fields(http)
        (row,) = (await http.post("/api/v4/leads/complex", json=[complex_deal(0, fields)])).json()
        before = (await http.get(f"/api/v4/leads/{row['id']}")).json()
        bad_value = [{"field_id": 999, "values": [{"value": "x"}]}]

        single = await http.patch(
            f"/api/v4/leads/{row['id']}",
            json={"name": "renamed", "custom_fields_values": bad_value},
        )
        batch = await http.patch(
            "/api/v4/leads",
            json=[
                {"id": row["id"], "price": 1},
                {"id": row["id"], "custom_fields_values": bad_value},
            ],
        )

        assert (single.status_code, batch.status_code) == (400, 400)
        assert (await http.get(f"/api/v4/leads/{row['id']}")).json() == before


async def test_plain_create_and_patch_answer_in_the_documented_shapes() -> None:
    async with account() as (_, http):
        created = await http.post(
            "/api/v4/leads", json=[{"name": "a"}, {"name": "b", "request_id": "x"}]
        )
        leads = created.json()["_embedded"]["leads"]
        assert [lead["request_id"] for lead in leads] == ["0", "x"]
        assert created.headers["content-type"].startswith("application/hal+json")

        single = (await http.patch(f"/api/v4/leads/{leads[0]['id']}", json={"price": 5})).json()
        assert set(single) == {"id", "updated_at", "_links"}
        batch = await http.patch("/api/v4/leads", json=[{"id": leads[1]["id"], "name": "c"}])
        assert batch.json()["_embedded"]["leads"][0]["id"] == leads[1]["id"]
        too_many = await http.patch("/api/v4/leads", json=[{"id": leads[1]["id"]}] * 251)
        assert too_many.status_code == 400


async def test_nothing_found_is_204_with_no_body() -> None:
    async with account() as (_, http):
        for path in ("/api/v4/leads", "/api/v4/leads/123", "/api/v4/contacts", "/api/v4/events"):
            answer = await http.get(path)
            assert (path, answer.status_code, answer.content) == (path, 204, b"")


async def test_lists_page_with_next_links_until_204() -> None:
    async with account() as (_, http):
        await http.post("/api/v4/leads", json=[{"name": f"d{n}"} for n in range(5)])
        params = {"limit": "2", "filter[pipeline_id]": "0"}

        seen, page, path = [], 0, "/api/v4/leads?limit=2"
        while path:
            body = (await http.get(path)).json()
            page += 1
            assert body["_page"] == page
            seen += [lead["name"] for lead in body["_embedded"]["leads"]]
            path = body["_links"].get("next", {}).get("href", "")

        assert seen == [f"d{n}" for n in range(5)]
        assert (await http.get("/api/v4/leads", params={"limit": 2, "page": 4})).status_code == 204
        assert (await http.get("/api/v4/leads", params=params)).status_code == 204


async def test_next_links_keep_the_filters() -> None:
    async with account() as (_, http):
        ids = [
            lead["id"]
            for lead in (
                await http.post("/api/v4/leads", json=[{"name": f"d{n}"} for n in range(4)])
            ).json()["_embedded"]["leads"]
        ]
        wanted = [("filter[id][]", str(i)) for i in ids[1:]] + [("limit", "2")]

        first = (await http.get("/api/v4/leads", params=wanted)).json()
        second = (await http.get(first["_links"]["next"]["href"])).json()

        names = [
            lead["name"] for lead in first["_embedded"]["leads"] + second["_embedded"]["leads"]
        ]
        assert names == ["d1", "d2", "d3"]


async def test_leads_filter_by_updated_at_and_embed_contacts_on_request() -> None:
    async with account() as (sandbox, http):
        fields = await add_fields(http)
        rows = (
            await http.post(
                "/api/v4/leads/complex", json=[complex_deal(n, fields) for n in range(2)]
            )
        ).json()
        sandbox.leads[rows[0]["id"]]["updated_at"] -= 1000
        since = sandbox.leads[rows[1]["id"]]["updated_at"]

        recent = await http.get(
            "/api/v4/leads", params={"filter[updated_at][from]": since, "with": "contacts"}
        )
        plain = (await http.get("/api/v4/leads")).json()["_embedded"]["leads"][0]

        (lead,) = recent.json()["_embedded"]["leads"]
        assert lead["id"] == rows[1]["id"]
        assert lead["_embedded"]["contacts"] == [{"id": rows[1]["contact_id"], "is_main": True}]
        assert "contacts" not in plain["_embedded"]


async def test_contacts_are_created_listed_and_read() -> None:
    async with account() as (_, http):
        phone = [
            {"field_code": "PHONE", "values": [{"value": "+79001112233", "enum_code": "WORK"}]}
        ]
        created = await http.post(
            "/api/v4/contacts",
            json=[{"first_name": "Анна", "custom_fields_values": phone, "request_id": "c1"}],
        )

        (row,) = created.json()["_embedded"]["contacts"]
        assert row["request_id"] == "c1"
        listed = (await http.get("/api/v4/contacts")).json()["_embedded"]["contacts"]
        assert [c["id"] for c in listed] == [row["id"]]
        one = (await http.get(f"/api/v4/contacts/{row['id']}")).json()
        assert one["custom_fields_values"][0]["values"][0]["value"] == "+79001112233"


async def test_notes_are_added_to_a_deal_and_listed() -> None:
    async with account() as (sandbox, http):
        (lead,) = (await http.post("/api/v4/leads", json=[{"name": "x"}])).json()["_embedded"][
            "leads"
        ]
        note = {"note_type": "common", "params": {"text": "iPhone 13, 128 GB"}}

        by_body = await http.post("/api/v4/leads/notes", json=[{**note, "entity_id": lead["id"]}])
        by_path = await http.post(f"/api/v4/leads/{lead['id']}/notes", json=[note])
        listed = await http.get(f"/api/v4/leads/{lead['id']}/notes")

        assert (by_body.status_code, by_path.status_code) == (200, 200)
        texts = [n["params"]["text"] for n in listed.json()["_embedded"]["notes"]]
        assert texts == ["iPhone 13, 128 GB"] * 2
        assert len(sandbox.state_json()["notes"]) == 2
        assert (await http.get("/api/v4/leads/1/notes")).status_code == 204


async def test_new_pipelines_share_the_won_and_lost_ids() -> None:
    async with account() as (_, http):
        statuses = [{"name": "Новая заявка Авито", "sort": 20, "color": "#fffeb2"}]
        body = [{"name": "Выкуп", "sort": 2, "is_main": False, "_embedded": {"statuses": statuses}}]

        created = await http.post("/api/v4/leads/pipelines", json=body)

        (pipeline,) = created.json()["_embedded"]["pipelines"]
        one = (await http.get(f"/api/v4/leads/pipelines/{pipeline['id']}")).json()
        listed = (await http.get("/api/v4/leads/pipelines")).json()
        assert listed["_total_items"] == 2
        for candidate in listed["_embedded"]["pipelines"]:
            by_id = {s["id"]: s for s in candidate["_embedded"]["statuses"]}
            assert by_id[WON]["name"] == "Успешно реализовано"
            assert by_id[LOST]["name"] == "Закрыто и не реализовано"
            assert [s["type"] for s in by_id.values()].count(1) == 1
        names = [s["name"] for s in one["_embedded"]["statuses"]]
        assert "Новая заявка Авито" in names
        assert (await http.get("/api/v4/leads/pipelines/1")).status_code == 204


async def test_the_account_starts_with_one_main_pipeline() -> None:
    async with account() as (_, http):
        (main,) = (await http.get("/api/v4/leads/pipelines")).json()["_embedded"]["pipelines"]

        assert (main["name"], main["is_main"]) == ("Воронка", True)
        assert len(main["_embedded"]["statuses"]) > 3


async def test_statuses_are_added_renamed_and_their_colours_checked() -> None:
    async with account() as (_, http):
        (main,) = (await http.get("/api/v4/leads/pipelines")).json()["_embedded"]["pipelines"]
        path = f"/api/v4/leads/pipelines/{main['id']}/statuses"

        bad = await http.post(path, json=[{"name": "x", "sort": 50, "color": "#123456"}])
        added = await http.post(path, json=[{"name": "Оценка", "sort": 50, "color": "#98cbff"}])
        (status,) = added.json()["_embedded"]["statuses"]
        renamed = await http.patch(f"{path}/{status['id']}", json={"name": "Оценка и торг"})

        assert bad.status_code == 400
        assert renamed.json()["name"] == "Оценка и торг"
        assert status["pipeline_id"] == main["id"]


async def test_pipeline_and_status_caps() -> None:
    async with account() as (_, http):
        too_many = [{"name": f"p{n}", "sort": n, "is_main": False} for n in range(50)]
        assert (await http.post("/api/v4/leads/pipelines", json=too_many)).status_code == 400

        (main,) = (await http.get("/api/v4/leads/pipelines")).json()["_embedded"]["pipelines"]
        path = f"/api/v4/leads/pipelines/{main['id']}/statuses"
        lots = [{"name": f"s{n}", "sort": 100 + n} for n in range(100)]
        assert (await http.post(path, json=lots)).status_code == 400


async def test_custom_fields_page_and_contacts_have_phone_and_email() -> None:
    async with account() as (_, http):
        await http.post(
            "/api/v4/leads/custom_fields",
            json=[{"name": f"f{n}", "type": "text"} for n in range(3)],
        )

        first = (await http.get("/api/v4/leads/custom_fields", params={"limit": 2})).json()
        second = (await http.get(first["_links"]["next"]["href"])).json()
        contact_fields = (await http.get("/api/v4/contacts/custom_fields")).json()

        assert len(first["_embedded"]["custom_fields"]) == 2
        assert len(second["_embedded"]["custom_fields"]) == 1
        codes = {f["code"]: f["type"] for f in contact_fields["_embedded"]["custom_fields"]}
        assert codes == {"PHONE": "multitext", "EMAIL": "multitext"}


async def test_loss_reasons_are_added_and_listed() -> None:
    async with account() as (_, http):
        assert (await http.get("/api/v4/leads/loss_reasons")).status_code == 204
        await http.post("/api/v4/leads/loss_reasons", json=[{"name": "Дорого", "sort": 1}])

        (reason,) = (await http.get("/api/v4/leads/loss_reasons")).json()["_embedded"][
            "loss_reasons"
        ]
        assert set(reason) >= {"id", "name", "sort", "created_at", "updated_at"}
