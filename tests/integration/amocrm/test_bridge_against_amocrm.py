"""The amoCRM side of the bridge against the simulator, over real HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from tests.integration.amocrm.amocrm_rig import Rig, amocrm_rig, provisioned_batcher

from leadbridge.amocrm.connect import connect
from leadbridge.amocrm.deal_fields import DEAL_FIELDS
from leadbridge.amocrm.tokens import AmoAuthError
from leadbridge.config import DEFAULT_FUNNEL, AmoCrmSettings, load_funnel
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.store import tokens as token_store
from leadbridge.store.database import Database
from leadbridge.store.migrate import upgrade
from leadbridge.sync.deal_batcher import DealBatcher
from leadbridge.sync.intake import accept_lead
from leadbridge.sync.provisioning import ensure_webhook, plan_and_apply, provision
from leadbridge.sync.wakeups import LocalWakeups

pytestmark = pytest.mark.anyio
FUNNEL = load_funnel(DEFAULT_FUNNEL)


async def test_setup_is_idempotent_and_keeps_a_renamed_stage(database_url: str) -> None:
    async with amocrm_rig(database_url) as r:
        await r.api.bootstrap()
        layout = await provision(r.db, r.api, FUNNEL, webhook_url="http://127.0.0.1:9/hook")
        pipeline = r.sandbox.pipelines[layout.pipeline_id]
        assert {s["name"] for s in pipeline["statuses"].values()} >= {s.name for s in FUNNEL.stages}

        contacted = layout.status_ids["contacted"]
        pipeline["statuses"][contacted]["name"] = "Дозвонились"  # a person renamed the stage
        again = await plan_and_apply(r.db, r.api, FUNNEL, "http://127.0.0.1:9/hook", dry_run=False)

        assert again == []
        assert len(r.sandbox.pipelines) == 2  # the account's own plus ours, not a third
        assert len(pipeline["statuses"]) == len(FUNNEL.working_stages) + 3  # + unsorted, 142, 143


async def test_dry_run_lists_everything_and_creates_nothing(database_url: str) -> None:
    async with amocrm_rig(database_url) as r:
        await r.api.bootstrap()
        changes = await plan_and_apply(r.db, r.api, FUNNEL, "http://127.0.0.1:9/hook", dry_run=True)

        assert changes[0].startswith("create pipeline")
        assert len(r.sandbox.pipelines) == 1
        assert r.sandbox.fields == {}


async def test_every_device_card_field_reaches_the_deal(database_url: str) -> None:
    async with amocrm_rig(database_url) as r:
        await r.api.bootstrap()
        layout = await provision(r.db, r.api, FUNNEL, webhook_url=None)
        raw = LeadFactory(seed=11).make()
        raw["device"]["kit"] = ["Коробка", "Провод зарядки"]
        raw["device"]["defects"]["battery"] = ["вздут"]
        await accept_lead(r.db, raw, channel="webhook", wakeups=LocalWakeups())
        batcher = DealBatcher(
            db=r.db, api=r.api, funnel=FUNNEL, layout=layout, wakeups=LocalWakeups()
        )

        assert await batcher.run_once() == 1  # the deal
        assert await batcher.run_once() == 1  # then its note, once no deal waits

        (deal,) = r.sandbox.leads.values()
        values = {
            f["field_code"]: [v["value"] for v in f["values"]] for f in deal["custom_fields_values"]
        }
        device = raw["device"]
        assert values["AVITO_LEAD_ID"] == [raw["id"]]
        assert values["DEVICE_MODEL"] == [device["model"]]
        assert values["DEVICE_MEMORY"] == [device["memory"]]
        assert values["DEVICE_COLOR"] == [device["color"]]
        assert values["DEVICE_KIT"] == ["Коробка", "Провод зарядки"]
        assert "вздут" in values["DEVICE_DEFECTS"][0]
        assert values["AVITO_CITY"] == [raw["location"]["city"]]
        assert values["BUYOUT_PRICE"] == [str(raw["buyoutPrice"] // 100)]
        assert values["SELLER_PRICE"] == [str(raw["sellerPrice"] // 100)]
        assert values["AVITO_ITEM_URL"] == [raw["itemUrl"]]
        if device.get("imei"):
            assert values["DEVICE_IMEI"] == [device["imei"]]
        assert {f.code for f in DEAL_FIELDS} >= set(values)
        assert deal["price"] == raw["buyoutPrice"] // 100
        assert {t["name"] for t in deal["_tags"]} == {
            "avito",
            device["model"],
            raw["location"]["city"],
        }
        contact = r.sandbox.contacts[deal["_contacts"][0]]
        assert contact["custom_fields_values"][0]["values"][0]["value"] == raw["seller"]["phone"]
        (note,) = r.sandbox.notes
        assert raw["id"] in note["params"]["text"]


async def test_a_second_request_of_the_same_seller_reuses_the_contact(database_url: str) -> None:
    async with amocrm_rig(database_url) as r:
        await r.api.bootstrap()
        layout = await provision(r.db, r.api, FUNNEL, webhook_url=None)
        factory = LeadFactory(seed=5)
        first, second = factory.make(), factory.make()
        second["seller"] = {**first["seller"], "phone": "8" + first["seller"]["phone"][2:]}
        for raw in (first, second):
            await accept_lead(r.db, raw, channel="feed", wakeups=LocalWakeups())
        batcher = DealBatcher(
            db=r.db, api=r.api, funnel=FUNNEL, layout=layout, wakeups=LocalWakeups()
        )

        while await batcher.run_once():
            pass

        assert len(r.sandbox.leads) == 2
        assert len(r.sandbox.contacts) == 1


async def settling_batcher(r: Rig) -> DealBatcher:
    """A provisioned account's deal batcher that waits 3 s before looking at an attempt again
    (the client's timeout in production; long enough here for a test's slowest call)."""
    await r.api.bootstrap()
    return await provisioned_batcher(r, FUNNEL, attempt_settle_s=3.0)


async def test_a_crash_after_amocrm_created_the_deals_does_not_duplicate_them(
    database_url: str,
) -> None:
    async with amocrm_rig(database_url) as r:
        batcher = await settling_batcher(r)
        await accept_lead(r.db, LeadFactory(seed=2).make(), channel="feed", wakeups=LocalWakeups())

        async def crash(created: Sequence[object]) -> None:
            if created:
                raise RuntimeError("killed between amoCRM's answer and our commit")

        original = batcher._record
        batcher._record = crash  # type: ignore[method-assign,assignment]
        with pytest.raises(RuntimeError):
            await batcher.run_once()
        assert len(r.sandbox.leads) == 1  # amoCRM has the deal; we do not know its id
        batcher._record = original  # type: ignore[method-assign]
        # Too soon to tell whether the killed call reached amoCRM: neither looked up nor resent.
        assert await batcher.run_once() == 0
        await anyio.sleep(3.1)
        assert await batcher.run_once() == 1

        assert len(r.sandbox.leads) == 1


async def test_a_crash_after_the_notes_were_sent_does_not_add_them_twice(
    database_url: str,
) -> None:
    async with amocrm_rig(database_url) as r:
        batcher = await settling_batcher(r)
        factory = LeadFactory(seed=4)
        for _ in range(3):
            await accept_lead(r.db, factory.make(), channel="feed", wakeups=LocalWakeups())
        assert await batcher.run_once() == 3  # the deals
        [ours] = [lead["id"] for lead in list(r.sandbox.leads.values())[:1]]
        r.sandbox.notes.append(  # a manager's own note on one deal does not count as the card
            {"id": 1, "entity_id": ours, "note_type": "common", "params": {"text": "позвонить"}}
        )

        async def crash(_session: object, _ids: object, _now: object) -> None:
            raise RuntimeError("killed between amoCRM's answer and our commit")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("leadbridge.store.leads.mark_notes_added", crash)
            with pytest.raises(RuntimeError):
                await batcher.run_once()
        assert len(r.sandbox.notes) == 4  # amoCRM has the three cards; we do not know it
        assert await batcher.run_once() == 0  # too soon to look: the call may be in flight
        await anyio.sleep(3.1)
        assert await batcher.run_once() == 3

        assert len(r.sandbox.notes) == 4
        assert await batcher.run_once() == 0


async def test_tokens_rotate_and_a_revoked_refresh_token_is_reported(database_url: str) -> None:
    async with amocrm_rig(database_url) as r:
        tokens = r.api.client.tokens
        await tokens.bootstrap()
        first = await tokens.access_token()
        async with r.db.transaction() as session:
            row = await token_store.token(session, "amocrm")
            assert row is not None
            old_refresh = row.refresh_token
            row.expires_at = datetime.now(UTC) + timedelta(minutes=1)  # about to expire
        tokens.invalidate()

        renewed = await tokens.access_token()

        assert renewed != first
        async with r.db.transaction() as session:
            row = await token_store.token(session, "amocrm")
            assert row is not None
            assert row.refresh_token != old_refresh
        reuse = await r.api.client.http.post(
            "/oauth2/access_token",
            json={
                "client_id": r.sandbox.config.client_id,
                "client_secret": r.sandbox.config.client_secret,
                "grant_type": "refresh_token",
                "refresh_token": old_refresh,
                "redirect_uri": r.sandbox.config.redirect_uri,
            },
        )
        assert reuse.status_code == 401
        assert reuse.json()["hint"] == "Token has been revoked"


async def test_no_token_and_no_code_is_a_clear_error(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    api = connect(AmoCrmSettings(base_url="http://127.0.0.1:9"), db)
    try:
        with pytest.raises(AmoAuthError, match="auth_code"):
            await api.bootstrap()
    finally:
        await api.aclose()
        await db.dispose()


async def test_the_integration_never_exceeds_seven_requests_a_second(database_url: str) -> None:
    async with amocrm_rig(database_url) as r:
        await r.api.bootstrap()
        for _ in range(30):
            await r.api.pipelines()
        assert r.sandbox.stats.rate_limited_total == 0
        assert r.sandbox.stats.max_integration_rps_observed <= 7


async def test_a_webhook_amocrm_switched_off_is_switched_back_on(database_url: str) -> None:
    async with amocrm_rig(database_url) as r:
        await r.api.bootstrap()
        url = "http://127.0.0.1:9/webhooks/amocrm/token"
        assert await ensure_webhook(r.api, url) is True
        assert await ensure_webhook(r.api, url) is False
        r.sandbox.webhooks.hooks[url]["disabled"] = True  # too many failed deliveries

        assert await ensure_webhook(r.api, url) is True

        assert r.sandbox.webhooks.hooks[url]["disabled"] is False
