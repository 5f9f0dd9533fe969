"""JSON request bodies with a bound on nesting, checked before the parser sees them.

`json.loads` recurses per level: `[[[[…` a few thousand deep raises RecursionError (a 500), and
a payload only a little shallower makes every later walk over it recurse as deep. A webhook body
nests a handful of levels, so anything far deeper is refused as not a body we accept.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
# A scan in one pass: an escape (so `\"` does not end a string), a quote, or a bracket.
_TOKEN = re.compile(rb'\\.|["\[\]{}]', re.S)
_OPENING = (b"[", b"{")


class JsonBodyError(ValueError):
    """Not JSON, or JSON nested deeper than allowed."""


def nesting_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in `raw`, without parsing it (linear, no recursion);
    brackets inside strings do not count."""
    depth = deepest = 0
    in_string = False
    for match in _TOKEN.finditer(raw):
        token = match[0]
        if token == b'"':
            in_string = not in_string
        elif in_string or token[0:1] == b"\\":
            continue
        elif token in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def load_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed body; JsonBodyError for anything that is not JSON of at most `max_depth`
    nested arrays and objects."""
    # No body nests deeper than it has brackets: counting them is a C loop, and spares the
    # ordinary body (a dozen brackets) the scan, which costs more than `json.loads` itself.
    brackets = raw.count(b"[") + raw.count(b"{")
    if brackets > max_depth and nesting_depth(raw) > max_depth:
        raise JsonBodyError(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(raw)
    except ValueError as error:  # UnicodeDecodeError is one too
        raise JsonBodyError("body is not JSON") from error
