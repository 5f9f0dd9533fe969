"""The simulator's OAuth, bearer checks and rate limits, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadbridge.sandbox.amocrm import AmoSandbox, AmoSandboxConfig, create_amocrm_app
from leadbridge.sandbox.serving import serve

pytestmark = pytest.mark.anyio

OAUTH_TYPE = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"


@contextlib.asynccontextmanager
async def simulator(
    config: AmoSandboxConfig | None = None,
) -> AsyncIterator[tuple[AmoSandbox, httpx.AsyncClient]]:
    app = create_amocrm_app(config)
    sandbox: AmoSandbox = app.state.sandbox
    try:
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as http:
            yield sandbox, http
    finally:
        await sandbox.aclose()


def grant(sandbox: AmoSandbox, **fields: Any) -> dict[str, Any]:
    config = sandbox.config
    return {
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "redirect_uri": config.redirect_uri,
        **fields,
    }


async def exchange(sandbox: AmoSandbox, http: httpx.AsyncClient) -> dict[str, Any]:
    body = grant(sandbox, grant_type="authorization_code", code=sandbox.issue_auth_code())
    answer = await http.post("/oauth2/access_token", json=body)
    assert answer.status_code == 200
    pair: dict[str, Any] = answer.json()
    return pair


async def refresh(
    sandbox: AmoSandbox, http: httpx.AsyncClient, refresh_token: str
) -> httpx.Response:
    body = grant(sandbox, grant_type="refresh_token", refresh_token=refresh_token)
    return await http.post("/oauth2/access_token", json=body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(jwt: str) -> dict[str, Any]:
    parts = jwt.split(".")
    assert len(parts) == 3
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return decoded


async def test_a_code_is_exchanged_for_a_bearer_pair_with_a_jwt() -> None:
    async with simulator() as (sandbox, http):
        pair = await exchange(sandbox, http)

        assert pair["token_type"] == "Bearer"
        assert pair["expires_in"] == 86400
        assert abs(pair["server_time"] - time.time()) < 5
        assert claims(pair["access_token"])["exp"] > time.time() + 86000
        assert "api_domain" in claims(pair["access_token"])
        account = await http.get("/api/v4/account", headers=bearer(pair["access_token"]))
        assert account.status_code == 200
        assert account.headers["content-type"].startswith("application/hal+json")
        assert account.json()["subdomain"] == "leadbridge-demo"
        assert account.json()["id"] == 31000001
        fields = {"name", "current_user_id", "country", "is_unsorted_on", "is_loss_reason_enabled"}
        assert fields | {"is_api_filter_enabled", "amojo_id", "uuid", "version"} <= set(
            account.json()
        )


async def test_a_code_works_once_and_only_with_the_registered_redirect_uri() -> None:
    async with simulator() as (sandbox, http):
        code = sandbox.issue_auth_code()
        wrong_uri = grant(
            sandbox, grant_type="authorization_code", code=code, redirect_uri="https://evil"
        )
        assert (await http.post("/oauth2/access_token", json=wrong_uri)).status_code >= 400

        fresh = grant(sandbox, grant_type="authorization_code", code=sandbox.issue_auth_code())
        assert (await http.post("/oauth2/access_token", json=fresh)).status_code == 200
        assert (await http.post("/oauth2/access_token", json=fresh)).status_code >= 400


async def test_the_token_endpoint_also_takes_a_form() -> None:
    async with simulator() as (sandbox, http):
        body = grant(sandbox, grant_type="authorization_code", code=sandbox.issue_auth_code())
        answer = await http.post("/oauth2/access_token", data=body)
        assert answer.status_code == 200
        assert answer.json()["refresh_token"]


async def test_refresh_rotates_and_a_used_refresh_token_is_revoked() -> None:
    async with simulator() as (sandbox, http):
        first = await exchange(sandbox, http)

        rotated = await refresh(sandbox, http, first["refresh_token"])
        again = await refresh(sandbox, http, first["refresh_token"])

        assert rotated.status_code == 200
        assert rotated.json()["refresh_token"] != first["refresh_token"]
        assert rotated.json()["access_token"] != first["access_token"]
        assert again.status_code == 401
        assert again.headers["content-type"].startswith("application/problem+json")
        assert again.json() == {
            "hint": "Token has been revoked",
            "title": "Некорректный запрос",
            "type": OAUTH_TYPE,
            "status": 401,
            "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
        }
        newest = await refresh(sandbox, http, rotated.json()["refresh_token"])
        assert newest.status_code == 200


async def test_a_wrong_client_gets_the_oauth_problem() -> None:
    async with simulator() as (sandbox, http):
        body = grant(
            sandbox,
            grant_type="authorization_code",
            code=sandbox.issue_auth_code(),
            client_secret="nope",
        )
        answer = await http.post("/oauth2/access_token", json=body)

        assert answer.status_code == 401
        assert answer.json()["title"] == "Некорректный клиент"
        assert answer.json()["type"] == OAUTH_TYPE


@pytest.mark.parametrize("header", [{}, {"Authorization": "Bearer forged"}])
async def test_api_calls_without_a_valid_bearer_get_401_problem_json(
    header: dict[str, str],
) -> None:
    async with simulator() as (_, http):
        answer = await http.get("/api/v4/leads", headers=header)

        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["title"] == "Unauthorized"


async def test_an_expired_access_token_gets_401() -> None:
    async with simulator() as (sandbox, http):
        pair = await exchange(sandbox, http)
        sandbox.tokens[pair["access_token"]].expires_at = time.time() - 1

        answer = await http.get("/api/v4/account", headers=bearer(pair["access_token"]))

        assert answer.status_code == 401


async def burst(http: httpx.AsyncClient, token: str, count: int) -> list[httpx.Response]:
    calls = [http.get("/api/v4/account", headers=bearer(token)) for _ in range(count)]
    return list(await asyncio.gather(*calls))


async def test_over_seven_a_second_gets_an_html_429_without_retry_after() -> None:
    async with simulator() as (sandbox, http):
        pair = await exchange(sandbox, http)

        answers = await burst(http, pair["access_token"], 10)

        refused = [a for a in answers if a.status_code == 429]
        assert sum(a.status_code == 200 for a in answers) == 7
        assert len(refused) == 3
        assert all(a.headers["content-type"].startswith("text/html") for a in refused)
        assert all("retry-after" not in a.headers for a in refused)
        stats = sandbox.state_json()["stats"]
        assert stats["rate_limited_total"] == 3
        assert stats["max_integration_rps_observed"] == 7


async def test_refreshed_tokens_share_their_grants_bucket() -> None:
    async with simulator() as (sandbox, http):
        first = await exchange(sandbox, http)
        second = (await refresh(sandbox, http, first["refresh_token"])).json()

        old = await burst(http, first["access_token"], 5)
        new = await burst(http, second["access_token"], 5)

        assert [a.status_code for a in old + new].count(429) == 3


async def test_separate_grants_have_separate_buckets() -> None:
    async with simulator() as (sandbox, http):
        one, two = await exchange(sandbox, http), await exchange(sandbox, http)

        answers = await burst(http, one["access_token"], 7)
        answers += await burst(http, two["access_token"], 7)

        assert all(a.status_code == 200 for a in answers)


async def test_the_account_limit_caps_all_integrations_together() -> None:
    async with simulator(AmoSandboxConfig(account_rps=10)) as (sandbox, http):
        one, two = await exchange(sandbox, http), await exchange(sandbox, http)

        answers = await burst(http, one["access_token"], 7)
        answers += await burst(http, two["access_token"], 7)

        assert [a.status_code for a in answers].count(429) == 4


async def test_a_persons_session_is_not_held_to_the_integration_limit() -> None:
    async with simulator() as (sandbox, http):
        answers = await burst(http, sandbox.issue_person_token(), 20)

        assert all(a.status_code == 200 for a in answers)
        stats = sandbox.state_json()["stats"]
        assert stats["requests_by_token_kind"]["person"] == 20
        assert stats["rate_limited_total"] == 0


async def test_the_limit_window_slides() -> None:
    async with simulator() as (sandbox, http):
        token = (await exchange(sandbox, http))["access_token"]
        assert all(a.status_code == 200 for a in await burst(http, token, 7))

        await asyncio.sleep(1.05)

        assert all(a.status_code == 200 for a in await burst(http, token, 7))


async def test_rehearsal_endpoints_hand_out_codes_and_person_tokens() -> None:
    async with simulator() as (sandbox, http):
        code = (await http.post("/sandbox/auth-code")).json()["auth_code"]
        person = (await http.post("/sandbox/person-token")).json()["access_token"]

        body = grant(sandbox, grant_type="authorization_code", code=code)
        assert (await http.post("/oauth2/access_token", json=body)).status_code == 200
        assert (await http.get("/api/v4/account", headers=bearer(person))).status_code == 200
