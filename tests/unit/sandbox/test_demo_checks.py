"""The demo's checks of the managers' day over hand-made simulator dumps: who owns each deal,
its first-call tasks, the withdrawals; and which requests the demo's sellers change."""

from __future__ import annotations

from itertools import islice
from typing import Any

from leadbridge.config import DEFAULT_FUNNEL, load_funnel
from leadbridge.domain.routing import Routing, Team
from leadbridge.sandbox.demo_checks import check_routing, check_tasks, check_withdrawn
from leadbridge.sandbox.demo_sellers import EDIT, WITHDRAW, changes_planned

FUNNEL = load_funnel(DEFAULT_FUNNEL)
PIPELINE_ID = 7001
MOSCOW = Team("Москва", frozenset({"москва"}), (11, 12))
KAZAN = Team("Казань", frozenset({"казань"}), (21,))
ROUTING = Routing((MOSCOW, KAZAN), fallback_user_id=99)


def deal(deal_id: int, avito_id: str, owner: int) -> dict[str, Any]:
    field = {"field_code": "AVITO_LEAD_ID", "values": [{"value": avito_id}]}
    return {
        "id": deal_id,
        "pipeline_id": PIPELINE_ID,
        "status_id": 1,
        "responsible_user_id": owner,
        "custom_fields_values": [field],
    }


def amocrm(*deals: dict[str, Any], tasks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    pipeline = {"id": PIPELINE_ID, "name": FUNNEL.name, "_embedded": {"statuses": []}}
    return {"pipelines": [pipeline], "leads": list(deals), "tasks": tasks or []}


def avito(**cities: str) -> dict[str, Any]:
    leads = [{"id": lead_id, "payload": {"location": {"city": c}}} for lead_id, c in cities.items()]
    return {"leads": leads}


def task(deal_id: int, text: str = "Связаться с продавцом") -> dict[str, Any]:
    return {"entity_type": "leads", "entity_id": deal_id, "text": text, "is_completed": False}


def test_deals_of_covered_cities_go_to_their_team_the_rest_to_the_fallback() -> None:
    state = amocrm(deal(1, "a", 11), deal(2, "b", 12), deal(3, "c", 21), deal(4, "d", 99))
    cities = avito(a="Москва", b="москва ", c="Казань", d="Тверь")

    counts, check = check_routing(cities, state, FUNNEL, ROUTING)

    assert counts == {"deals": 4, "in_own_team": 3, "fallback": 1}
    assert (check.checked, check.failed) == (4, 0)


def test_a_deal_owned_outside_its_team_or_a_fallback_deal_of_a_covered_city_fails() -> None:
    state = amocrm(deal(1, "a", 21), deal(2, "b", 99), deal(3, "c", 11))
    cities = avito(a="Москва", b="Казань", c="Тверь")

    counts, check = check_routing(cities, state, FUNNEL, ROUTING)

    assert counts == {"deals": 3, "in_own_team": 0, "fallback": 0}
    assert check.violations == [
        "deal 1 (Москва): owner 21, team Москва",
        "deal 2 (Казань): owner 99, team Казань",
        "deal 3 (Тверь): owner 11, fallback 99",
    ]


def test_without_routing_deals_are_counted_but_no_owner_is_held_to_a_team() -> None:
    counts, check = check_routing(avito(a="Москва"), amocrm(deal(1, "a", 5)), FUNNEL, None)

    assert counts == {"deals": 1, "in_own_team": 0, "fallback": 0}
    assert (check.checked, check.failed) == (0, 0)


def test_every_deal_needs_exactly_one_first_call_task() -> None:
    tasks = [task(1), task(2), task(2), task(3, "Продавец отменил заявку на Авито")]
    state = amocrm(deal(1, "a", 11), deal(2, "b", 11), deal(3, "c", 11), tasks=tasks)

    counts, check = check_tasks(state, FUNNEL)

    assert counts == {"deals": 3, "with_one_task": 1}
    assert check.violations == [
        "deal 2: 2 tasks «Связаться с продавцом»",
        "deal 3: 0 tasks «Связаться с продавцом»",  # another task is no first call
    ]


def test_a_withdrawn_lead_with_a_parked_status_fails() -> None:
    assert check_withdrawn({"leads": 3, "settled": 3, "parked": 0}).failed == 0
    failed = check_withdrawn({"leads": 3, "settled": 2, "parked": 1})
    assert failed.violations == ["1 withdrawn leads with a parked status"]


def test_sellers_change_the_same_five_percent_for_the_same_seed_at_least_one_of_each() -> None:
    plan = list(islice(changes_planned(3, 40), 40))

    assert plan == list(islice(changes_planned(3, 40), 40))
    assert (plan.count(WITHDRAW), plan.count(EDIT)) == (2, 2)
    assert list(islice(changes_planned(4, 40), 40)) != plan
    assert list(islice(changes_planned(3, 10), 10)).count(WITHDRAW) == 1  # even a short demo
    assert set(islice(changes_planned(3, 0), 5)) == {None}


def test_open_ended_sellers_draw_about_five_percent_of_each() -> None:
    plan = list(islice(changes_planned(1, None), 4000))

    assert 0.035 < plan.count(WITHDRAW) / 4000 < 0.065
    assert 0.035 < plan.count(EDIT) / 4000 < 0.065
