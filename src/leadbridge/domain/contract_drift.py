"""Contract drift: what Avito sent or answered that our mapping does not know, and the masked
sample a person recognises it by.

A drift is named by its kind and a name (the field path, the unknown value, the error code or
the endpoint): the name is what a person reads to fix the mapping, so it is stored as given and
must carry no personal data. The sample is the payload around it, always masked by
`masked_sample` before it is stored, logged or shown.

How a sample is masked, so that it shows the shape of what arrived and never who sent it:

- keys are kept when they look like field names (ASCII letters, digits, `_`, `-`, `.`, at most
  64 characters and no run of 7 digits); any other key is masked like a string value;
- numbers, booleans and null are kept: prices and ids help recognise a drift, and they are not
  personal; the exception is a number whose whole part is shaped like a Russian phone number
  (11 digits from 7 or 8, or 10 digits from 9), masked like a string: 79161234567 → 7••••••••67;
- a string of up to 2 characters is kept; a longer one keeps its first character and its last
  two digits, where they stand, and every other character becomes `•`, so the length still
  shows: "Иван Петров" → "И••••••••••", "+79161234567" → "+•••••••••67",
  "ivan@mail.ru" → "i•••••••••••";
- the rendering is cut at `limit` characters, the last one being "…", and nesting deeper than
  `MAX_DEPTH` is shown as "…": a sample is for recognising, not for reading a whole payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Mapping
from decimal import Decimal
from enum import StrEnum

MASK = "•"
ELLIPSIS = "…"
MAX_DEPTH = 12
KEPT_DIGITS = 2  # the last digits of a string: enough to tell two phones apart, not to call one
_FIELD_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_DIGIT_RUN = re.compile(r"\d{7}")
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_.:+\-]{1,64}")  # an enum value or an id, not a name
_PHONE_NUMBER = re.compile(r"[78]\d{10}|9\d{9}")


class DriftKind(StrEnum):
    """What kind of surprise: the values are what `avito_contract_drift.kind` stores."""

    UNKNOWN_FIELD = "unknown_field"  # a payload field the mapping does not read
    UNKNOWN_ENUM_VALUE = "unknown_enum_value"  # a known field with a value it does not list
    UNKNOWN_STATUS = "unknown_status"  # a lead status Avito reports that we do not know
    UNKNOWN_ERROR_CODE = "unknown_error_code"  # an error answer with a code we do not know
    UNKNOWN_ANSWER = "unknown_answer"  # an answer whose shape we do not recognise
    ENDPOINT_GONE = "endpoint_gone"  # 404 or 410 on a documented path
    QUARANTINED = "quarantined"  # an event we could not interpret, set aside in quarantine


def masked_sample(value: object, limit: int = 400) -> str:
    """`value` rendered as JSON-ish text for a person, personal data masked (see the module's
    docstring), at most `limit` characters long."""
    if limit < 1:
        raise ValueError("a sample needs room for at least one character")
    text = ""
    for piece in _pieces(value, depth=0):
        text += piece
        # Rendering stops as soon as the limit is passed: a huge payload costs no more than this.
        if len(text) > limit:
            return text[: limit - 1] + ELLIPSIS
    return text


def drift_named(text: str) -> str:
    """A key or value Avito chose, as a drift's name may carry it — a name is logged and shown
    unmasked, so never personal data: a plain token as it is, anything else masked."""
    return (
        text if _PLAIN_TOKEN.fullmatch(text) and not _DIGIT_RUN.search(text) else masked_text(text)
    )


def masked_text(text: str) -> str:
    """One string as a sample shows it: its first character and last two digits kept."""
    if len(text) <= 2:
        return text
    kept = {0, *_last_digit_positions(text)}
    return "".join(char if index in kept else MASK for index, char in enumerate(text))


def _last_digit_positions(text: str) -> list[int]:
    digits = [index for index, char in enumerate(text) if char.isdigit()]
    return digits[-KEPT_DIGITS:]


def _pieces(value: object, depth: int) -> Iterator[str]:
    if depth > MAX_DEPTH:
        yield ELLIPSIS
    elif isinstance(value, Mapping):
        yield from _mapping_pieces(value, depth)
    elif isinstance(value, list | tuple | set | frozenset):
        yield from _sequence_pieces(value, depth)
    else:
        yield _scalar(value)


def _mapping_pieces(value: Mapping[object, object], depth: int) -> Iterator[str]:
    yield "{"
    for index, (key, item) in enumerate(value.items()):
        yield (", " if index else "") + _quoted(_key(key)) + ": "
        yield from _pieces(item, depth + 1)
    yield "}"


def _sequence_pieces(value: Collection[object], depth: int) -> Iterator[str]:
    yield "["
    for index, item in enumerate(value):
        yield ", " if index else ""
        yield from _pieces(item, depth + 1)
    yield "]"


def _scalar(value: object) -> str:
    # bool before int: True is an int to Python, and must read as JSON's true.
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, bytes | bytearray):
        return _quoted(masked_text(bytes(value).decode("utf-8", errors="replace")))
    # Anything else (an enum member, a date, an object) shows as its text, masked like a string.
    return _quoted(masked_text(value if isinstance(value, str) else _text_of(value)))


def _text_of(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noting drift must never fail the caller: such an object shows its type
        return f"<{type(value).__name__}>"


def _number(value: int | float | Decimal) -> str:
    try:
        text = str(value)
    except ValueError:  # an integer of thousands of digits, which Python refuses to print
        return ELLIPSIS
    whole = text.lstrip("-").split(".")[0]
    return masked_text(text) if _PHONE_NUMBER.fullmatch(whole) else text


def _key(key: object) -> str:
    text = key if isinstance(key, str) else str(key)
    if _FIELD_NAME.fullmatch(text) and not _DIGIT_RUN.search(text):
        return text
    return masked_text(text)


def _quoted(text: str) -> str:
    # A lone surrogate (from `\ud800` in a JSON body) cannot be stored as UTF-8: it becomes "?".
    storable = text.encode("utf-8", errors="replace").decode("utf-8")
    return json.dumps(storable, ensure_ascii=False)
