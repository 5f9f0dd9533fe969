import httpx
import pytest

from leadbridge.sandbox.avito import AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.serving import serve

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
FEED = "/partner/buyout/v1/leads/get"


@pytest.mark.anyio
async def test_token_is_issued_for_good_credentials() -> None:
    async with serve(create_avito_app()) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/token", data=CREDENTIALS)
        assert response.status_code == 200
        body = response.json()
        assert body["expires_in"] == 86400
        assert body["token_type"] == "Bearer"
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        feed = await client.post(FEED, json={"lastId": None, "limit": 10}, headers=headers)
        assert feed.status_code == 200


@pytest.mark.anyio
async def test_bad_credentials_are_400() -> None:
    async with serve(create_avito_app()) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/token", data={**CREDENTIALS, "client_secret": "wrong"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 400


@pytest.mark.anyio
@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic abc"])
async def test_missing_or_unknown_token_is_401(authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with serve(create_avito_app()) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post(FEED, json={}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 401


@pytest.mark.anyio
async def test_expired_token_is_403() -> None:
    now = [1000.0]
    app = create_avito_app(AvitoSandboxConfig(token_ttl_s=60), clock=lambda: now[0])
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        now[0] += 59.9
        assert (await client.post(FEED, json={}, headers=headers)).status_code == 200
        now[0] += 0.2
        response = await client.post(FEED, json={}, headers=headers)
        assert response.status_code == 403
        assert response.json() == {"error": {"code": 403, "message": "token expired"}}


@pytest.mark.anyio
async def test_admin_can_expire_every_token() -> None:
    async with serve(create_avito_app()) as url, httpx.AsyncClient(base_url=url) as client:
        token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
        await client.post("/sandbox/tokens/expire")
        response = await client.post(FEED, json={}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403
