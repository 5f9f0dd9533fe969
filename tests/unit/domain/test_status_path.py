from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.status_path import Verdict, plan_statuses

FUNNEL = load_funnel(DEFAULT_FUNNEL)
CHAIN = FUNNEL.statuses.chain
STAGE_KEYS = [stage.key for stage in FUNNEL.stages]
REASONS = [reason.name for reason in FUNNEL.loss_reasons] + [None]


def test_skipped_stages_become_intermediate_statuses_in_chain_order() -> None:
    plan = plan_statuses(FUNNEL, last_status="accepted", stage_key="received", price_kopecks=5000)

    assert plan.verdict is Verdict.SEND
    assert [p.status for p in plan.to_send] == [
        "contacted",
        "price_agreed",
        "pickup_scheduled",
        "device_received",
    ]
    assert plan.to_send[1].price_kopecks == 5000
    assert plan.to_send[0].price_kopecks is None


def test_stage_without_own_status_sends_nothing_new() -> None:
    plan = plan_statuses(FUNNEL, last_status="contacted", stage_key="negotiation", price_kopecks=1)
    assert plan.verdict is Verdict.UNCHANGED
    assert plan.to_send == ()


def test_backward_move_is_not_sent() -> None:
    plan = plan_statuses(FUNNEL, last_status="price_agreed", stage_key="contacted", price_kopecks=1)
    assert plan.verdict is Verdict.BACKWARD
    assert plan.to_send == ()


def test_post_buyout_stages_imply_bought_out() -> None:
    plan = plan_statuses(FUNNEL, last_status="device_received", stage_key="listed", price_kopecks=7)
    assert [p.status for p in plan.to_send] == ["bought_out"]
    assert plan.to_send[0].price_kopecks == 7


def test_lost_after_buyout_is_a_return() -> None:
    plan = plan_statuses(
        FUNNEL,
        last_status="bought_out",
        stage_key="lost",
        price_kopecks=1,
        loss_reason="Продавец передумал",
    )
    assert [p.status for p in plan.to_send] == ["returned"]


def test_lost_before_buyout_follows_the_loss_reason() -> None:
    seller = plan_statuses(
        FUNNEL,
        last_status="contacted",
        stage_key="lost",
        price_kopecks=1,
        loss_reason="Продавец передумал",
    )
    partner = plan_statuses(
        FUNNEL,
        last_status="contacted",
        stage_key="lost",
        price_kopecks=1,
        loss_reason="Не сошлись в цене",
    )
    unknown = plan_statuses(FUNNEL, last_status="contacted", stage_key="lost", price_kopecks=1)

    assert [(p.status, p.reason) for p in seller.to_send] == [("cancelled", "Продавец передумал")]
    assert [p.status for p in partner.to_send] == ["rejected"]
    assert [p.status for p in unknown.to_send] == ["rejected"]
    assert unknown.to_send[0].reason


def test_nothing_after_a_terminal_status() -> None:
    plan = plan_statuses(FUNNEL, last_status="rejected", stage_key="bought_out", price_kopecks=1)
    assert plan.verdict is Verdict.AFTER_TERMINAL
    assert plan.to_send == ()


@given(
    moves=st.lists(
        st.tuples(st.sampled_from(STAGE_KEYS), st.sampled_from(REASONS)), min_size=1, max_size=25
    )
)
def test_any_sequence_of_moves_queues_a_valid_chain(moves: list[tuple[str, str | None]]) -> None:
    """Whatever managers do, Avito receives a prefix of its chain, each status once, then at
    most one terminal status; and the last queued status is what the final stage implies."""
    sent: list[str] = []
    last: str | None = "accepted"
    sent.append("accepted")
    for stage_key, reason in moves:
        plan = plan_statuses(
            FUNNEL, last_status=last, stage_key=stage_key, price_kopecks=100, loss_reason=reason
        )
        sent.extend(p.status for p in plan.to_send)
        last = plan.last or last

    terminal = FUNNEL.statuses.terminal
    body = [status for status in sent if status not in terminal]
    assert body == list(CHAIN[: len(body)])
    ends = [status for status in sent if status in terminal]
    assert len(ends) <= 1
    if ends:
        assert sent[-1] == ends[0]
        if ends[0] == "returned":
            assert "bought_out" in sent
    final_stage = moves[-1][0]
    implied = FUNNEL.implied_status(final_stage)
    if not ends and implied is not None:
        assert CHAIN.index(sent[-1]) >= CHAIN.index(implied)
