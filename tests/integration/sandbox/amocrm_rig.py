"""The amoCRM simulator served on loopback, and clients carrying its tokens."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from leadbridge.sandbox.amocrm import AmoSandbox, AmoSandboxConfig, create_amocrm_app
from leadbridge.sandbox.serving import serve

PROBLEM = "application/problem+json"


@contextlib.asynccontextmanager
async def account(
    config: AmoSandboxConfig | None = None,
) -> AsyncIterator[tuple[AmoSandbox, httpx.AsyncClient]]:
    """The simulator and a client with the integration's long-lived token (its admin user)."""
    app = create_amocrm_app(config)
    sandbox: AmoSandbox = app.state.sandbox
    sandbox.config.integration_rps = 10_000  # these tests are about shapes, not limits
    sandbox.config.account_rps = 10_000
    headers = {"Authorization": f"Bearer {sandbox.issue_long_lived_token()}"}
    try:
        async with serve(app) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
            yield sandbox, http
    finally:
        await sandbox.aclose()


def users_named(sandbox: AmoSandbox) -> dict[str, int]:
    return {user["name"]: user_id for user_id, user in sandbox.users.users.items()}


def team(sandbox: AmoSandbox, city: str) -> list[int]:
    """The ids of the city's active managers."""
    group = next(gid for gid, name in sandbox.users.groups.items() if name == city)
    return [
        user_id
        for user_id, user in sandbox.users.users.items()
        if user["rights"]["group_id"] == group and user["rights"]["is_active"]
    ]


def inactive_user(sandbox: AmoSandbox) -> int:
    return next(
        user_id for user_id, user in sandbox.users.users.items() if not user["rights"]["is_active"]
    )


async def new_lead(http: httpx.AsyncClient, **fields: Any) -> int:
    answer = await http.post("/api/v4/leads", json=[{"name": "iPhone 13", **fields}])
    assert answer.status_code == 200, answer.text
    lead_id: int = answer.json()["_embedded"]["leads"][0]["id"]
    return lead_id


def validation_errors(answer: httpx.Response) -> list[dict[str, Any]]:
    """The `validation-errors` of a 400 in amoCRM's problem+json shape (reference §10)."""
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert {key: body[key] for key in ("title", "type", "status", "detail")} == {
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }
    problems: list[dict[str, Any]] = body["validation-errors"]
    for problem in problems:
        assert set(problem) == {"request_id", "errors"}
        assert all(set(error) == {"code", "path", "detail"} for error in problem["errors"])
    return problems
