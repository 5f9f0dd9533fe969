"""How the simulator renders its entities: HAL envelopes and v4 models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from leadbridge.sandbox.amocrm.state import AmoSandbox


def status_json(status: dict[str, Any]) -> dict[str, Any]:
    return {
        **status,
        "_links": {
            "self": {
                "href": f"/api/v4/leads/pipelines/{status['pipeline_id']}/statuses/{status['id']}"
            }
        },
    }


def pipeline_json(pipeline: dict[str, Any]) -> dict[str, Any]:
    body = {key: value for key, value in pipeline.items() if key != "statuses"}
    statuses = sorted(pipeline["statuses"].values(), key=lambda s: s["sort"])
    body["_links"] = {"self": {"href": f"/api/v4/leads/pipelines/{pipeline['id']}"}}
    body["_embedded"] = {"statuses": [status_json(s) for s in statuses]}
    return body


def lead_json(lead: dict[str, Any], *, with_contacts: bool = True) -> dict[str, Any]:
    body = {key: value for key, value in lead.items() if not key.startswith("_")}
    embedded: dict[str, Any] = {"tags": lead["_tags"], "companies": []}
    if with_contacts:
        embedded["contacts"] = [
            {"id": cid, "is_main": i == 0} for i, cid in enumerate(lead["_contacts"])
        ]
    body["_embedded"] = embedded
    body["_links"] = {"self": {"href": f"/api/v4/leads/{lead['id']}"}}
    return body


def task_json(task: dict[str, Any]) -> dict[str, Any]:
    return {**task, "_links": {"self": {"href": f"/api/v4/tasks/{task['id']}"}}}


def page(
    items: list[Any],
    key: str,
    path: str,
    page_number: int,
    limit: int,
    *,
    query: Sequence[tuple[str, str]] = (),
) -> dict[str, Any] | None:
    """One page in the HAL envelope; None (→ 204) when the page is empty.

    The links keep the request's other parameters (filters, `with`), so following
    `_links.next` as it is walks the same filtered list.
    """
    start = (page_number - 1) * limit
    chunk = items[start : start + limit]
    if not chunk:
        return None

    def href(number: int) -> dict[str, str]:
        return {"href": f"{path}?{urlencode([*query, ('page', number), ('limit', limit)])}"}

    links: dict[str, Any] = {"self": href(page_number), "first": href(1)}
    if start + limit < len(items):
        links["next"] = href(page_number + 1)
    if page_number > 1:
        links["prev"] = href(page_number - 1)
    return {"_page": page_number, "_links": links, "_embedded": {key: chunk}}


def state_dump(sandbox: AmoSandbox) -> dict[str, Any]:
    stats = sandbox.stats
    return {
        "account": {"id": sandbox.config.account_id, "subdomain": sandbox.config.subdomain},
        "pipelines": [pipeline_json(p) for p in sandbox.pipelines.values()],
        "custom_fields": {
            "leads": list(sandbox.fields.values()),
            "contacts": list(sandbox.contact_fields.values()),
        },
        "loss_reasons": list(sandbox.loss_reasons.values()),
        "users": sandbox.users.state_json(),
        "user_groups": [{"id": gid, "name": name} for gid, name in sandbox.users.groups.items()],
        "leads": [lead_json(lead) for lead in sandbox.leads.values()],
        "contacts": list(sandbox.contacts.values()),
        "tasks": [task_json(task) for task in sandbox.tasks.values()],
        "notes": list(sandbox.notes),
        "events": list(sandbox.events),
        "webhooks": list(sandbox.webhooks.hooks.values()),
        "stats": {
            "requests_total": stats.requests_total,
            "requests_by_token_kind": dict(stats.by_kind),
            "rate_limited_total": stats.rate_limited_total,
            "complex_batches": list(stats.complex_batches),
            "max_integration_rps_observed": stats.max_integration_rps_observed,
            "token_grants": dict(stats.token_grants),
            "blocked_until": sandbox.block.until or None,
            "blocks_started": sandbox.block.started_total,
            "blocked_requests_total": sandbox.block.forbidden_total,
            "faults_injected": dict(sandbox.faults.injected),
        },
    }
