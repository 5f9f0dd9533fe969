"""Fuzzing the public endpoints: whatever arrives, the answer is never a 5xx and a refused
request stores nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from leadbridge.config import AmoCrmSettings, AvitoSettings, Settings, WebSettings
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.store.tables import InboxEvent
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext

TOKEN = "fuzz-path-token"
SECRET = "fuzz-avito-secret"
ACCOUNT = 31000001
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
LEAD = LeadFactory(seed=11).make()


@pytest.fixture
def migrated(database_url: str) -> str:
    upgrade(database_url)
    return database_url


def _post(url: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, int]:
    """One request through the whole app: the answer's status and how many events it stored."""

    async def go() -> tuple[int, int]:
        db = Database(url)
        app_settings = Settings(
            database_url=url,
            web=WebSettings(webhook_token=TOKEN, max_body_bytes=8192),  # type: ignore[arg-type]
            amocrm=AmoCrmSettings(account_id=ACCOUNT),
            avito=AvitoSettings(webhook_secret=SECRET),  # type: ignore[arg-type]
        )
        app = create_app(WebContext(settings=app_settings, db=db, wakeups=LocalWakeups()))
        transport = httpx.ASGITransport(app=app)
        try:
            before = await _inbox_size(db)
            async with httpx.AsyncClient(transport=transport, base_url="http://fuzz") as http:
                answer = await http.post(path, content=body, headers=headers)
            stored = await _inbox_size(db) - before
        finally:
            await db.dispose()
        return answer.status_code, stored

    return anyio.run(go)


async def _inbox_size(db: Database) -> int:
    """Events stored to be processed; a refused body may be kept only in quarantine."""
    async with db.transaction() as session:
        waiting = select(func.count()).where(InboxEvent.quarantined_at.is_(None))
        return int(await session.scalar(waiting) or 0)


def _mutated(field: str, value: Any) -> dict[str, Any]:
    lead = json.loads(json.dumps(LEAD))
    if value is _DROP:
        lead.pop(field, None)
    else:
        lead[field] = value
    return {"id": "e", "payload": {"type": "lead.created", "lead": lead}}


_DROP = object()


@FUZZ
@given(
    body=st.binary(max_size=600),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
)
def test_avito_webhook_never_fails_on_arbitrary_bytes(
    migrated: str, body: bytes, content_type: str
) -> None:
    headers = {"X-Avito-Webhook-Secret": SECRET, "Content-Type": content_type}
    status, _ = _post(migrated, f"/webhooks/avito/{TOKEN}", body, headers)
    assert status < 500


@FUZZ
@given(field=st.sampled_from(sorted(LEAD)), value=JSON | st.just(_DROP))
def test_avito_webhook_never_fails_on_a_lead_with_a_field_broken(
    migrated: str, field: str, value: Any
) -> None:
    body = json.dumps(_mutated(field, value)).encode()
    status, stored = _post(
        migrated, f"/webhooks/avito/{TOKEN}", body, {"X-Avito-Webhook-Secret": SECRET}
    )
    assert status < 500
    if status >= 400:
        assert stored == 0


@FUZZ
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(
                ["leads[status][0][id]", "leads[status][0][status_id]", "account[id]", "x"]
            )
            | st.text(max_size=30),
            st.text(max_size=30),
        ),
        max_size=6,
    )
)
def test_amocrm_webhook_never_fails_on_arbitrary_forms(
    migrated: str, pairs: list[tuple[str, str]]
) -> None:
    body = httpx.QueryParams(pairs).__str__().encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, stored = _post(migrated, f"/webhooks/amocrm/{TOKEN}", body, headers)
    assert status < 500
    if status >= 400:
        assert stored == 0


@FUZZ
@given(token=st.text(min_size=1, max_size=40).filter(lambda t: t != TOKEN and "/" not in t))
def test_a_wrong_path_token_is_refused_and_stores_nothing(migrated: str, token: str) -> None:
    body = json.dumps(_mutated("id", "b-fuzz")).encode()
    path = f"/webhooks/amocrm/{quote(token, safe='')}"
    status, stored = _post(migrated, path, body, {"X-Avito-Webhook-Secret": SECRET})
    assert status in (404, 405)
    assert stored == 0


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from(["username", "password", "next", "csrf_token", "x"]), st.text(max_size=300)
    )
)
def test_login_never_fails_on_arbitrary_forms(migrated: str, form: dict[str, str]) -> None:
    body = str(httpx.QueryParams(form)).encode()
    status, _ = _post(
        migrated, "/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status < 500
