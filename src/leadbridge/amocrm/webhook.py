"""amoCRM webhooks: PHP-style form bodies (`leads[status][0][id]=…`) into typed changes.

The format is amoCRM's v2 one: field names like `last_modified` and `old_status_id`, values as
strings. Unknown keys are kept in `raw` and never fail the parse; only a body with no
`account` and no entity section at all is rejected — and one whose ids, price or time are
numbers that cannot be (`WebhookValueError`): nothing downstream could store or use them.

Older accounts name their account only inside each item (`leads[status][0][account_id]`, no
`account[...]` keys), and some send no `last_modified`: both are read as they come — the
account from the items, the change with `modified_at` None (what the flow then does with a change
without a time is `sync/stage_changes.py`'s).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

KEY_PART = re.compile(r"\[([^\[\]]*)\]")
ENTITY_SECTIONS = ("leads", "contacts", "unsorted", "companies", "customers", "tasks")
# amoCRM's deepest keys have 8 parts (`leads[status][0][custom_fields][0][values][0][value]`).
# The tree is rebuilt recursively, so a key nested thousands deep must be refused first.
MAX_KEY_DEPTH = 16


# Ids are stored as signed 64-bit integers, and so are a price's kopecks; a time must be one
# `datetime` can hold. A price that is merely implausible is a manager's to correct, not grounds
# to refuse the stage change it came with.
MAX_ID = 2**63 - 1
MAX_PRICE_RUBLES = MAX_ID // 100
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z


class WebhookFormatError(ValueError):
    """Not an amoCRM webhook body."""


class WebhookValueError(WebhookFormatError):
    """An amoCRM webhook body with a number that cannot be: the field and what was found."""

    def __init__(self, field: str, found: str, allowed: str) -> None:
        shown = found if len(found) <= 40 else f"{found[:37]}… ({len(found)} characters)"
        super().__init__(f"{field} is {shown}: allowed {allowed}")
        self.field, self.found = field, found


@dataclass(frozen=True, slots=True)
class LeadStatusChange:
    amo_lead_id: int
    status_id: int
    pipeline_id: int | None
    old_status_id: int | None
    old_pipeline_id: int | None
    price: int | None
    modified_at: int | None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AmoWebhook:
    account_id: int | None  # `account[id]`, else the one account its items name
    subdomain: str | None
    status_changes: tuple[LeadStatusChange, ...]
    body: Mapping[str, Any]
    # Every account the body names, `account[id]` and each item's `account_id`: a body is from
    # one account only if this holds exactly one.
    account_ids: frozenset[int] = frozenset()


def parse_form(body: str) -> dict[str, Any]:
    """`a[b][0][c]=1` → {"a": {"b": [{"c": "1"}]}}; sections keyed 0..n become lists.

    WebhookFormatError for a key with more than `MAX_KEY_DEPTH` parts.
    """
    tree: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=False):
        head, _, rest = key.partition("[")
        path = [head, *KEY_PART.findall("[" + rest)] if rest else [head]
        if len(path) > MAX_KEY_DEPTH:
            raise WebhookFormatError(f"a key nested deeper than {MAX_KEY_DEPTH} levels")
        _insert(tree, path, value)
    converted = _lists_from_indexes(tree)
    assert isinstance(converted, dict)
    return converted


def parse_webhook(body: str) -> AmoWebhook:
    tree = parse_form(body)
    if "account" not in tree and not any(section in tree for section in ENTITY_SECTIONS):
        raise WebhookFormatError("no account and no entity section")
    account = _section(tree, "account")
    leads = _section(tree, "leads")
    named = _ranged(account, "account", "id")
    in_items = _item_account_ids(tree)
    return AmoWebhook(
        account_id=named if named is not None else _only(in_items),
        subdomain=account.get("subdomain"),
        status_changes=tuple(_status_changes(leads.get("status"))),
        body=tree,
        account_ids=in_items if named is None else in_items | {named},
    )


def _item_account_ids(tree: Mapping[str, Any]) -> frozenset[int]:
    """`<entity>[<action>][i][account_id]` of every item of every entity section."""
    found: set[int] = set()
    for entity in ENTITY_SECTIONS:
        for action, items in _section(tree, entity).items():
            for index, item in _items(items):
                number = _ranged(item, f"{entity}[{action}][{index}]", "account_id")
                if number is not None:
                    found.add(number)
    return frozenset(found)


def _only(ids: frozenset[int]) -> int | None:
    return next(iter(ids)) if len(ids) == 1 else None


def _items(section: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """The items of an action's list, with their indexes; anything else there is no item."""
    listed = section if isinstance(section, list) else []
    return [(index, item) for index, item in enumerate(listed) if isinstance(item, dict)]


def _status_changes(section: Any) -> list[LeadStatusChange]:
    changes: list[LeadStatusChange] = []
    for index, item in _items(section):
        where = f"leads[status][{index}]"
        lead_id, status_id = _ranged(item, where, "id"), _ranged(item, where, "status_id")
        if lead_id is None or status_id is None:
            continue
        time_key = "last_modified" if item.get("last_modified") else "updated_at"
        # A time of 0 is no time: no stage change happened in 1970.
        modified_at = _ranged(item, where, time_key, 0, MAX_TIMESTAMP) or None
        changes.append(
            LeadStatusChange(
                amo_lead_id=lead_id,
                status_id=status_id,
                pipeline_id=_ranged(item, where, "pipeline_id"),
                old_status_id=_ranged(item, where, "old_status_id"),
                old_pipeline_id=_ranged(item, where, "old_pipeline_id"),
                price=_ranged(item, where, "price", 0, MAX_PRICE_RUBLES),
                modified_at=modified_at,
                raw=item,
            )
        )
    return changes


def _ranged(
    section: Mapping[str, Any], where: str, key: str, low: int = 1, high: int = MAX_ID
) -> int | None:
    """A number of the body: None when absent or not a number (tolerated, as unknown keys are),
    WebhookValueError, naming `where[key]`, when it is one outside `low`..`high`."""
    number = _int(section.get(key))
    if number is not None and not low <= number <= high:
        raise WebhookValueError(f"{where}[{key}]", str(section.get(key)), f"{low}…{high}")
    return number


def _section(tree: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = tree.get(name)
    return value if isinstance(value, dict) else {}


def _insert(tree: dict[str, Any], path: list[str], value: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[path[-1]] = value


def _lists_from_indexes(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists_from_indexes(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):  # ValueError also for a number of over 4300 digits
        return None
