import uuid
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request, Response

from leadbridge.sandbox.avito import AvitoSandbox, AvitoSandboxConfig, create_avito_app
from leadbridge.sandbox.serving import serve

CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "avito-demo-client",
    "client_secret": "avito-demo-secret",
}
WEBHOOK = "/partner/buyout/v1/webhook"


class Receiver:
    """A partner endpoint that records what it gets and answers as scripted."""

    def __init__(self, answers: list[int] | None = None, delays: list[float] | None = None):
        self.answers = answers or []
        self.delays = delays or []
        self.calls: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/hook")(self.hook)

    async def hook(self, request: Request) -> Response:
        self.calls.append(
            {"secret": request.headers.get("x-avito-webhook-secret"), "body": await request.json()}
        )
        if self.delays:
            await anyio.sleep(self.delays.pop(0))
        return Response(status_code=self.answers.pop(0) if self.answers else 200)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [call["body"] for call in self.calls if call["body"]]


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(250):
        if condition():
            return
        await anyio.sleep(0.02)
    raise AssertionError("condition not met within 5 s")


async def authorized(client: httpx.AsyncClient) -> None:
    token = (await client.post("/token", data=CREDENTIALS)).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


def fast_sandbox(app: FastAPI) -> AvitoSandbox:
    sandbox: AvitoSandbox = app.state.sandbox
    sandbox.retry_delay_scale = 0.01
    return sandbox


@pytest.mark.anyio
async def test_registration_pings_then_each_lead_is_pushed_with_the_secret() -> None:
    receiver = Receiver()
    app = create_avito_app()
    async with (
        serve(receiver.app) as hook_url,
        serve(app) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        await authorized(client)
        body = {"url": f"{hook_url}/hook", "secret": "s3cret"}
        registered = await client.put(WEBHOOK, json=body)
        assert registered.status_code == 200
        assert receiver.calls == [{"secret": "s3cret", "body": {}}]
        lead = (await client.post("/sandbox/leads", json={})).json()
        await until(lambda: len(receiver.events) == 1)
        shown = (await client.get(WEBHOOK)).json()
    [event] = receiver.events
    assert receiver.calls[1]["secret"] == "s3cret"
    assert uuid.UUID(event["id"])
    assert event["version"] == 1
    assert event["timestamp"].endswith("Z")
    assert event["payload"] == {"type": "lead.created", "lead": lead}
    assert shown["url"] == f"{hook_url}/hook"
    assert shown["counters"]["delivered"] == 1
    assert "s3cret" not in str(shown)


@pytest.mark.anyio
async def test_registration_fails_when_the_ping_is_not_acknowledged() -> None:
    receiver = Receiver(answers=[500])
    async with (
        serve(receiver.app) as hook_url,
        serve(create_avito_app()) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        await authorized(client)
        body = {"url": f"{hook_url}/hook", "secret": "s"}
        response = await client.put(WEBHOOK, json=body)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 400
        assert (await client.get(WEBHOOK)).json()["url"] is None


@pytest.mark.anyio
async def test_delivery_is_retried_until_acknowledged_with_the_same_envelope() -> None:
    receiver = Receiver(answers=[200, 500, 503])
    app = create_avito_app()
    sandbox = fast_sandbox(app)
    async with (
        serve(receiver.app) as hook_url,
        serve(app) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        await authorized(client)
        await client.put(WEBHOOK, json={"url": f"{hook_url}/hook", "secret": "s"})
        sandbox.add_lead()
        await until(lambda: len(receiver.events) == 3)
        await until(lambda: sandbox.webhooks.counters.delivered == 1)
    assert len({event["id"] for event in receiver.events}) == 1
    counters = sandbox.state_json()["webhook"]["counters"]
    assert (counters["attempts"], counters["failed_attempts"]) == (3, 2)


@pytest.mark.anyio
async def test_an_answer_later_than_the_ack_timeout_counts_as_a_failure() -> None:
    receiver = Receiver(delays=[0.0, 0.5])
    app = create_avito_app(AvitoSandboxConfig(webhook_ack_timeout_s=0.2))
    sandbox = fast_sandbox(app)
    async with (
        serve(receiver.app) as hook_url,
        serve(app) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        await authorized(client)
        await client.put(WEBHOOK, json={"url": f"{hook_url}/hook", "secret": "s"})
        sandbox.add_lead()
        await until(lambda: sandbox.webhooks.counters.delivered == 1)
    assert sandbox.webhooks.counters.failed_attempts == 1
    assert len(receiver.events) == 2


@pytest.mark.anyio
async def test_duplicates_keep_their_envelope_id_so_receivers_can_dedupe() -> None:
    receiver = Receiver()
    app = create_avito_app(AvitoSandboxConfig(webhook_duplicate_probability=1.0))
    sandbox = fast_sandbox(app)
    async with (
        serve(receiver.app) as hook_url,
        serve(app) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        await authorized(client)
        await client.put(WEBHOOK, json={"url": f"{hook_url}/hook", "secret": "s"})
        leads = [sandbox.add_lead() for _ in range(3)]
        await until(lambda: len(receiver.events) == 6)
    unique = {event["id"]: event["payload"]["lead"]["id"] for event in receiver.events}
    assert sorted(unique.values()) == sorted(lead["id"] for lead in leads)
    assert sandbox.webhooks.counters.duplicates_sent == 3
