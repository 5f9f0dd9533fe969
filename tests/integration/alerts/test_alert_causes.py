"""Each alert rule driven by a real cause in the simulators, on a real database, told through the
Telegram simulator and the SMTP sink over loopback: amoCRM switches our webhook off after failed
deliveries or a person deletes it, amoCRM revokes the token, a long-lived token nears its end,
Avito answers every status with a 5xx, Avito sends a request our mapping cannot read, amoCRM's
deliveries wait for a flow that is not running, a reconciliation leaves a request without a
deal, a week's settlement does not match Avito's. One message when the cause appears, reminders
on a compressed clock, one message when it goes away.

The engine's clock is the test's: the simulators and our flows run in real time, the rules judge
"later" by the clock the test moves on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import SecretStr
from tests.integration.settlement.world import NOW as SETTLED_AT
from tests.integration.settlement.world import WEEK, world
from tests.integration.sync.reconcile_rig import FUNNEL, Rig, rig

from leadbridge.alerts.amocrm_watch import AmoCrmWatch
from leadbridge.alerts.assembly import alert_engine
from leadbridge.alerts.engine import AlertEngine
from leadbridge.alerts.readings import ReadingsSource
from leadbridge.avito.mapping_in_force import install_mapping
from leadbridge.channels.build import channels_for
from leadbridge.config import AmoCrmSettings, AvitoSettings, RelaySettings, Settings, WebSettings
from leadbridge.config.alerts import AlertSettings, ThresholdSettings
from leadbridge.sandbox.api_break import MAPPING_AFTER_BREAK
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.sandbox.chaos import expire_amocrm_tokens
from leadbridge.sandbox.telegram.alert_sandbox import AlertSinks, alert_sandbox
from leadbridge.store import alert_readings
from leadbridge.store.database import Database
from leadbridge.sync.avito_replay import replay
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.provisioning import ensure_webhook
from leadbridge.sync.relay import Relay
from leadbridge.web.app import create_app
from leadbridge.web.context import WebContext
from leadbridge.web.server import serve

pytestmark = pytest.mark.anyio
TOKEN = "hook-token-0123456789"
SECRET = "avito-webhook-secret"

WEBHOOK = "Вебхук amoCRM отключён или ведёт не к нам"
TOKEN_RULE = "Токен amoCRM не обновляется или скоро истечёт"
PENDING = "Статусы для Авито долго не уходят"
ERRORS = "Авито часто отвечает ошибками"
QUARANTINE = "События Авито в карантине"
INBOX = "Входящие события обрабатываются с задержкой"
DRIFT = "Сверка нашла расхождения"
SETTLEMENT = "Расчёт недели с Авито не сходится"


@pytest.fixture
async def sinks() -> AsyncIterator[AlertSinks]:
    async with alert_sandbox() as running:
        yield running


class Clock:
    """The engine's clock: now, until the test moves it on."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


def settings_for(sinks: AlertSinks, **changes: Any) -> AlertSettings:
    return AlertSettings(
        telegram=sinks.telegram_settings(),
        email=sinks.email_settings(["duty@example.ru"]),
        **changes,
    )


def engine_for(
    db: Database, settings: AlertSettings, clock: Clock, watch: AmoCrmWatch | None = None
) -> AlertEngine:
    return AlertEngine(
        db=db,
        settings=settings,
        source=ReadingsSource(db, settings, watch),
        channels=channels_for(settings),
        dashboard_url="https://bridge.example.ru",
        clock=clock,
    )


async def told(sinks: AlertSinks) -> list[str]:
    """The Telegram messages, in order."""
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{sinks.telegram_url}/sandbox/messages")
    return [message["text"] for message in answer.json()["messages"]]


async def heads(sinks: AlertSinks) -> list[str]:
    """Each Telegram message's first line: its mark and the rule's title."""
    return [text.splitlines()[0] for text in await told(sinks)]


async def mailed(sinks: AlertSinks) -> list[str]:
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{sinks.telegram_url}/sandbox/mail")
    return [mail["subject"] for mail in answer.json()["mail"]]


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def manager(r: Rig) -> httpx.AsyncClient:
    """A person in amoCRM's web interface (not the integration, not rate limited)."""
    token = r.amo.issue_person_token()
    return httpx.AsyncClient(base_url=r.amo_url, headers={"Authorization": f"Bearer {token}"})


async def test_our_amocrm_webhook_switched_off_or_deleted_is_told_once_and_resubscribing_resolves(
    database_url: str, sinks: AlertSinks
) -> None:
    """amoCRM switches a hook off after more than 100 failed deliveries in two hours; a person
    may also delete it. Both are critical: Telegram and e-mail."""
    ours = FastAPI()  # our endpoint, failing (say its database is away): 503 to every delivery
    ours.post("/webhooks/amocrm/{token}")(lambda token: Response(status_code=503))
    async with rig(database_url) as r, serve(ours) as our_url:
        hook_url = f"{our_url}/webhooks/amocrm/{TOKEN}"
        r.amo.retry_delay_scale = 0.0  # amoCRM's 5 min … 1 h between retries: at once
        assert await ensure_webhook(r.api, hook_url)  # as the bridge subscribes at start
        clock = Clock()
        settings = settings_for(sinks, remind_every_minutes=10, resolve_after_minutes=1)
        watch = AmoCrmWatch(r.api, hook_url, check_every=timedelta(0))
        engine = engine_for(r.db, settings, clock, watch)
        try:
            await engine.run_once()
            assert await told(sinks) == []

            _, amo_id = await r.new_lead()
            assert amo_id is not None
            await r.send_all()  # its first status reaches Avito
            stages = [r.layout.status_ids["contacted"], r.layout.status_ids["price_agreed"]]
            async with manager(r) as http:  # 21 moves × 5 failed tries each > 100
                for move in range(21):
                    body = {"status_id": stages[move % 2]}
                    answer = await http.patch(f"/api/v4/leads/{amo_id}", json=body)
                    assert answer.status_code == 200, answer.text
            await until(lambda: bool(r.amo.webhooks.hooks[hook_url]["disabled"]))

            for minutes in (1, 1, 5):  # still off: counted, not told again
                clock.advance(minutes)
                await engine.run_once()
            (opened,) = await told(sinks)
            assert opened.startswith(f"🔴 Авария: {WEBHOOK}\n")
            assert "AmoCRM отключил наш вебхук после ошибок доставки" in opened
            assert "Подробнее: https://bridge.example.ru/" in opened
            clock.advance(4)  # ten minutes after it opened
            await engine.run_once()
            assert (await heads(sinks))[1] == f"⏰ Всё ещё авария: {WEBHOOK}"

            assert await ensure_webhook(r.api, hook_url)  # the catch-up's next pass re-enables it
            assert not r.amo.webhooks.hooks[hook_url]["disabled"]
            clock.advance(0.5)
            await engine.run_once()  # calm, not for long enough yet
            assert len(await told(sinks)) == 2
            clock.advance(1)
            await engine.run_once()
            assert (await heads(sinks))[2] == f"✅ Решено: {WEBHOOK}"

            # A person deletes it in amoCRM's settings: a new incident, resolved the same way.
            async with manager(r) as http:
                gone = await http.request(
                    "DELETE", "/api/v4/webhooks", json={"destination": hook_url}
                )
            assert gone.status_code == 204
            clock.advance(1)
            await engine.run_once()
            deleted = (await told(sinks))[3]
            assert deleted.startswith(f"🔴 Авария: {WEBHOOK}\n")
            assert "В amoCRM нет вебхука на наш адрес" in deleted
            assert await ensure_webhook(r.api, hook_url)
            for _ in range(2):
                clock.advance(1)
                await engine.run_once()

            expected = [
                f"🔴 Авария: {WEBHOOK}",
                f"⏰ Всё ещё авария: {WEBHOOK}",
                f"✅ Решено: {WEBHOOK}",
                f"🔴 Авария: {WEBHOOK}",
                f"✅ Решено: {WEBHOOK}",
            ]
            assert await heads(sinks) == expected
            assert await mailed(sinks) == expected
        finally:
            await engine.aclose()


def revoke(r: Rig) -> None:
    """The integration is disconnected in amoCRM: its tokens stop working, the refresh token
    with them."""
    expire_amocrm_tokens(r.amo)
    r.amo.refresh_tokens.clear()


async def test_a_revoked_amocrm_token_is_told_once_and_resolved_by_a_new_authorisation(
    database_url: str, sinks: AlertSinks
) -> None:
    async with rig(database_url) as r:
        clock = Clock()
        settings = settings_for(sinks, remind_every_minutes=10, resolve_after_minutes=1)
        engine = engine_for(
            r.db, settings, clock, AmoCrmWatch(r.api, None, check_every=timedelta(0))
        )
        try:
            await engine.run_once()
            assert await told(sinks) == []

            revoke(r)
            clock.advance(1)
            opened_at = clock.now
            for minute in range(3):
                clock.advance(minute and 1)
                await engine.run_once()
            (opened,) = await told(sinks)
            assert opened.startswith(f"🔴 Авария: {TOKEN_RULE}\n")
            assert "Токен не работает: amoCRM refused the refresh_token grant (401" in opened

            # Flapping: authorised again, revoked again within the minute: still one incident.
            await r.api.exchange_code(r.amo.issue_auth_code())
            await engine.run_once()  # calm, for no time yet
            revoke(r)
            clock.advance(0.5)
            await engine.run_once()
            assert len(await told(sinks)) == 1
            clock.now = opened_at + timedelta(minutes=10)
            await engine.run_once()

            await r.api.exchange_code(r.amo.issue_auth_code())  # `leadbridge auth amocrm --code`
            for _ in range(2):
                clock.advance(1)
                await engine.run_once()
            assert await heads(sinks) == [
                f"🔴 Авария: {TOKEN_RULE}",
                f"⏰ Всё ещё авария: {TOKEN_RULE}",
                f"✅ Решено: {TOKEN_RULE}",
            ]
        finally:
            await engine.aclose()


async def test_a_long_lived_token_ending_within_the_week_is_told_at_once(
    database_url: str, sinks: AlertSinks
) -> None:
    """The engine as the bridge assembles it from the settings; the token is amoCRM's own JWT."""

    def bridge_settings(days: int) -> Settings:
        token = SecretStr(r.amo.issue_long_lived_token(days=days))
        return Settings(
            database_url=database_url,
            amocrm=AmoCrmSettings(base_url=r.amo_url, long_lived_token=token),
            alerts=settings_for(sinks, resolve_after_minutes=0),
        )

    async with rig(database_url) as r:
        engine = alert_engine(bridge_settings(days=3), r.db, r.api, None)
        try:
            await engine.run_once()
        finally:
            await engine.aclose()
        (opened,) = await told(sinks)
        expires = datetime.now(UTC) + timedelta(days=3)
        assert opened.startswith(f"🔴 Авария: {TOKEN_RULE}\n")
        assert f"Долгосрочный токен истекает {expires:%d.%m.%Y} (осталось дней: 2)" in opened

        renewed = alert_engine(bridge_settings(days=365), r.db, r.api, None)  # a new token
        try:
            await renewed.run_once()
        finally:
            await renewed.aclose()
        assert await heads(sinks) == [f"🔴 Авария: {TOKEN_RULE}", f"✅ Решено: {TOKEN_RULE}"]


async def set_avito_faults(r: Rig, error_rate: float) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{r.avito_url}/sandbox/faults", json={"error_rate": error_rate})
    assert answer.status_code == 200, answer.text


async def test_avito_failing_every_status_opens_pending_and_errors_and_both_resolve_after(
    database_url: str, sinks: AlertSinks
) -> None:
    async with rig(database_url) as r:
        clock = Clock()
        limits = ThresholdSettings(pending_minutes=1, avito_error_min_requests=2)
        settings = settings_for(
            sinks, remind_every_minutes=5, resolve_after_minutes=5, thresholds=limits
        )
        engine = engine_for(r.db, settings, clock)
        prompt = RelaySettings(backoff_base_s=0.001, backoff_max_s=0.001)
        relay = Relay(db=r.db, avito=r.avito_client, settings=prompt)

        async def relay_tries(count: int) -> None:
            for _ in range(count):
                await relay.run_once()
                await asyncio.sleep(0.005)  # the next try is due

        try:
            _, amo_id = await r.new_lead()
            assert amo_id is not None
            await engine.run_once()  # the first sample of Avito's answers
            await set_avito_faults(r, 1.0)
            await r.move(amo_id, "contacted")
            await r.changes().resync(amo_id)  # the manager's move, queued for Avito
            await relay_tries(2)
            clock.advance(2)
            await engine.run_once()
            opened = await told(sinks)
            assert [text.splitlines()[0] for text in opened] == [
                f"🟡 Внимание: {PENDING}",
                f"🟡 Внимание: {ERRORS}",
            ]
            assert "статусов ждут; самый старый — дольше 1 мин" in opened[0]
            assert "ответов за 10 мин — 5xx или 429 (100 %)" in opened[1]

            await relay_tries(1)
            clock.advance(5)
            await engine.run_once()
            assert (await heads(sinks))[2:] == [f"⏰ Всё ещё: {PENDING}", f"⏰ Всё ещё: {ERRORS}"]

            await set_avito_faults(r, 0.0)
            await r.send_all()
            async with r.db.transaction() as session:
                assert (await alert_readings.pending(session)).count == 0
            clock.advance(1)
            await engine.run_once()  # Avito's errors still in the last ten minutes
            assert len(await told(sinks)) == 4
            clock.advance(10)  # they have left the window; both calm for five minutes and more
            await engine.run_once()
            assert (await heads(sinks))[4:] == [f"✅ Решено: {PENDING}", f"✅ Решено: {ERRORS}"]
            assert len(await mailed(sinks)) == 6
        finally:
            await engine.aclose()


def after_the_break(seed: int) -> bytes:
    """A request as Avito sends it after a change of its API: the price moved."""
    lead = LeadFactory(seed=seed).make()
    lead["offer"] = {"price": lead.pop("buyoutPrice") / 100, "currency": "RUB"}
    body = {"id": f"e-{lead['id']}", "payload": {"type": "lead.created", "lead": lead}}
    return json.dumps(body, ensure_ascii=False).encode()


async def test_an_unreadable_avito_request_and_an_unprocessed_amocrm_delivery_open_and_resolve(
    database_url: str, sinks: AlertSinks
) -> None:
    """Our web endpoints, served: Avito's webhook lands in quarantine, amoCRM's delivery waits in
    the inbox while the flow that processes it is not running."""
    async with rig(database_url) as r:
        web = Settings(
            database_url=database_url,
            web=WebSettings(webhook_token=TOKEN),
            avito=AvitoSettings(webhook_secret=SECRET),
        )
        app = create_app(WebContext(settings=web, db=r.db, wakeups=r.wakeups))
        clock = Clock()
        limits = ThresholdSettings(inbox_lag_minutes=1)
        settings = settings_for(sinks, resolve_after_minutes=1, thresholds=limits)
        engine = engine_for(r.db, settings, clock)
        try:
            async with serve(app) as web_url:
                async with httpx.AsyncClient(
                    base_url=web_url, headers={"X-Avito-Webhook-Secret": SECRET}
                ) as avito:
                    answer = await avito.post(
                        f"/webhooks/avito/{TOKEN}", content=after_the_break(3)
                    )
                assert answer.json()["result"] == "quarantined", answer.text

                hook_url = f"{web_url}/webhooks/amocrm/{TOKEN}"
                assert await ensure_webhook(r.api, hook_url)
                _, amo_id = await r.new_lead()
                assert amo_id is not None
                await r.move(amo_id, "contacted")  # delivered to us, stored, not processed

                async def waiting() -> int:
                    async with r.db.transaction() as session:
                        return (await alert_readings.inbox(session)).count

                deadline = time.monotonic() + 10
                while await waiting() == 0:
                    assert time.monotonic() < deadline, "amoCRM's delivery never arrived"
                    await asyncio.sleep(0.02)
            clock.advance(2)
            await engine.run_once()
            opened = await told(sinks)
            assert [text.splitlines()[0] for text in opened] == [
                f"🟡 Внимание: {INBOX}",
                f"🟡 Внимание: {QUARANTINE}",
            ]
            assert "1 событий ждут обработки; самый старый — дольше 1 мин" in opened[0]
            assert "Событий Авито в карантине: 1" in opened[1]
            assert "Подробнее: https://bridge.example.ru/quarantine" in opened[1]

            # The flow catches up; the operator follows Avito's change in the mapping, replays.
            await r.changes().run_once()
            install_mapping(AvitoSettings(mapping_file=MAPPING_AFTER_BREAK))
            try:
                report = await replay(r.db, r.wakeups, actor="olga")
            finally:
                install_mapping(AvitoSettings())
            assert (report.replayed, report.still_quarantined) == (1, 0)
            for _ in range(2):
                clock.advance(1)
                await engine.run_once()
            assert (await heads(sinks))[2:] == [f"✅ Решено: {INBOX}", f"✅ Решено: {QUARANTINE}"]
        finally:
            await engine.aclose()


async def test_a_reconciliation_leaving_a_request_without_a_deal_is_told_and_resolved(
    database_url: str, sinks: AlertSinks
) -> None:
    async with rig(database_url) as r:
        clock = Clock()
        engine = engine_for(r.db, settings_for(sinks, resolve_after_minutes=1), clock)
        try:
            await r.new_lead(with_deal=False)  # the request never became a deal
            await r.reconciler().run(fix=True)
            await engine.run_once()
            (opened,) = await told(sinks)
            assert opened.startswith(f"🟡 Внимание: {DRIFT}\n")
            assert "Последняя сверка оставила человеку расхождений: 1" in opened

            batcher = DealBatcher(
                db=r.db, api=r.api, funnel=FUNNEL, layout=r.layout, wakeups=r.wakeups
            )
            while await batcher.run_once():  # the deal is made after all
                pass
            await r.reconciler().run(fix=True)
            for _ in range(2):
                clock.advance(1)
                await engine.run_once()
            assert await heads(sinks) == [f"🟡 Внимание: {DRIFT}", f"✅ Решено: {DRIFT}"]
        finally:
            await engine.aclose()


async def test_a_settled_week_that_does_not_match_avito_is_told_and_a_clean_one_resolves_it(
    database_url: str, sinks: AlertSinks
) -> None:
    async with world(database_url) as w:
        clock = Clock(SETTLED_AT)
        engine = engine_for(w.db, settings_for(sinks, resolve_after_minutes=1), clock)
        try:
            chain = ("accepted", "contacted", "price_agreed", "pickup_scheduled")
            start = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)  # inside the week
            await w.avito_only("x-9", 10_000, start, (*chain, "device_received", "bought_out"))
            await w.settle()  # a bought-out lead we never heard of: a line only Avito has
            await engine.run_once()
            (opened,) = await told(sinks)
            assert opened.startswith(f"🟡 Внимание: {SETTLEMENT}\n")
            assert f"Неделя {WEEK}: строк не сошлось с отчётом Авито — 1" in opened

            clock.advance(60)
            await w.settle(WEEK.next(), now=clock.now)  # the next week matches line for line
            for _ in range(2):
                clock.advance(1)
                await engine.run_once()
            assert await heads(sinks) == [f"🟡 Внимание: {SETTLEMENT}", f"✅ Решено: {SETTLEMENT}"]
        finally:
            await engine.aclose()
