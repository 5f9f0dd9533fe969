"""Every write route of the amoCRM simulator refuses a wrong-typed body as amoCRM does — 400,
problem+json, `validation-errors` — and writes nothing; and deals carry a responsible user."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.sandbox.amocrm_rig import (
    account,
    inactive_user,
    new_lead,
    team,
    validation_errors,
)

from leadbridge.sandbox.amocrm import AmoSandbox

pytestmark = pytest.mark.anyio

TYPE_INT = "This value should be of type int."
GOOD_TASK = {"text": "Позвонить", "complete_till": 1_900_000_000}

# (method, path, body, request_id, path of the error, its code) for each write route.
WRONG_BODIES = [
    ("POST", "/api/v4/leads", [{"name": "a"}, {"price": "not a number"}], "1", "price", None),
    ("POST", "/api/v4/leads", [{"status_id": "142", "request_id": "x"}], "x", "status_id", None),
    ("POST", "/api/v4/leads", {"name": "not in an array"}, "0", "", None),
    ("POST", "/api/v4/leads", [{"_embedded": {"tags": "avito"}}], "0", "_embedded.tags", None),
    (
        "POST",
        "/api/v4/leads/complex",
        [{"name": "a", "_embedded": {"contacts": [{"responsible_user_id": "5000002"}]}}],
        "0",
        "_embedded.contacts.0.responsible_user_id",
        None,
    ),
    (
        "POST",
        "/api/v4/leads/complex",
        [{"custom_fields_values": [{"field_id": "1", "values": [{"value": "x"}]}]}],
        "0",
        "custom_fields_values.0.field_id",
        None,
    ),
    ("PATCH", "/api/v4/leads/{lead}", {"price": "1000"}, "0", "price", None),
    ("PATCH", "/api/v4/leads/{lead}", [{"price": 1000}], "0", "", None),
    ("PATCH", "/api/v4/leads", [{"id": "{lead}", "price": 1}], "0", "id", None),
    ("PATCH", "/api/v4/leads", [{"price": 1}], "0", "id", "NotBlank"),
    (
        "POST",
        "/api/v4/leads/notes",
        [{"entity_id": "{lead}", "note_type": "common"}],
        "0",
        "entity_id",
        None,
    ),
    ("POST", "/api/v4/leads/{lead}/notes", [{"params": "text"}], "0", "params", None),
    ("POST", "/api/v4/contacts", [{"first_name": 7}], "0", "first_name", None),
    ("POST", "/api/v4/contacts", [{"custom_fields_values": {}}], "0", "custom_fields_values", None),
    (
        "POST",
        "/api/v4/webhooks",
        {"destination": "http://127.0.0.1:9/h", "settings": "add_lead"},
        "0",
        "settings",
        None,
    ),
    ("POST", "/api/v4/webhooks", {"settings": ["add_lead"]}, "0", "destination", "NotBlank"),
    ("DELETE", "/api/v4/webhooks", {"destination": 9}, "0", "destination", None),
    ("POST", "/api/v4/leads/pipelines", [{"name": "P", "sort": "1"}], "0", "sort", None),
    (
        "POST",
        "/api/v4/leads/pipelines",
        [{"name": "P", "_embedded": {"statuses": [{"name": 1}]}}],
        "0",
        "_embedded.statuses.0.name",
        None,
    ),
    (
        "POST",
        "/api/v4/leads/pipelines/{pipeline}/statuses",
        [{"name": "S", "sort": "20"}],
        "0",
        "sort",
        None,
    ),
    (
        "PATCH",
        "/api/v4/leads/pipelines/{pipeline}/statuses/{status}",
        {"name": ["x"]},
        "0",
        "name",
        None,
    ),
    (
        "POST",
        "/api/v4/leads/custom_fields",
        [{"name": "F", "type": "select", "enums": "a"}],
        "0",
        "enums",
        None,
    ),
    ("POST", "/api/v4/leads/custom_fields", [{"name": "F"}], "0", "type", "NotBlank"),
    ("POST", "/api/v4/leads/loss_reasons", [{"name": 5}], "0", "name", None),
    (
        "POST",
        "/api/v4/tasks",
        [GOOD_TASK, {**GOOD_TASK, "complete_till": "tomorrow"}],
        "1",
        "complete_till",
        None,
    ),
    ("PATCH", "/api/v4/tasks", [{"id": "{task}", "is_completed": True}], "0", "id", None),
    ("PATCH", "/api/v4/tasks/{task}", {"is_completed": "yes"}, "0", "is_completed", None),
    ("PATCH", "/api/v4/tasks/{task}", {"result": "done"}, "0", "result", None),
]


async def seeded(sandbox: AmoSandbox, http: Any) -> dict[str, Any]:
    """One of everything a wrong body could name."""
    lead = await new_lead(http)
    answer = await http.post(
        "/api/v4/tasks", json=[{**GOOD_TASK, "entity_id": lead, "entity_type": "leads"}]
    )
    pipeline = sandbox.main_pipeline()
    status = next(s for s in sandbox.pipelines[pipeline]["statuses"] if s not in (142, 143))
    await http.post("/api/v4/webhooks", json={"destination": "http://127.0.0.1:9/h"})
    task = answer.json()["_embedded"]["tasks"][0]["id"]
    return {"lead": lead, "task": task, "pipeline": pipeline, "status": status}


def filled(value: Any, ids: dict[str, Any]) -> Any:
    """The body with "{lead}"-style placeholders replaced; a whole placeholder stays a string
    when quoted, which is the wrong type these bodies want."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [filled(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: filled(item, ids) for key, item in value.items()}
    return value


def without_stats(sandbox: AmoSandbox) -> dict[str, Any]:
    state = sandbox.state_json()
    del state["stats"]
    return state


@pytest.mark.parametrize(("method", "path", "body", "request_id", "where", "code"), WRONG_BODIES)
async def test_a_wrong_type_is_a_validation_error_and_nothing_is_written(
    method: str, path: str, body: Any, request_id: str, where: str, code: str | None
) -> None:
    async with account() as (sandbox, http):
        ids = await seeded(sandbox, http)
        before = without_stats(sandbox)

        answer = await http.request(method, path.format(**ids), json=filled(body, ids))

        (problem,) = validation_errors(answer)
        assert problem["request_id"] == request_id
        (error,) = problem["errors"]
        assert error["path"] == where
        assert error["code"] == (code or "InvalidType")
        if code is None:
            assert error["detail"].startswith("This value should be of type ")
        assert without_stats(sandbox) == before


async def test_price_as_text_is_amocrms_message() -> None:
    async with account() as (sandbox, http):
        answer = await http.post("/api/v4/leads", json=[{"price": "not a number"}])

        (problem,) = validation_errors(answer)
        assert problem == {
            "request_id": "0",
            "errors": [{"code": "InvalidType", "path": "price", "detail": TYPE_INT}],
        }
        assert sandbox.leads == {}


async def test_each_failing_element_and_field_is_listed() -> None:
    async with account() as (sandbox, http):
        answer = await http.post(
            "/api/v4/leads",
            json=[
                {"name": "fine"},
                {"price": "1", "status_id": "2", "request_id": "a"},
                {"name": 3},
            ],
        )

        problems = validation_errors(answer)
        assert [p["request_id"] for p in problems] == ["a", "2"]
        assert [e["path"] for e in problems[0]["errors"]] == ["price", "status_id"]
        assert sandbox.leads == {}


@pytest.mark.parametrize(
    "raw",
    [b'[{"name": ', b"\xff\xfe", b"", b"null", b"7"],
    ids=["cut", "bytes", "empty", "null", "number"],
)
async def test_a_body_that_is_not_a_json_array_is_refused(raw: bytes) -> None:
    async with account() as (sandbox, http):
        headers = {"Content-Type": "application/json"}
        for path in ("/api/v4/leads", "/api/v4/leads/complex", "/api/v4/tasks"):
            answer = await http.post(path, content=raw, headers=headers)

            (problem,) = validation_errors(answer)
            assert problem["request_id"] == "0"
        assert sandbox.leads == {}
        assert sandbox.tasks == {}


async def test_a_null_field_is_not_given() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http, price=500)

        answer = await http.patch(
            f"/api/v4/leads/{lead}", json={"price": None, "status_id": None, "name": "b"}
        )

        assert answer.status_code == 200
        assert sandbox.leads[lead]["price"] == 500
        assert sandbox.leads[lead]["name"] == "b"


async def test_a_deal_has_a_responsible_user_set_changed_and_filtered() -> None:
    async with account() as (sandbox, http):
        anna, dmitry = team(sandbox, "Москва")[:2]
        maria = team(sandbox, "Санкт-Петербург")[0]
        mine = await new_lead(http, responsible_user_id=anna)
        plain = await new_lead(http)
        (row,) = (
            await http.post(
                "/api/v4/leads/complex",
                json=[
                    {
                        "name": "iPhone",
                        "responsible_user_id": maria,
                        "_embedded": {"contacts": [{"first_name": "Олег"}]},
                    }
                ],
            )
        ).json()

        moved = await http.patch(f"/api/v4/leads/{mine}", json={"responsible_user_id": dmitry})
        batch = await http.patch("/api/v4/leads", json=[{"id": plain, "responsible_user_id": anna}])

        assert (moved.status_code, batch.status_code) == (200, 200)
        read = (await http.get(f"/api/v4/leads/{mine}")).json()
        assert read["responsible_user_id"] == dmitry
        assert read["group_id"] == sandbox.users.group_id(dmitry)
        complex_deal = (await http.get(f"/api/v4/leads/{row['id']}")).json()
        assert complex_deal["responsible_user_id"] == maria
        contact = (await http.get(f"/api/v4/contacts/{row['contact_id']}")).json()
        assert contact["responsible_user_id"] == sandbox.users.integration_id

        async def responsible(*users: int) -> list[int]:
            params = [("filter[responsible_user_id][]", str(user)) for user in users]
            answer = await http.get("/api/v4/leads", params=params)
            return (
                []
                if answer.status_code == 204
                else [lead["id"] for lead in answer.json()["_embedded"]["leads"]]
            )

        assert await responsible(anna) == [plain]
        assert await responsible(dmitry, maria) == [mine, row["id"]]
        assert await responsible(team(sandbox, "Казань")[0]) == []
        state = (await http.get("/sandbox/state")).json()
        by_id = {lead["id"]: lead["responsible_user_id"] for lead in state["leads"]}
        assert by_id == {mine: dmitry, plain: anna, row["id"]: maria}


async def test_a_deal_made_without_one_is_the_integrations() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)

        assert sandbox.leads[lead]["responsible_user_id"] == sandbox.users.integration_id


@pytest.mark.parametrize("who", ["unknown", "inactive"])
async def test_a_responsible_user_who_cannot_work_deals_is_refused(who: str) -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        user = 42 if who == "unknown" else inactive_user(sandbox)
        before = without_stats(sandbox)
        contact = {"first_name": "Олег", "responsible_user_id": user}

        answers = [
            await http.post("/api/v4/leads", json=[{"name": "a", "responsible_user_id": user}]),
            await http.post(
                "/api/v4/leads/complex", json=[{"name": "a", "_embedded": {"contacts": [contact]}}]
            ),
            await http.patch(f"/api/v4/leads/{lead}", json={"responsible_user_id": user}),
            await http.patch("/api/v4/leads", json=[{"id": lead, "responsible_user_id": user}]),
            await http.post("/api/v4/contacts", json=[contact]),
        ]

        paths = [validation_errors(answer)[0]["errors"][0] for answer in answers]
        assert {error["code"] for error in paths} == {"NotSupportedChoice"}
        assert [error["path"] for error in paths] == [
            "responsible_user_id",
            "_embedded.contacts.0.responsible_user_id",
            "responsible_user_id",
            "responsible_user_id",
            "responsible_user_id",
        ]
        assert without_stats(sandbox) == before


async def test_sandbox_controls_refuse_what_would_break_a_later_call() -> None:
    async with account() as (sandbox, http):
        before = sandbox.faults.profile

        knob = await http.post("/sandbox/faults", json={"write_5xx_probability": "high"})
        garbled = await http.post(
            "/sandbox/faults", content=b"{", headers={"Content-Type": "application/json"}
        )
        block = await http.post("/sandbox/block", json={"seconds": "long"})

        assert (knob.status_code, garbled.status_code, block.status_code) == (400, 400, 400)
        assert sandbox.faults.profile == before
        assert sandbox.block.until == 0.0
        assert (await http.post("/api/v4/leads", json=[{"name": "a"}])).status_code == 200
