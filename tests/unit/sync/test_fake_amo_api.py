"""`tests/support/fake_amo.InMemoryAmoApi` stays a stand-in a flow cannot tell from `AmoApi`: the
same methods with the same signatures, and the shapes the amoCRM simulator answers in."""

from __future__ import annotations

import inspect
from dataclasses import asdict
from typing import Any

import pytest
from tests.support.fake_amo import InMemoryAmoApi, Move, NotFaked

from leadbridge.amocrm import answers
from leadbridge.amocrm.api import AmoApi
from leadbridge.amocrm.client import AmoApiError
from leadbridge.amocrm.webhook import parse_form
from leadbridge.sandbox.amocrm.leads import create_lead, update_lead
from leadbridge.sandbox.amocrm.state import AmoSandbox
from leadbridge.sandbox.amocrm.views import lead_json

pytestmark = pytest.mark.anyio
PUBLIC = sorted(
    name
    for name, member in vars(AmoApi).items()
    if not name.startswith("_") and inspect.isfunction(member)
)


def shape(value: Any) -> Any:
    """The keys of every mapping, recursively, and the shape of a list's first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def filled(answer: Any) -> set[str]:
    """The fields of a parsed answer that hold something."""
    return {name for name, value in asdict(answer).items() if value not in (None, (), "")}


def working_statuses(sandbox: AmoSandbox, pipeline: int) -> list[int]:
    return [
        status for status in sandbox.pipelines[pipeline]["statuses"] if status not in (142, 143)
    ]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_method_of_the_real_api_is_overridden_with_its_signature(name: str) -> None:
    real, fake = getattr(AmoApi, name), getattr(InMemoryAmoApi, name)

    assert fake is not real, f"InMemoryAmoApi inherits AmoApi.{name}: it would go to HTTP"
    # Compared as the types they name, however each module spells them.
    assert inspect.signature(fake, eval_str=True) == inspect.signature(real, eval_str=True)
    assert inspect.isasyncgenfunction(fake) == inspect.isasyncgenfunction(real)
    assert inspect.iscoroutinefunction(fake) == inspect.iscoroutinefunction(real)


def moved_once(sandbox: AmoSandbox) -> tuple[dict[str, Any], InMemoryAmoApi, Move]:
    """One deal made and moved to the next stage, in the simulator and in the fake alike: the
    simulator's deal, the fake, and the fake's move."""
    pipeline = sandbox.main_pipeline()
    first, second = working_statuses(sandbox, pipeline)[:2]
    created = create_lead(sandbox, {"name": "Сделка", "price": 10, "status_id": first}, "0")
    update_lead(sandbox, created, {"status_id": second})
    fake = InMemoryAmoApi()
    fake.add_deal(7, status_id=first, pipeline_id=pipeline, price=10)
    return created, fake, fake.move(7, status_id=second)


async def test_deals_and_events_have_the_simulators_shapes() -> None:
    sandbox = AmoSandbox()
    created, fake, _ = moved_once(sandbox)

    fake_deal = await fake.lead(7)
    assert shape(fake.answer_json(7)) == shape(lead_json(created))
    assert shape(fake.events) == shape(sandbox.events)
    # What the flows get is what the adapter parses from those bodies, with the same fields set.
    assert fake_deal == answers.deal(fake.answer_json(7))
    assert filled(fake_deal) == filled(answers.deal(lead_json(created)))
    fake_events = await fake.lead_status_events(7)
    assert fake_events == [answers.status_event(event) for event in fake.events]
    assert [filled(e) for e in fake_events] == [filled(answers.status_event(sandbox.events[0]))]
    assert await fake.status_events(0) == fake_events
    assert await fake.lead(8) is None
    assert await fake.deals([7, 8]) == {7: fake_deal}


def test_the_status_webhook_has_the_simulators_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = AmoSandbox()
    sent: list[str] = []
    monkeypatch.setattr(sandbox.webhooks, "_send", lambda hook, body: sent.append(body))
    sandbox.webhooks.subscribe("https://bridge.example/hook", ["status_lead"], 10)
    _, fake, move = moved_once(sandbox)

    body = fake.status_webhook(move)

    (simulated,) = sent
    assert shape(parse_form(body)) == shape(parse_form(simulated))


async def test_calls_are_counted_and_trouble_is_raised_when_asked_for() -> None:
    fake = InMemoryAmoApi()
    fake.fail("lead_status_events", AmoApiError(500, "boom"))

    with pytest.raises(AmoApiError):
        await fake.lead_status_events(1)
    assert await fake.lead_status_events(1) == []
    with pytest.raises(NotFaked):
        await fake.create_complex([])

    assert fake.asked_for("lead_status_events") == [(1,), (1,)]
    assert fake.calls == {"lead_status_events": 2, "create_complex": 1}
    assert fake.requests == {"GET /api/v4/events": 1}  # the failed call never reached amoCRM
