"""JSON bodies with a bound on nesting: refused before the recursive parser sees them."""

from __future__ import annotations

import json

import pytest

from leadbridge.json_bodies import MAX_DEPTH, JsonBodyError, load_json, nesting_depth


def test_a_webhook_body_parses_as_json_does() -> None:
    body = {"id": "e1", "payload": {"type": "lead.created", "lead": {"defects": {"a": ["b"]}}}}
    assert load_json(json.dumps(body).encode()) == body


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'["[[[[", "]]]", "\\"[[["]', 1),  # brackets and escaped quotes inside strings
        (b"[[]][[[]]]", 3),
    ],
)
def test_depth_counts_arrays_and_objects_outside_strings(raw: bytes, depth: int) -> None:
    assert nesting_depth(raw) == depth


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_a_body_nested_far_too_deep_is_refused_not_a_recursion_error(opening: bytes) -> None:
    with pytest.raises(JsonBodyError, match="deeper"):
        load_json(opening * 200_000)


def test_the_limit_is_exact() -> None:
    assert load_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(JsonBodyError):
        load_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe\x00", b"[1,]", b"nope"])
def test_what_is_not_json_is_refused_the_same_way(raw: bytes) -> None:
    with pytest.raises(JsonBodyError):
        load_json(raw)
