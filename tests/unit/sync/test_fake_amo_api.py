"""`tests/support/fake_amo.InMemoryAmoApi` stays a stand-in a flow cannot tell from `AmoApi`: the
same methods with the same signatures, and the shapes the amoCRM simulator answers in."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from tests.support.fake_amo import InMemoryAmoApi, NotFaked

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


def working_statuses(sandbox: AmoSandbox, pipeline: int) -> list[int]:
    return [
        status for status in sandbox.pipelines[pipeline]["statuses"] if status not in (142, 143)
    ]


@pytest.mark.parametrize("name", PUBLIC)
def test_every_method_of_the_real_api_is_overridden_with_its_signature(name: str) -> None:
    real, fake = getattr(AmoApi, name), getattr(InMemoryAmoApi, name)

    assert fake is not real, f"InMemoryAmoApi inherits AmoApi.{name}: it would go to HTTP"
    assert inspect.signature(fake) == inspect.signature(real)
    assert inspect.isasyncgenfunction(fake) == inspect.isasyncgenfunction(real)
    assert inspect.iscoroutinefunction(fake) == inspect.iscoroutinefunction(real)


async def test_deals_and_events_have_the_simulators_shapes() -> None:
    sandbox = AmoSandbox()
    pipeline = sandbox.main_pipeline()
    first, second = working_statuses(sandbox, pipeline)[:2]
    created = create_lead(sandbox, {"name": "Сделка", "price": 10, "status_id": first}, "0")
    update_lead(sandbox, created, {"status_id": second})
    fake = InMemoryAmoApi()
    fake.add_deal(7, status_id=first, pipeline_id=pipeline, price=10)
    fake.move(7, status_id=second)

    fake_deal = await fake.lead(7)
    assert shape(fake_deal) == shape(lead_json(created))
    assert shape(await fake.lead_status_events(7)) == shape(sandbox.events)
    assert shape(await fake.status_events(0)) == shape(sandbox.events)
    assert await fake.lead(8) is None
    assert await fake.deals([7, 8]) == {7: fake_deal}


def test_the_status_webhook_has_the_simulators_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = AmoSandbox()
    sent: list[str] = []
    monkeypatch.setattr(sandbox.webhooks, "_send", lambda hook, body: sent.append(body))
    sandbox.webhooks.subscribe("https://bridge.example/hook", ["status_lead"], 10)
    pipeline = sandbox.main_pipeline()
    first, second = working_statuses(sandbox, pipeline)[:2]
    created = create_lead(sandbox, {"name": "Сделка", "price": 10, "status_id": first}, "0")
    update_lead(sandbox, created, {"status_id": second})
    fake = InMemoryAmoApi()
    fake.add_deal(7, status_id=first, pipeline_id=pipeline, price=10)

    body = fake.status_webhook(fake.move(7, status_id=second))

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
