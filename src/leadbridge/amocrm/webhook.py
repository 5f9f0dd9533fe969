"""amoCRM webhooks: PHP-style form bodies (`leads[status][0][id]=…`) into typed changes.

The format is amoCRM's v2 one: field names like `last_modified` and `old_status_id`, values as
strings. Unknown keys are kept in `raw` and never fail the parse; only a body with no
`account` and no entity section at all is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

KEY_PART = re.compile(r"\[([^\[\]]*)\]")
ENTITY_SECTIONS = ("leads", "contacts", "unsorted", "companies", "customers", "tasks")


class WebhookFormatError(ValueError):
    """Not an amoCRM webhook body."""


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
    account_id: int | None
    subdomain: str | None
    status_changes: tuple[LeadStatusChange, ...]
    body: Mapping[str, Any]


def parse_form(body: str) -> dict[str, Any]:
    """`a[b][0][c]=1` → {"a": {"b": [{"c": "1"}]}}; sections keyed 0..n become lists."""
    tree: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True, strict_parsing=False):
        head, _, rest = key.partition("[")
        path = [head, *KEY_PART.findall("[" + rest)] if rest else [head]
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
    return AmoWebhook(
        account_id=_int(account.get("id")),
        subdomain=account.get("subdomain"),
        status_changes=tuple(_status_changes(leads.get("status"))),
        body=tree,
    )


def _status_changes(section: Any) -> list[LeadStatusChange]:
    items = section if isinstance(section, list) else []
    changes: list[LeadStatusChange] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        lead_id, status_id = _int(item.get("id")), _int(item.get("status_id"))
        if lead_id is None or status_id is None:
            continue
        changes.append(
            LeadStatusChange(
                amo_lead_id=lead_id,
                status_id=status_id,
                pipeline_id=_int(item.get("pipeline_id")),
                old_status_id=_int(item.get("old_status_id")),
                old_pipeline_id=_int(item.get("old_pipeline_id")),
                price=_int(item.get("price")),
                modified_at=_int(item.get("last_modified") or item.get("updated_at")),
                raw=item,
            )
        )
    return changes


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
    except (TypeError, ValueError):
        return None
