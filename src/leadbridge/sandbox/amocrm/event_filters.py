"""The events API's filters (reference §8) over the account's events, in creation order.

Each filter takes its documented forms: `filter[type]=a,b`, `filter[type][]=a`,
`filter[type][0]=a`; `filter[created_at]=ts` means "from ts", `[from]`/`[to]` bound a range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.datastructures import QueryParams

Event = Mapping[str, Any]


def values_of(params: QueryParams, name: str) -> list[str]:
    """Every value given for `filter[name]`, `filter[name][]` or `filter[name][i]`."""
    key = f"filter[{name}]"
    found: list[str] = []
    for param, value in params.multi_items():
        if param.startswith(key) and _is_index(param.removeprefix(key)):
            found.extend(part for part in value.split(",") if part)
    return found


def _is_index(suffix: str) -> bool:
    inner = suffix.removeprefix("[").removesuffix("]")
    return suffix == "" or (suffix == f"[{inner}]" and (inner == "" or inner.isdigit()))


def filter_events(events: Iterable[Event], params: QueryParams) -> list[Event]:
    tests = [_one_of(params, "type", "type"), _one_of(params, "entity", "entity_type")]
    tests += [_one_of(params, "id", "id"), _entity_ids(params), _created_at(params)]
    active = [test for test in tests if test is not None]
    return [event for event in events if all(test(event) for test in active)]


def _one_of(params: QueryParams, name: str, attribute: str) -> Callable[[Event], bool] | None:
    wanted = set(values_of(params, name))
    if not wanted:
        return None
    return lambda event: str(event[attribute]) in wanted


def _entity_ids(params: QueryParams) -> Callable[[Event], bool] | None:
    wanted = {int(value) for value in values_of(params, "entity_id") if value.isdigit()}
    if not wanted:
        return None
    return lambda event: int(event["entity_id"]) in wanted


def _created_at(params: QueryParams) -> Callable[[Event], bool] | None:
    since = params.get("filter[created_at][from]", params.get("filter[created_at]"))
    until = params.get("filter[created_at][to]")
    if since is None and until is None:
        return None
    low = int(since) if since is not None else 0
    high = int(until) if until is not None else 2**63
    return lambda event: low <= event["created_at"] <= high
