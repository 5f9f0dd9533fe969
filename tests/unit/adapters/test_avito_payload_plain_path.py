"""`parse_lead` reads a plain payload on a fast path and falls back to the careful reading that
names what is wrong. Whatever a payload holds, the two must agree: the same lead, or the same
refusal with the same message."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadbridge.avito.mapping import LeadMapping, load_mapping
from leadbridge.avito.mapping_in_force import default_mapping
from leadbridge.avito.payload import (
    PayloadError,
    _request,
    _unknown_values,
    explain,
    parse_lead,
)
from leadbridge.domain.lead import BuyoutRequest
from leadbridge.sandbox.api_break import MAPPING_AFTER_BREAK
from leadbridge.sandbox.avito import LeadFactory
from leadbridge.sandbox.avito.breaking import move_renamed_fields

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MAPPINGS = (default_mapping(), load_mapping(MAPPING_AFTER_BREAK))
_FACTORY = LeadFactory(seed=5)
# Generated leads as today's contract sends them, and after the break (index: after or not).
LEADS = (
    [_FACTORY.make() for _ in range(30)],
    [move_renamed_fields(_FACTORY.make()) for _ in range(30)],
)
ODD_VALUES = st.one_of(
    st.none(),
    st.just(""),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300),
    st.sampled_from(["8 916 123-45-67", "12.5", "2026-11-23T10:00:00"]),
    st.sampled_from(["x" * 40, "x" * 200, "x" * 300]),  # beyond the columns' lengths
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _careful(raw: dict[str, Any], mapping: LeadMapping) -> BuyoutRequest:
    """The lead as the careful reading gives it, refusing at the first field it refuses."""
    readings, unknown = explain(raw, mapping)
    for reading in readings:
        if reading.error is not None:
            raise PayloadError(reading.error, f"lead.{reading.name}")
    values = {reading.name: reading.value for reading in readings}
    return _request(values, unknown, _unknown_values(values, mapping))


def _outcome(read: Callable[[], BuyoutRequest]) -> object:
    try:
        request = read()
    except PayloadError as error:
        return ("refused", str(error), error.where)
    # A lead without a readable creation time is stamped with the time of reading: never the
    # same twice, so that one field is left out of the comparison.
    return dataclasses.replace(request, created_at=EPOCH)


@st.composite
def payloads(draw: st.DrawFn) -> tuple[dict[str, Any], LeadMapping]:
    """A generated lead, before or after the break, with a few of its values (at any depth)
    replaced by something odd, or deleted."""
    mapping = draw(st.sampled_from(MAPPINGS))
    lead = copy.deepcopy(draw(st.sampled_from(LEADS[mapping is MAPPINGS[1]])))
    for _ in range(draw(st.integers(0, 3))):
        node: dict[str, Any] = lead
        while True:
            key = draw(st.sampled_from(sorted(node)))
            if isinstance(node[key], dict) and node[key] and draw(st.booleans()):
                node = node[key]
                continue
            if draw(st.integers(0, 4)) == 0:
                del node[key]
            else:
                node[key] = draw(ODD_VALUES)
            break
    return lead, mapping


# The payloads are large by design; on a machine busy with the rest of the suite drawing one can
# take seconds, which is no fault of the code under test.
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(payloads())
def test_the_fast_path_agrees_with_the_careful_reading(
    drawn: tuple[dict[str, Any], LeadMapping],
) -> None:
    raw, mapping = drawn
    assert _outcome(lambda: parse_lead(raw, mapping)) == _outcome(lambda: _careful(raw, mapping))
