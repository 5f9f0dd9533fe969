"""After an ambiguous send: does Avito's current status show that the status already arrived?
And is a status Avito reports one of ours at all?"""

from __future__ import annotations

from collections.abc import Collection, Sequence


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


def unknown_status(known: Collection[str], *, reported: str | None, sent: str) -> bool:
    """True if Avito reports a status that is none of ours — one it sets itself, or one it
    renamed — which a person should see. `sent` is ours whatever `known` says. Knowing no
    statuses at all (a relay told none), nothing can be called unknown."""
    if reported is None or reported == sent or not known:
        return False
    return reported not in known
