"""Where Avito's API puts things besides the lead's fields: endpoint paths, the status names it
speaks, what a status item carries, and the shape of a webhook envelope.

These are the optional tables of the mapping file (`[endpoints]`, `[statuses]`,
`[status_items]`, `[webhook]`, `[feed]`); a table left out keeps today's contract, so a copy
made before they existed still loads. Our own status names (the funnel's, `funnel.toml`) never
change: the client translates them to Avito's on the way out and back on the way in, so that
a status Avito renames is one line of the mapping, not a migration of the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from leadbridge.config import ConfigurationError

WIRE_TABLES = ("endpoints", "statuses", "status_items", "webhook", "feed")
Shape = TypeVar("Shape")


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Paths of the partner API, relative to `avito.base_url`; `status_read` holds `{lead_id}`."""

    token: str = "/token"
    leads: str = "/partner/buyout/v1/leads/get"
    webhook: str = "/partner/buyout/v1/webhook"
    status_apply: str = "/partner/buyout/v1/leads/statuses/apply"
    status_read: str = "/partner/buyout/v1/leads/{lead_id}/status"
    settlement: str = "/partner/buyout/v1/settlements"


@dataclass(frozen=True, slots=True)
class StatusNames:
    """Our status name → Avito's; a status not listed is called the same on both sides."""

    to_avito: Mapping[str, str] = field(default_factory=dict)

    def avito(self, ours: str) -> str:
        return self.to_avito.get(ours, ours)

    def ours(self, avito: str) -> str:
        """Avito's name in our terms; a name we do not know passes through unchanged (Avito
        adds statuses it sets itself, docs/avito-partner-api.md §6)."""
        for our_name, avito_name in self.to_avito.items():
            if avito_name == avito:
                return our_name
        return avito


@dataclass(frozen=True, slots=True)
class StatusItems:
    """What a status item carries beyond the documented fields.

    `reason_codes`: the code Avito wants (from its reasons dictionary), sent in the field
    `reason_code_field`, keyed by our reason (the loss reason's name, `funnel.toml`) or, for any
    other reason, by our status; empty: no code is sent, only the free-text reason.
    """

    reason_code_field: str = "reasonCode"
    reason_codes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookShape:
    """Where an envelope says what happened, the value that means a new request, and where the
    request is."""

    type_path: tuple[str, ...] = ("payload", "type")
    lead_created: str = "lead.created"
    lead_path: tuple[str, ...] = ("payload", "lead")


@dataclass(frozen=True, slots=True)
class FeedShape:
    """The lead feed's answer: the list of rows, each row's id and lead, and the next cursor."""

    rows: str = "result"
    row_id: str = "id"
    row_lead: str = "lead"
    cursor_path: tuple[str, ...] = ("pagination", "lastId")


@dataclass(frozen=True, slots=True)
class WireMapping:
    endpoints: Endpoints = field(default_factory=Endpoints)
    statuses: StatusNames = field(default_factory=StatusNames)
    status_items: StatusItems = field(default_factory=StatusItems)
    webhook: WebhookShape = field(default_factory=WebhookShape)
    feed: FeedShape = field(default_factory=FeedShape)


def parse_wire(raw: Mapping[str, Any]) -> WireMapping:
    """The wire tables of a mapping file, checked key by key."""
    return WireMapping(
        endpoints=_texts("endpoints", raw.get("endpoints"), Endpoints(), _endpoint),
        statuses=StatusNames(to_avito=_names("statuses", raw.get("statuses"), unique=True)),
        status_items=_status_items(raw.get("status_items")),
        webhook=_texts("webhook", raw.get("webhook"), WebhookShape(), _text),
        feed=_texts("feed", raw.get("feed"), FeedShape(), _text),
    )


def _texts(table: str, value: Any, default: Shape, check: Callable[[str, Any], str]) -> Shape:
    """A table of texts over a dataclass of defaults; `*_path` keys are dotted paths."""
    if value is None:
        return default
    if not isinstance(value, Mapping):
        raise _error(table, "must be a table")
    defaults: Any = default  # a dataclass instance of the tables above
    known = {item.name for item in fields(defaults)}
    changes: dict[str, Any] = {}
    for key, text in value.items():
        if key not in known:
            raise _error(f"{table}.{key}", f"unknown key (known: {', '.join(sorted(known))})")
        checked = check(f"{table}.{key}", text)
        changes[key] = tuple(checked.split(".")) if key.endswith("_path") else checked
    changed: Shape = replace(defaults, **changes)
    return changed


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error(key, "must be a non-empty text")
    return value


def _endpoint(key: str, value: Any) -> str:
    path = _text(key, value)
    if not path.startswith("/"):
        raise _error(key, f"{path!r}: a path starts with / (the host is avito.base_url)")
    if key == "endpoints.status_read" and "{lead_id}" not in path:
        raise _error(key, f"{path!r}: must hold {{lead_id}} where the lead's id goes")
    return path


def _names(key: str, value: Any, *, unique: bool = False) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _error(key, "must be a table of our name = Avito's")
    names = {name: _text(f"{key}.{name}", avito) for name, avito in value.items()}
    if not unique:
        return names
    seen: dict[str, str] = {}
    for ours, avito in names.items():
        if avito in seen:
            raise _error(f"{key}.{ours}", f"{avito!r} is already Avito's name for {seen[avito]}")
        seen[avito] = ours
    return names


def _status_items(value: Any) -> StatusItems:
    if value is None:
        return StatusItems()
    if not isinstance(value, Mapping):
        raise _error("status_items", "must be a table")
    for key in value:
        if key not in ("reason_code_field", "reason_codes"):
            raise _error(
                f"status_items.{key}", "unknown key (known: reason_code_field, reason_codes)"
            )
    default = StatusItems()
    field_name = value.get("reason_code_field", default.reason_code_field)
    return StatusItems(
        reason_code_field=_text("status_items.reason_code_field", field_name),
        reason_codes=_names("status_items.reason_codes", value.get("reason_codes")),
    )


def _error(key: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"avito mapping: {key}: {problem}")
