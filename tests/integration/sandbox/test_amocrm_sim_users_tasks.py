"""Users, tasks and a pipeline's statuses in the amoCRM simulator, over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from tests.integration.sandbox.amocrm_rig import (
    PROBLEM,
    account,
    inactive_user,
    new_lead,
    team,
    users_named,
    validation_errors,
)

from leadbridge.sandbox.amocrm import AmoSandboxConfig, UserSeed

pytestmark = pytest.mark.anyio

CITIES = {"Москва", "Санкт-Петербург", "Казань", "Екатеринбург"}


async def test_users_are_city_teams_an_inactive_one_and_the_integration() -> None:
    async with account() as (sandbox, http):
        answer = await http.get("/api/v4/users", params={"with": "group"})

        assert answer.headers["content-type"].startswith("application/hal+json")
        body = answer.json()
        users = body["_embedded"]["users"]
        assert body["_total_items"] == len(users) == len(sandbox.users.users)
        assert body["_page_count"] == 1
        integration = users[0]
        assert integration["id"] == sandbox.users.integration_id
        assert integration["rights"]["is_admin"] is True
        assert integration["_embedded"]["groups"] == []
        cities = {u["_embedded"]["groups"][0]["name"] for u in users[1:]}
        assert cities == CITIES
        for user in users:
            assert {"id", "name", "email", "lang", "rights", "_links"} <= set(user)
            assert {"is_active", "is_admin", "is_free", "group_id", "role_id"} <= set(
                user["rights"]
            )
        assert [u["rights"]["is_active"] for u in users].count(False) == 1
        for city in CITIES:
            assert len(team(sandbox, city)) >= 2


async def test_users_page_and_one_is_read_by_id() -> None:
    async with account() as (sandbox, http):
        first = (await http.get("/api/v4/users", params={"limit": 5})).json()
        second = (await http.get(first["_links"]["next"]["href"])).json()
        manager = users_named(sandbox)["Рустам Галиев"]
        one = await http.get(f"/api/v4/users/{manager}", params={"with": "group,phone_number"})
        missing = await http.get("/api/v4/users/1")

        assert (first["_page"], second["_page"]) == (1, 2)
        assert len(first["_embedded"]["users"]) == 5
        seen = [u["id"] for u in first["_embedded"]["users"] + second["_embedded"]["users"]]
        assert seen == list(sandbox.users.users)[:10]
        assert one.json()["_embedded"]["groups"][0]["name"] == "Казань"
        assert "phone_number" in one.json()
        assert (missing.status_code, missing.content) == (204, b"")


async def test_only_an_administrator_lists_users() -> None:
    async with account() as (sandbox, http):
        manager = team(sandbox, "Москва")[0]
        session = {"Authorization": f"Bearer {sandbox.issue_person_token(manager)}"}

        refused = await http.get("/api/v4/users", headers=session)
        one = await http.get(f"/api/v4/users/{manager}", headers=session)

        for answer in (refused, one):
            assert answer.status_code == 403
            assert answer.headers["content-type"].startswith(PROBLEM)
            assert answer.json()["status"] == 403


async def test_the_set_of_users_is_configurable() -> None:
    config = AmoSandboxConfig(users=(UserSeed("Пётр", "p@x.example", "Сочи"),))
    async with account(config) as (sandbox, http):
        users = (await http.get("/api/v4/users", params={"with": "group"})).json()
        state = (await http.get("/sandbox/state")).json()

        names = [u["name"] for u in users["_embedded"]["users"]]
        assert names == [sandbox.config.integration_user.name, "Пётр"]
        assert state["user_groups"] == [{"id": team_group(state), "name": "Сочи"}]
        assert [u["name"] for u in state["users"]] == names


def team_group(state: dict[str, Any]) -> int:
    group_id: int = state["users"][1]["rights"]["group_id"]
    return group_id


def call(lead_id: int, responsible: int, **more: Any) -> dict[str, Any]:
    deadline = int(time.time()) + 3600
    return {
        "text": "Позвонить продавцу",
        "complete_till": deadline,
        "entity_type": "leads",
        "entity_id": lead_id,
        "responsible_user_id": responsible,
        "task_type_id": 1,
        **more,
    }


async def test_tasks_are_created_in_a_batch_and_read_back() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        anna, dmitry = team(sandbox, "Москва")[:2]

        answer = await http.post(
            "/api/v4/tasks",
            json=[call(lead, anna, request_id="call-1"), call(lead, dmitry), {**call(lead, anna)}],
        )

        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/hal+json")
        rows = answer.json()["_embedded"]["tasks"]
        assert [row["request_id"] for row in rows] == ["call-1", "1", "2"]
        assert all(row["_links"]["self"]["href"] == f"/api/v4/tasks/{row['id']}" for row in rows)
        task = (await http.get(f"/api/v4/tasks/{rows[0]['id']}")).json()
        assert task["text"] == "Позвонить продавцу"
        assert (task["entity_type"], task["entity_id"]) == ("leads", lead)
        assert (task["responsible_user_id"], task["task_type_id"]) == (anna, 1)
        assert task["is_completed"] is False
        assert task["result"] == []  # amoCRM's empty PHP array for "no result"
        assert task["created_by"] == sandbox.users.integration_id
        assert task["group_id"] == sandbox.users.group_id(anna)
        assert abs(task["created_at"] - time.time()) < 5
        assert "request_id" not in task
        assert (await http.get("/api/v4/tasks/1")).status_code == 204
        state = (await http.get("/sandbox/state")).json()
        assert [t["id"] for t in state["tasks"]] == [row["id"] for row in rows]


async def test_a_task_without_a_responsible_user_is_the_acting_users() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        body = call(lead, 0)
        del body["responsible_user_id"]

        (row,) = (await http.post("/api/v4/tasks", json=[body])).json()["_embedded"]["tasks"]

        assert sandbox.tasks[row["id"]]["responsible_user_id"] == sandbox.users.integration_id


async def test_tasks_are_listed_with_filters_and_pages() -> None:
    async with account() as (sandbox, http):
        first, second = await new_lead(http), await new_lead(http)
        anna, dmitry = team(sandbox, "Москва")[:2]
        rustam = team(sandbox, "Казань")[0]
        tasks = [call(first, anna), call(first, dmitry), call(second, anna), call(second, rustam)]
        ids = [
            row["id"]
            for row in (await http.post("/api/v4/tasks", json=tasks)).json()["_embedded"]["tasks"]
        ]
        await http.patch(f"/api/v4/tasks/{ids[2]}", json={"is_completed": True})

        async def listed(params: Any) -> list[int]:
            answer = await http.get("/api/v4/tasks", params=params)
            if answer.status_code == 204:
                return []
            return [task["id"] for task in answer.json()["_embedded"]["tasks"]]

        on_first = [("filter[entity_type]", "leads"), ("filter[entity_id][]", str(first))]
        assert await listed(on_first) == ids[:2]
        by_people = [("filter[responsible_user_id][]", str(u)) for u in (anna, rustam)]
        assert await listed(by_people) == [ids[0], ids[2], ids[3]]
        assert await listed({"filter[responsible_user_id]": dmitry}) == [ids[1]]
        assert await listed({"filter[is_completed]": 1}) == [ids[2]]
        assert await listed({"filter[is_completed]": 0}) == [ids[0], ids[1], ids[3]]
        open_of_anna = {"filter[is_completed]": 0, "filter[responsible_user_id][0]": anna}
        assert await listed(open_of_anna) == [ids[0]]
        assert await listed({"filter[entity_type]": "contacts"}) == []
        assert await listed({"order[id]": "desc"}) == ids[::-1]

        page = (await http.get("/api/v4/tasks", params={"limit": 3})).json()
        rest = (await http.get(page["_links"]["next"]["href"])).json()
        assert [t["id"] for t in page["_embedded"]["tasks"] + rest["_embedded"]["tasks"]] == ids
        assert (await http.get("/api/v4/tasks", params={"limit": 3, "page": 3})).status_code == 204


async def test_a_task_is_completed_with_a_result() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        manager = team(sandbox, "Екатеринбург")[0]
        (row,) = (await http.post("/api/v4/tasks", json=[call(lead, manager)])).json()["_embedded"][
            "tasks"
        ]
        session = {"Authorization": f"Bearer {sandbox.issue_person_token(manager)}"}

        done = await http.patch(
            f"/api/v4/tasks/{row['id']}",
            json={"is_completed": True, "result": {"text": "Продавец согласен на 30 000"}},
            headers=session,
        )

        assert done.status_code == 200
        assert set(done.json()) == {"id", "updated_at", "request_id", "_links"}
        task = (await http.get(f"/api/v4/tasks/{row['id']}")).json()
        assert task["is_completed"] is True
        assert task["result"] == {"text": "Продавец согласен на 30 000"}
        assert task["updated_by"] == manager
        assert (await http.patch("/api/v4/tasks/1", json={"is_completed": True})).status_code == 204


async def test_tasks_are_changed_in_a_batch_or_not_at_all() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        anna, dmitry = team(sandbox, "Москва")[:2]
        rows = (await http.post("/api/v4/tasks", json=[call(lead, anna)] * 2)).json()["_embedded"][
            "tasks"
        ]
        before = (await http.get("/sandbox/state")).json()["tasks"]

        unknown = await http.patch(
            "/api/v4/tasks",
            json=[{"id": rows[0]["id"], "is_completed": True}, {"id": 1, "text": "x"}],
        )
        stranger = await http.patch(
            "/api/v4/tasks",
            json=[
                {"id": rows[0]["id"], "is_completed": True},
                {"id": rows[1]["id"], "responsible_user_id": 42},
            ],
        )
        assert (await http.get("/sandbox/state")).json()["tasks"] == before

        changed = await http.patch(
            "/api/v4/tasks",
            json=[
                {"id": rows[0]["id"], "is_completed": True, "result": {"text": "Дозвонился"}},
                {"id": rows[1]["id"], "responsible_user_id": dmitry, "request_id": "hand-over"},
            ],
        )

        assert validation_errors(unknown) == [
            {
                "request_id": "1",
                "errors": [
                    {
                        "code": "NotSupportedChoice",
                        "path": "id",
                        "detail": "The value you selected is not a valid choice.",
                    }
                ],
            }
        ]
        assert validation_errors(stranger)[0]["errors"][0]["path"] == "responsible_user_id"
        answered = changed.json()["_embedded"]["tasks"]
        assert [row["request_id"] for row in answered] == ["0", "hand-over"]
        assert {"id", "updated_at", "_links"} <= set(answered[0])
        assert sandbox.tasks[rows[0]["id"]]["is_completed"] is True
        assert sandbox.tasks[rows[1]["id"]]["responsible_user_id"] == dmitry


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"entity_id": 1}, "entity_id"),
        ({"entity_type": "deals"}, "entity_type"),
        ({"task_type_id": 99}, "task_type_id"),
        ({"responsible_user_id": 42}, "responsible_user_id"),
        ({"text": ""}, "text"),
        ({"complete_till": None}, "complete_till"),
    ],
)
async def test_a_task_that_names_nothing_real_fails_the_batch(
    change: dict[str, Any], path: str
) -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        manager = team(sandbox, "Москва")[0]

        answer = await http.post(
            "/api/v4/tasks", json=[call(lead, manager), call(lead, manager, **change)]
        )

        (problem,) = validation_errors(answer)
        assert problem["request_id"] == "1"
        assert [error["path"] for error in problem["errors"]] == [path]
        assert sandbox.tasks == {}


async def test_a_task_for_an_inactive_user_is_refused() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)

        answer = await http.post("/api/v4/tasks", json=[call(lead, inactive_user(sandbox))])

        assert validation_errors(answer)[0]["errors"][0]["code"] == "NotSupportedChoice"


async def test_at_most_250_tasks_go_in_one_request() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        manager = team(sandbox, "Москва")[0]

        too_many = await http.post("/api/v4/tasks", json=[call(lead, manager)] * 251)
        most = await http.post("/api/v4/tasks", json=[call(lead, manager)] * 250)

        assert validation_errors(too_many)[0]["errors"][0]["code"] == "TooManyEntities"
        assert most.status_code == 200
        assert len(sandbox.tasks) == 250


async def test_a_deals_closest_task_follows_its_open_tasks() -> None:
    async with account() as (sandbox, http):
        lead = await new_lead(http)
        manager = team(sandbox, "Москва")[0]
        soon, later = int(time.time()) + 600, int(time.time()) + 7200
        rows = (
            await http.post(
                "/api/v4/tasks",
                json=[call(lead, manager, complete_till=t) for t in (later, soon)],
            )
        ).json()["_embedded"]["tasks"]

        async def closest() -> Any:
            return (await http.get(f"/api/v4/leads/{lead}")).json()["closest_task_at"]

        assert await closest() == soon
        await http.patch(f"/api/v4/tasks/{rows[1]['id']}", json={"is_completed": True})
        assert await closest() == later
        await http.patch(f"/api/v4/tasks/{rows[0]['id']}", json={"is_completed": True})
        assert await closest() is None


async def test_a_pipelines_statuses_are_listed_in_order() -> None:
    async with account() as (sandbox, http):
        pipeline_id = sandbox.main_pipeline()

        answer = await http.get(f"/api/v4/leads/pipelines/{pipeline_id}/statuses")
        described = await http.get(
            f"/api/v4/leads/pipelines/{pipeline_id}/statuses", params={"with": "descriptions"}
        )
        one = await http.get(f"/api/v4/leads/pipelines/{pipeline_id}/statuses/142")

        body = answer.json()
        statuses = body["_embedded"]["statuses"]
        assert (
            body["_total_items"] == len(statuses) == len(sandbox.pipelines[pipeline_id]["statuses"])
        )
        assert [s["sort"] for s in statuses] == sorted(s["sort"] for s in statuses)
        assert statuses[0]["type"] == 1  # the unsorted stage comes first
        assert [s["id"] for s in statuses[-2:]] == [142, 143]
        assert all(s["pipeline_id"] == pipeline_id for s in statuses)
        assert "descriptions" not in statuses[0]
        assert described.json()["_embedded"]["statuses"][1]["descriptions"] == []
        assert one.json()["name"] == "Успешно реализовано"
        for missing in ("/api/v4/leads/pipelines/1/statuses", f"{one.url.path[:-3]}999"):
            assert (await http.get(missing)).status_code == 204


async def test_without_a_token_users_and_tasks_are_401() -> None:
    async with account() as (_, http), httpx.AsyncClient(base_url=str(http.base_url)) as bare:
        for path in ("/api/v4/users", "/api/v4/tasks"):
            assert (await bare.get(path)).status_code == 401
