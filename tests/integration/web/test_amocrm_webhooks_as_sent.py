"""amoCRM webhooks at the door as real accounts send them, over real HTTP, on both databases:
older accounts name their account only in each item and send no `last_modified`. A body of
another account than ours — the setting's, else the one `leadbridge setup` recorded — is refused
(403, nothing stored, one log line of ids only); a copy of a delivery is stored once."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from leadbridge.config import AmoCrmSettings, Settings, WebSettings
from leadbridge.store import crm_objects
from leadbridge.store.database import Database
from leadbridge.store.tables import InboxEvent
from leadbridge.sync.wakeups import LocalWakeups
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
TOKEN = "hook-token"
OURS, THEIRS = 31000001, 31000999
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DEAL_NAME = "Иван Петров, iPhone 13 Pro"  # what a deal's name may hold: never to be logged

Endpoint = Callable[[int | None], AbstractAsyncContextManager[httpx.AsyncClient]]


def older_account_body(account: int, *, old: int = 7100001, new: int = 7100002) -> str:
    """`status_lead` as an older account posts it: the account only in the item, no time."""
    item = {
        "id": "5000001",
        "name": DEAL_NAME,
        "status_id": str(new),
        "old_status_id": str(old),
        "pipeline_id": "7000001",
        "old_pipeline_id": "7000001",
        "price": "41377",
        "responsible_user_id": "0",
        "modified_user_id": "0",
        "created_user_id": "0",
        "date_create": "1795000000",
        "account_id": str(account),
    }
    return urlencode({f"leads[status][0][{key}]": value for key, value in item.items()})


@pytest.fixture
def endpoint(db: Database) -> Endpoint:
    """The web app over HTTP; `amocrm.account_id` as given (None: unset)."""

    @asynccontextmanager
    async def served(account_setting: int | None) -> AsyncIterator[httpx.AsyncClient]:
        settings = Settings(
            database_url="sqlite://",  # unused: the context's database is the test's
            web=WebSettings(webhook_token=TOKEN),  # type: ignore[arg-type]
            amocrm=AmoCrmSettings(account_id=account_setting),
        )
        app = create_app(WebContext(settings=settings, db=db, wakeups=LocalWakeups()))
        async with serve(app) as url, httpx.AsyncClient(base_url=url, headers=FORM) as http:
            yield http

    return served


async def record_account(db: Database, account: int) -> None:
    """What `leadbridge setup` leaves behind (`sync/setup.py`)."""
    async with db.transaction() as session:
        await crm_objects.remember_account(session, account)


async def stored_keys(db: Database) -> list[str]:
    async with db.transaction() as session:
        return list(await session.scalars(select(InboxEvent.event_key).order_by(InboxEvent.id)))


async def post(http: httpx.AsyncClient, body: str) -> httpx.Response:
    return await http.post(f"/webhooks/amocrm/{TOKEN}", content=body)


async def test_the_recorded_account_is_enforced_without_the_setting(
    db: Database, endpoint: Endpoint
) -> None:
    await record_account(db, OURS)
    async with endpoint(None) as http:
        with capture_logs() as logs:
            theirs = await post(http, older_account_body(THEIRS))
        ours = await post(http, older_account_body(OURS))

    assert theirs.status_code == 403
    assert (ours.status_code, ours.json()["result"]) == (200, "stored")
    assert len(await stored_keys(db)) == 1  # ours only
    (line,) = [entry for entry in logs if entry["event"] == "amocrm.webhook_refused"]
    assert (line["accounts"], line["expected"], line["log_level"]) == ([THEIRS], OURS, "warning")
    assert DEAL_NAME not in repr(line)
    assert "41377" not in repr(line)  # the deal's price


@pytest.mark.parametrize(
    "body",
    [
        # no account anywhere: nothing says it is ours
        "leads[status][0][id]=5000001&leads[status][0][status_id]=7100002",
        # ours in `account[id]`, another's in the item: not one account's body
        older_account_body(THEIRS) + f"&account[id]={OURS}&account[subdomain]=demo",
    ],
)
async def test_a_body_not_of_our_account_alone_is_refused(
    db: Database, endpoint: Endpoint, body: str
) -> None:
    await record_account(db, OURS)
    async with endpoint(None) as http:
        answer = await post(http, body)

    assert answer.status_code == 403
    assert await stored_keys(db) == []


async def test_the_setting_wins_over_the_recorded_account(db: Database, endpoint: Endpoint) -> None:
    await record_account(db, THEIRS)
    async with endpoint(OURS) as http:
        recorded = await post(http, older_account_body(THEIRS))
        configured = await post(http, older_account_body(OURS))

    assert (recorded.status_code, configured.status_code) == (403, 200)


async def test_before_setup_any_account_is_taken(db: Database, endpoint: Endpoint) -> None:
    async with endpoint(None) as http:
        answer = await post(http, older_account_body(THEIRS))

    assert (answer.status_code, answer.json()["result"]) == (200, "stored")


async def test_a_copy_of_a_delivery_without_time_is_stored_once(
    db: Database, endpoint: Endpoint
) -> None:
    """Before anything new is logged for the deal, the same bytes are the same delivery."""
    body = older_account_body(OURS)
    async with endpoint(OURS) as http:
        first, copy = await post(http, body), await post(http, body)

    assert (first.json()["result"], copy.json()["result"]) == ("stored", "duplicate")
    digest = hashlib.sha256(body.encode()).hexdigest()
    assert await stored_keys(db) == [f"{digest}:0"]  # the deal's logged changes: none yet


async def test_a_body_with_times_keeps_its_bare_digest(db: Database, endpoint: Endpoint) -> None:
    """The key bodies with times always had: their copies stored earlier still match."""
    body = older_account_body(OURS) + "&leads[status][0][last_modified]=1795000100"
    async with endpoint(OURS) as http:
        first, copy = await post(http, body), await post(http, body)

    assert (first.json()["result"], copy.json()["result"]) == ("stored", "duplicate")
    assert await stored_keys(db) == [hashlib.sha256(body.encode()).hexdigest()]
