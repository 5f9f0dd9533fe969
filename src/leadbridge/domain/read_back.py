"""After an ambiguous send: does Avito's current status show that the status already arrived?"""

from __future__ import annotations

from collections.abc import Sequence


def already_reached(chain: Sequence[str], *, current: str | None, wanted: str) -> bool:
    """True if Avito has `wanted`, or a status after it in the chain (statuses after it were
    only ever sent after it, so it arrived)."""
    if current is None:
        return False
    if current == wanted:
        return True
    if current in chain and wanted in chain:
        return chain.index(current) > chain.index(wanted)
    return False
