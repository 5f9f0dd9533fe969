import pytest
from tests.integration.avito.harness import CHAIN, rig, update

from leadbridge.avito.payload import parse_lead
from leadbridge.avito.results import Outcome
from leadbridge.sandbox.avito.evolution import RENAMED_ENUMS

ALL_ON = {"extra_fields": True, "new_status": True, "renamed_enums": True, "status_comment": True}


@pytest.mark.anyio
async def test_unknown_fields_in_leads_are_parsed_and_kept() -> None:
    async with rig() as r:
        await r.post_admin("/sandbox/evolution", {"extra_fields": True})
        r.sandbox.add_lead({"id": "b-1"})
        page = await r.client.fetch_leads(None)
    [(_, raw)] = page.leads
    request = parse_lead(raw)
    assert request.avito_lead_id == "b-1"
    assert {"promo", "sellerRating", "inspectionSlot"} <= request.unknown_fields.keys()
    assert request.unknown_fields["device"] == {
        "esim": raw["device"]["esim"],  # type: ignore[index]
        "activationLock": {"checked": True, "locked": False},
    }


@pytest.mark.anyio
async def test_renamed_and_unknown_enum_values_pass_through_as_text() -> None:
    async with rig() as r:
        await r.post_admin("/sandbox/evolution", {"renamed_enums": True})
        for _ in range(30):
            r.sandbox.add_lead()
        r.sandbox.add_lead({"offerType": "exchange_plus"})
        page = await r.client.fetch_leads(None)
    requests = [parse_lead(raw) for _, raw in page.leads]
    screens = {request.device.screen_condition for request in requests}
    assert screens & set(RENAMED_ENUMS["screenCondition"].values())
    assert not screens & RENAMED_ENUMS["screenCondition"].keys()
    assert requests[-1].offer_type == "exchange_plus"


@pytest.mark.anyio
async def test_new_status_and_extra_answer_fields_do_not_disturb_applying() -> None:
    async with rig(status_apply_rps=50) as r:
        r.sandbox.add_lead({"id": "b-1"})
        await r.post_admin("/sandbox/evolution", {"new_status": True, "extra_fields": True})
        results = [(await r.client.apply_statuses([update("b-1", step)]))[0] for step in range(5)]
        between = await r.client.read_status("b-1")
        [bought_out] = await r.client.apply_statuses([update("b-1", 5)])
    assert [result.outcome for result in results] == [Outcome.OK] * 5
    assert results[-1].current_status == "inspection_scheduled"  # set by Avito itself
    assert between == "inspection_scheduled"
    assert (bought_out.outcome, bought_out.current_status) == (Outcome.OK, "bought_out")


@pytest.mark.anyio
async def test_requests_without_the_new_comment_field_keep_working() -> None:
    async with rig() as r:
        r.sandbox.add_lead({"id": "b-1"})
        await r.post_admin("/sandbox/evolution", {"status_comment": True})
        [result] = await r.client.apply_statuses([update("b-1", 0)])
    assert result.outcome is Outcome.OK


@pytest.mark.anyio
async def test_switches_flipping_midway_lose_no_status_and_repeat_none() -> None:
    """A tiny relay: one head per lead per batch, resent with the same key until done."""
    leads = [f"b-{n:02d}" for n in range(24)]
    async with rig(status_apply_rps=20) as r:
        for lead_id in leads:
            r.sandbox.add_lead({"id": lead_id})
        faults = {"error_rate": 0.2, "apply_lost_answer_rate": 0.2, "expire_tokens_at_request": 9}
        await r.post_admin("/sandbox/faults", faults)
        next_step = dict.fromkeys(leads, 0)
        batches = 0
        while pending := [lead for lead, step in next_step.items() if step < len(CHAIN)]:
            if batches == 10:
                at_flip = sorted(next_step.values())
                await r.post_admin("/sandbox/evolution", ALL_ON)
            laggards = sorted(pending, key=next_step.__getitem__)[:8]
            batch = [update(lead, next_step[lead]) for lead in laggards]
            for result, sent in zip(await r.client.apply_statuses(batch), batch, strict=True):
                assert result.outcome is not Outcome.FORBIDDEN, result
                assert result.outcome is not Outcome.PERMANENT, result
                if result.outcome in (Outcome.OK, Outcome.ALREADY_APPLIED):
                    next_step[sent.lead_id] += 1
            batches += 1
            assert batches < 60
        state = r.sandbox.state_json()
    # Every lead was midway through its chain when the switches flipped.
    assert at_flip[0] > 0
    assert at_flip[-1] < len(CHAIN)
    partner_keys = {
        lead["id"]: [entry["idempotencyKey"] for entry in lead["history"]]
        for lead in state["leads"]
    }
    for lead_id in leads:
        sent = [key for key in partner_keys[lead_id] if not key.startswith("avito:")]
        assert sent == [f"{lead_id}:{step + 1}" for step in range(len(CHAIN))]
    assert state["stats"]["forbidden_total"] == 0
    assert state["stats"]["rate_limited"] == {}
    assert state["stats"]["faults"]["server_errors"] > 0
    assert state["stats"]["faults"]["lost_answers"] > 0
    assert state["stats"]["already_applied_total"] > 0
    assert state["evolution"]["new_status"]
    assert any("avito:" in key for keys in partner_keys.values() for key in keys)
