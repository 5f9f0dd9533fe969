"""A line of Avito's weekly settlement that could not be read without guessing.

It is a discrepancy of its own class in the week's diff, beside `amount_mismatch`, `only_ours`
and `only_avito`: finance sees it, with the reason, instead of the line being dropped or the
whole week refused. The line itself is kept as received (`settlement_avito_lines`).
"""

from __future__ import annotations

from dataclasses import dataclass

QUARANTINED = "quarantined"
WHOLE_ANSWER = "весь ответ"  # the key of an answer that has no list of lines at all


@dataclass(frozen=True, slots=True)
class QuarantinedLine:
    key: str  # Avito's lineId when it can be read, else "строка №N" or WHOLE_ANSWER
    avito_lead_id: str  # "" when the line does not say
    kind: str  # the line's `type`, "" when the line does not say
    reason: str  # which field, and what was found instead: for a person, in Russian
    position: int | None = None  # in Avito's answer (0-based); None when read back from a diff


def line_key(line_id: str, position: int | None) -> str:
    """How a person finds the line in Avito's answer: its lineId, else its place."""
    if line_id:
        return line_id
    return WHOLE_ANSWER if position is None else f"строка №{position + 1}"
