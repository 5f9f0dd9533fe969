"""What amoCRM checks before it writes anything: that a write body is JSON of the right shape
and that each known field has its type.

A wrong type anywhere fails the whole request: 400, `application/problem+json`, amoCRM's
`validation-errors` with one entry per failing element (`request_id`) and one error per field
(`InvalidType`, "This value should be of type int.", as amoCRM answers a string `price`), and
nothing of the batch is written. `null` passes the type check, as in the Symfony validator
amoCRM's messages come from; the routes read it as "not given". A missing required field is
`NotBlank` (UNCONFIRMED: docs/amocrm-simulator.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from leadbridge.sandbox.amocrm.validation import ValidationFailed


@dataclass(frozen=True)
class Scalar:
    name: str  # the type as amoCRM's message names it
    accepts: Callable[[Any], bool]


@dataclass(frozen=True)
class Obj:
    """A JSON object; keys not listed are not checked (amoCRM ignores fields it does not use)."""

    fields: Mapping[str, Spec] = field(default_factory=dict)
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ListOf:
    item: Spec


Spec = Scalar | Obj | ListOf


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


INT = Scalar("int", _is_int)
STR = Scalar("string", lambda value: isinstance(value, str))
BOOL = Scalar("bool", lambda value: isinstance(value, bool))
ANY = Scalar("mixed", lambda value: True)
# Echoed back as text; a number is taken as its digits rather than refused.
REQUEST_ID = Scalar("string", lambda value: isinstance(value, str) or _is_int(value))


def problems(value: Any, spec: Spec, path: str = "") -> list[dict[str, str]]:
    """Every type error in `value`, with amoCRM's dotted paths (`_embedded.contacts.0.name`)."""
    if isinstance(spec, Scalar):
        return [] if spec.accepts(value) else [invalid(path, spec.name)]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [invalid(path, "array")]
        found: list[dict[str, str]] = []
        for index, item in enumerate(value):
            where = _join(path, index)
            # An element of a list is an entity, not a field: null is no entity.
            found += [invalid(where, "array")] if item is None else problems(item, spec.item, where)
        return found
    if not isinstance(value, dict):
        return [invalid(path, "array")]
    found = []
    for key in sorted(spec.required):
        if value.get(key) in (None, ""):
            found.append(_error("NotBlank", _join(path, key), "This value should not be blank."))
    for key, sub in spec.fields.items():
        if value.get(key) is not None:
            found += problems(value[key], sub, _join(path, key))
    return found


def invalid(path: str, type_name: str) -> dict[str, str]:
    return _error("InvalidType", path, f"This value should be of type {type_name}.")


def _error(code: str, path: str, detail: str) -> dict[str, str]:
    return {"code": code, "path": path, "detail": detail}


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def request_id(raw: Any, index: int) -> str:
    """The element's own `request_id`, else its position, as amoCRM echoes it."""
    given = raw.get("request_id") if isinstance(raw, dict) else None
    return str(index) if given is None or isinstance(given, bool) else str(given)


def given(raw: Mapping[str, Any], key: str, default: Any) -> Any:
    """The field's value; `default` when it is absent or null."""
    value = raw.get(key)
    return default if value is None else value


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:  # not JSON, or not UTF-8
        detail = "The request body is not valid JSON."
        raise ValidationFailed(
            [{"request_id": "0", "errors": [_error("InvalidJson", "", detail)]}]
        ) from None


async def read_batch(request: Request, spec: Obj, cap: int | None = None) -> list[dict[str, Any]]:
    """A batch body: a JSON array of objects of `spec`, at most `cap` of them."""
    body = await read_json(request)
    if not isinstance(body, list):
        raise ValidationFailed([{"request_id": "0", "errors": [invalid("", "array")]}])
    if cap is not None and len(body) > cap:
        detail = f"At most {cap} entities per request"
        raise ValidationFailed(
            [{"request_id": "0", "errors": [_error("TooManyEntities", "", detail)]}]
        )
    failed = []
    for index, item in enumerate(body):
        found = problems(item, spec) if item is not None else [invalid("", "array")]
        if found:
            failed.append({"request_id": request_id(item, index), "errors": found})
    if failed:
        raise ValidationFailed(failed)
    return body


async def read_object(request: Request, spec: Obj) -> dict[str, Any]:
    """A single-entity body: one JSON object of `spec`."""
    body = await read_json(request)
    found = problems(body, spec) if body is not None else [invalid("", "array")]
    if found:
        raise ValidationFailed([{"request_id": request_id(body, 0), "errors": found}])
    assert isinstance(body, dict)  # problems() refuses anything else
    return body
