"""Avito's answer bodies, read where the mapping's `[answers]` table says.

Reading an answer never raises anything but `UnreadableAnswer`: a body that is not JSON (or
nests absurdly deep), is not an object, or lacks a field where the mapping puts it, names that
field and carries the body as the drift's sample. An error body whose code the contract does not
document is drift too, but only a note: the answer is still classified by its HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from leadbridge.avito.answer_shapes import AnswerShape
from leadbridge.avito.results import (
    KNOWN_ERROR_CODES,
    AnswerDrift,
    StatusReading,
    UnreadableAnswer,
)
from leadbridge.domain.contract_drift import DriftKind
from leadbridge.json_bodies import JsonBodyError, load_json

SAMPLE_CHARS = 400  # of a body that is not JSON: as much as a drift's masked sample shows
MISSING = object()  # no such key, as opposed to a key whose value is null


def read_json(response: httpx.Response, where: str) -> Any:
    """The body as JSON, or UnreadableAnswer naming `where` (the method and path)."""
    try:
        return load_json(response.content)
    except JsonBodyError as error:
        sample = response.text[:SAMPLE_CHARS]
        raise unreadable(where, "body", sample, str(error)) from error


def read_object(response: httpx.Response, where: str) -> Mapping[str, Any]:
    body = read_json(response, where)
    if not isinstance(body, Mapping):
        raise unreadable(where, "body", body, "not a JSON object")
    return body


def read_status(response: httpx.Response, shape: AnswerShape, where: str) -> StatusReading:
    """A read-back's status, in Avito's names; null before the lead's first status."""
    body = read_object(response, where)
    status = value_at(body, shape.status_path)
    if status is MISSING:
        raise unreadable(where, ".".join(shape.status_path), body, "missing")
    if status is not None and (not isinstance(status, str) or not status):
        raise unreadable(where, ".".join(shape.status_path), body, "not a status name")
    return StatusReading(status, body)


def error_code_drifts(response: httpx.Response, shape: AnswerShape) -> tuple[AnswerDrift, ...]:
    """The code of an error body, as drift when the contract does not document it. A body
    without a code (a gateway's HTML page) tells nothing about the contract."""
    try:
        body = load_json(response.content)
    except JsonBodyError:
        return ()
    code = value_at(body, shape.error_code_path)
    if isinstance(code, bool) or not isinstance(code, str | int) or _known_error_code(code):
        return ()
    return ((DriftKind.UNKNOWN_ERROR_CODE, str(code), body),)


def value_at(value: Any, path: Sequence[str]) -> Any:
    """What lies at `path` in nested objects; MISSING where the path leads nowhere."""
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return MISSING
        value = value[key]
    return value


def unreadable(where: str, field: str, sample: object, problem: str) -> UnreadableAnswer:
    name = f"{where}: {field}"
    return UnreadableAnswer(f"{name}: {problem}", (DriftKind.UNKNOWN_ANSWER, name, sample))


def _known_error_code(code: str | int) -> bool:
    text = str(code)
    # Compared as text: a code that turns up as "429" rather than 429 still means the same.
    if len(text) != 3 or not text.isascii() or not text.isdigit():
        return False
    return int(text) in KNOWN_ERROR_CODES or text.startswith("5")
