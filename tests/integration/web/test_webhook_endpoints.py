"""Webhook endpoints over real HTTP: what is accepted is stored once; bad input is refused with
a 4xx, and stores nothing but — when it came with the right credentials — its raw body in
quarantine."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import func, select

from leadbridge.config import AmoCrmSettings, AvitoSettings, Settings, WebSettings
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent, Lead
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
TOKEN = "s3cret-path-token"
ACCOUNT_ID = 31000001


@dataclass
class Endpoint:
    http: httpx.AsyncClient
    db: Database

    async def counts(self) -> tuple[int, int]:
        """Leads, and received events that are not in quarantine."""
        async with self.db.transaction() as session:
            leads = await session.scalar(select(func.count()).select_from(Lead))
            events = await session.scalar(
                select(func.count()).where(InboxEvent.quarantined_at.is_(None))
            )
        return int(leads or 0), int(events or 0)

    async def quarantined(self) -> int:
        async with self.db.transaction() as session:
            count = await session.scalar(
                select(func.count()).where(InboxEvent.quarantined_at.is_not(None))
            )
        return int(count or 0)


AVITO_SECRET = "avito-shared-secret"


@pytest.fixture
async def endpoint(database_url: str) -> AsyncIterator[Endpoint]:
    upgrade(database_url)
    settings = Settings(
        database_url=database_url,
        web=WebSettings(webhook_token=TOKEN, max_body_bytes=4096),  # type: ignore[arg-type]
        amocrm=AmoCrmSettings(account_id=ACCOUNT_ID),
        avito=AvitoSettings(webhook_secret=AVITO_SECRET),  # type: ignore[arg-type]
    )
    db = Database(database_url)
    app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
    headers = {"X-Avito-Webhook-Secret": AVITO_SECRET}
    async with serve(app) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        yield Endpoint(http, db)
    await db.dispose()


def _envelope(lead: dict[str, object], event_id: str = "e-1") -> dict[str, object]:
    return {
        "id": event_id,
        "version": 1,
        "timestamp": "2026-11-23T10:00:00Z",
        "payload": {"type": "lead.created", "lead": lead},
    }


async def test_avito_lead_is_stored_once_however_often_it_arrives(endpoint: Endpoint) -> None:
    lead = LeadFactory(seed=3).make()
    first = await endpoint.http.post(f"/webhooks/avito/{TOKEN}", json=_envelope(lead, "e-1"))
    again = await endpoint.http.post(f"/webhooks/avito/{TOKEN}", json=_envelope(lead, "e-2"))

    assert first.json()["result"] == "new"
    assert again.json()["result"] == "duplicate"
    assert await endpoint.counts() == (1, 1)


async def test_avito_registration_ping_is_acknowledged(endpoint: Endpoint) -> None:
    response = await endpoint.http.post(f"/webhooks/avito/{TOKEN}", json={})
    assert response.status_code == 200
    assert await endpoint.counts() == (0, 0)


@pytest.mark.parametrize(
    ("path", "body", "status", "kept"),
    [
        ("/webhooks/avito/wrong-token", json.dumps(_envelope({"id": "x"})), 404, 0),
        # Avito's are acknowledged once kept: refusing would make Avito give up on them.
        (f"/webhooks/avito/{TOKEN}", "not json", 200, 1),
        (f"/webhooks/avito/{TOKEN}", "[1, 2]", 200, 1),
        (f"/webhooks/avito/{TOKEN}", json.dumps({"id": "e", "payload": {}}), 200, 1),
        (f"/webhooks/avito/{TOKEN}", json.dumps(_envelope({"id": "b-1"})), 200, 1),
        (f"/webhooks/avito/{TOKEN}", json.dumps({"payload": {"type": "lead.created"}}), 200, 1),
        (f"/webhooks/avito/{TOKEN}", json.dumps({"pad": "x" * 5000}), 413, 0),
        ("/webhooks/amocrm/wrong-token", f"account[id]={ACCOUNT_ID}", 404, 0),
        (f"/webhooks/amocrm/{TOKEN}", "hello=world", 400, 1),
        (f"/webhooks/amocrm/{TOKEN}", "leads[status][0][id]=1&account[id]=999", 403, 0),
        (f"/webhooks/amocrm/{TOKEN}", "x" * 5000, 413, 0),
    ],
)
async def test_bad_input_is_refused_or_kept_in_quarantine(
    endpoint: Endpoint, path: str, body: str, status: int, kept: int
) -> None:
    """Kept: an authenticated body that cannot be interpreted; not: one without the token, too
    large, or from another account."""
    response = await endpoint.http.post(path, content=body.encode())
    assert response.status_code == status
    if status == 200:
        assert response.json()["result"] == "quarantined"
    assert await endpoint.counts() == (0, 0)
    assert await endpoint.quarantined() == kept


async def test_amocrm_webhook_is_stored_raw_and_a_redelivery_is_a_no_op(endpoint: Endpoint) -> None:
    body = urlencode(
        {
            "leads[status][0][id]": "5",
            "leads[status][0][status_id]": "7",
            "account[id]": str(ACCOUNT_ID),
            "account[subdomain]": "demo",
        }
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    first = await endpoint.http.post(f"/webhooks/amocrm/{TOKEN}", content=body, headers=headers)
    again = await endpoint.http.post(f"/webhooks/amocrm/{TOKEN}", content=body, headers=headers)

    assert (first.json()["result"], again.json()["result"]) == ("stored", "duplicate")
    assert await endpoint.counts() == (0, 1)


async def test_health_and_metrics(endpoint: Endpoint) -> None:
    assert (await endpoint.http.get("/healthz")).json() == {"status": "ok"}
    metrics = (await endpoint.http.get("/metrics")).text
    assert "leadbridge_inbox_backlog" in metrics


@pytest.mark.parametrize("secret", [None, "", "guess"])
async def test_avito_webhook_without_the_shared_secret_is_refused(
    endpoint: Endpoint, secret: str | None
) -> None:
    lead = LeadFactory(seed=4).make()
    headers = {"X-Avito-Webhook-Secret": secret} if secret is not None else {}
    client = httpx.AsyncClient(base_url=str(endpoint.http.base_url), headers=headers)
    async with client:
        response = await client.post(f"/webhooks/avito/{TOKEN}", json=_envelope(lead))
    assert response.status_code == 403
    assert await endpoint.counts() == (0, 0)


# Every field of the lead, and the envelope's own, given a value of every wrong JSON type.
WRONG_TYPES: list[object] = [None, True, -1, 1.5, "", "x" * 300, [], {"nested": [1]}]
LEAD_PATHS = [
    ("id",),
    ("buyoutPrice",),
    ("sellerPrice",),
    ("offerType",),
    ("createdAt",),
    ("itemId",),
    ("location",),
    ("seller",),
    ("seller", "phone"),
    ("device",),
    ("device", "model"),
    ("device", "batteryHealth"),
    ("device", "kit"),
    ("device", "defects"),
]


def _with(lead: dict[str, object], path: tuple[str, ...], value: object) -> dict[str, object]:
    changed = json.loads(json.dumps(lead))
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


async def test_a_wrong_type_in_any_field_is_kept_and_never_a_server_error(
    endpoint: Endpoint,
) -> None:
    """Authenticated: each body is stored, as a lead or in quarantine with a readable reason."""
    factory = LeadFactory(seed=41)
    answers = []
    for path in LEAD_PATHS:
        for value in WRONG_TYPES:
            body = _envelope(_with(factory.make(), path, value), event_id=f"e-{len(answers)}")
            answer = await endpoint.http.post(f"/webhooks/avito/{TOKEN}", json=body)
            answers.append((path, value, answer))

    assert {answer.status_code for _, _, answer in answers} == {200}
    results = [answer.json() for _, _, answer in answers]
    assert {result["result"] for result in results} <= {"new", "quarantined"}
    held = [result for result in results if result["result"] == "quarantined"]
    assert all(result["reason"] and "\n" not in result["reason"] for result in held)
    leads, _ = await endpoint.counts()
    assert leads + await endpoint.quarantined() == len(answers)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[" * 2000 + b"]" * 2000, b'{"payload": ' * 40 + b"1" + b"}" * 40],
)
async def test_without_the_secret_nothing_is_stored_whatever_the_body(
    endpoint: Endpoint, body: bytes
) -> None:
    answer = await endpoint.http.post(
        f"/webhooks/avito/{TOKEN}", content=body, headers={"X-Avito-Webhook-Secret": "wrong"}
    )
    assert answer.status_code == 403
    assert await endpoint.quarantined() == 0


async def test_a_body_at_the_size_limit_is_kept_and_one_byte_more_is_refused(
    endpoint: Endpoint,
) -> None:
    at_limit = b'{"pad": "' + b"x" * (4096 - 11) + b'"}'
    assert len(at_limit) == 4096
    kept = await endpoint.http.post(f"/webhooks/avito/{TOKEN}", content=at_limit)
    refused = await endpoint.http.post(f"/webhooks/avito/{TOKEN}", content=at_limit + b" ")

    assert (kept.status_code, kept.json()["result"]) == (200, "quarantined")
    assert refused.status_code == 413
    assert await endpoint.quarantined() == 1
