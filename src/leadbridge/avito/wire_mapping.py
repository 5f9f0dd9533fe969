"""Where Avito's API puts things besides the lead's fields: endpoint paths, the status names it
speaks, what a status item carries, the shape of a webhook envelope, of the feed and of the
answers the client reads.

These are the optional tables of the mapping file (`[endpoints]`, `[statuses]`,
`[status_items]`, `[webhook]`, `[feed]`, `[answers]`); a table left out keeps today's contract,
and so does a key left out of a table, so a copy made before they existed still loads. Our own
status names (the funnel's, `funnel.toml`) never change: the client translates them to Avito's
on the way out and back on the way in, so that a status Avito renames is one line of the
mapping, not a migration of the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from leadbridge.avito.answer_shapes import AnswerShape
from leadbridge.config import ConfigurationError

WIRE_TABLES = ("endpoints", "statuses", "status_items", "webhook", "feed", "answers")
Shape = TypeVar("Shape")
_ITEM_FIELDS = (
    "lead_id_field",
    "status_field",
    "occurred_at_field",
    "idempotency_key_field",
    "price_field",
    "reason_field",
    "reason_code_field",
)


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
    """What a status apply request carries: the list of items (`items_field`) and the name of
    each field of an item.

    `reason_codes`: the code Avito wants (from its reasons dictionary), sent in the field
    `reason_code_field`, keyed by our reason (the loss reason's name, `funnel.toml`) or, for any
    other reason, by our status; empty: no code is sent, only the free-text reason.
    """

    items_field: str = "items"
    lead_id_field: str = "leadId"
    status_field: str = "status"
    occurred_at_field: str = "occurredAt"
    idempotency_key_field: str = "idempotencyKey"
    price_field: str = "price"
    reason_field: str = "reason"
    reason_code_field: str = "reasonCode"
    reason_codes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookShape:
    """Where an envelope says what happened, the value that means a new request, and where the
    request is; and the fields of our subscription (its URL and secret).

    A seller's change of a request (`lead_updated`, `lead_withdrawn`: the same type names in
    feed rows) carries the request as it stands after the change at `lead_path`, the change's
    own id — the same by webhook and feed, so that one change is applied once — at
    `change_id_path`, and when it happened at `changed_at_path`."""

    type_path: tuple[str, ...] = ("payload", "type")
    lead_created: str = "lead.created"
    lead_path: tuple[str, ...] = ("payload", "lead")
    lead_updated: str = "lead.updated"
    lead_withdrawn: str = "lead.withdrawn"
    change_id_path: tuple[str, ...] = ("payload", "changeId")
    changed_at_path: tuple[str, ...] = ("payload", "changedAt")
    subscription_url: str = "url"
    subscription_secret: str = "secret"


@dataclass(frozen=True, slots=True)
class FeedShape:
    """The lead feed's answer: the list of rows, each row's id and lead, and the next cursor;
    and its request: where the last position seen and the page size go.

    A row with a `row_type` other than the webhook's `lead_created` is a seller's change of a
    request (a row without one is a new request, as before changes existed); it carries its
    change's id and time in `row_change_id` and `row_changed_at`."""

    rows: str = "result"
    row_id: str = "id"
    row_lead: str = "lead"
    row_type: str = "type"
    row_change_id: str = "changeId"
    row_changed_at: str = "changedAt"
    cursor_path: tuple[str, ...] = ("pagination", "lastId")
    request_cursor: str = "lastId"
    request_limit: str = "limit"


@dataclass(frozen=True, slots=True)
class WireMapping:
    endpoints: Endpoints = field(default_factory=Endpoints)
    statuses: StatusNames = field(default_factory=StatusNames)
    status_items: StatusItems = field(default_factory=StatusItems)
    webhook: WebhookShape = field(default_factory=WebhookShape)
    feed: FeedShape = field(default_factory=FeedShape)
    answers: AnswerShape = field(default_factory=AnswerShape)


def parse_wire(raw: Mapping[str, Any]) -> WireMapping:
    """The wire tables of a mapping file, checked key by key."""
    return WireMapping(
        endpoints=_texts("endpoints", raw.get("endpoints"), Endpoints(), _endpoint),
        statuses=StatusNames(to_avito=_names("statuses", raw.get("statuses"), unique=True)),
        status_items=_status_items(raw.get("status_items")),
        webhook=_webhook(raw.get("webhook")),
        feed=_feed(raw.get("feed")),
        answers=_answers(raw.get("answers")),
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
        changes[key] = _dotted(f"{table}.{key}", checked) if key.endswith("_path") else checked
    changed: Shape = replace(defaults, **changes)
    return changed


def _dotted(key: str, path: str) -> tuple[str, ...]:
    parts = tuple(path.split("."))
    if "" in parts:
        raise _error(key, f"{path!r}: a dotted path has a name between each two dots")
    return parts


def _distinct(table: str, shape: object, keys: Iterable[str]) -> None:
    """Two keys naming the same field of one object would read or write one for the other."""
    seen: dict[str, str] = {}
    for key in keys:
        name = getattr(shape, key)
        if name in seen:
            raise _error(f"{table}.{key}", f"{name!r} is already the field of {seen[name]}")
        seen[name] = key


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
    texts = {key: text for key, text in value.items() if key != "reason_codes"}
    items = _texts("status_items", texts, StatusItems(), _text)
    # The fields of one item; `items_field` names the list they sit in, a level above.
    _distinct("status_items", items, _ITEM_FIELDS)
    codes = _names("status_items.reason_codes", value.get("reason_codes"))
    return replace(items, reason_codes=codes)


def _webhook(value: Any) -> WebhookShape:
    webhook = _texts("webhook", value, WebhookShape(), _text)
    # One type name for two kinds of event would apply a new request as a change, or back.
    _distinct("webhook", webhook, ("lead_created", "lead_updated", "lead_withdrawn"))
    return webhook


def _feed(value: Any) -> FeedShape:
    feed = _texts("feed", value, FeedShape(), _text)
    _distinct("feed", feed, ("row_id", "row_lead", "row_type", "row_change_id", "row_changed_at"))
    return feed


def _answers(value: Any) -> AnswerShape:
    answers = _texts("answers", value, AnswerShape(), _text)
    row_fields = ("row_key", "row_result", "row_status", "row_message", "row_error_code")
    _distinct("answers", answers, row_fields)
    return answers


def _error(key: str, problem: str) -> ConfigurationError:
    return ConfigurationError(f"avito mapping: {key}: {problem}")
