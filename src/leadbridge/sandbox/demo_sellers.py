"""The demo's sellers change their minds: a few withdraw their request on Avito and a few ask
less for the device, each some time after sending it, while managers are already working it.

Which requests are changed follows from the seed alone, so a run is reproducible in what it
changes; when a change lands depends on the managers' pace too, and a change coming after the
deal was closed is refused by Avito as it would refuse the seller (counted, not an error).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

from leadbridge.sandbox.avito import AvitoSandbox
from leadbridge.sandbox.avito.seller_changes import ChangeRefused

WITHDRAWN_SHARE = 0.05
EDITED_SHARE = 0.05
# A seller changes the request up to an hour after sending it (in the demo's scaled time).
CHANGE_AFTER_S = (0.0, 3600.0)
WITHDRAW, EDIT = "withdraw", "edit"


@dataclass(slots=True)
class SellerStats:
    withdrawn: int = 0
    edited: int = 0
    refused: int = 0  # the request had already been closed when the seller came back


def changes_planned(seed: int, planned: int | None) -> Iterator[str | None]:
    """What the seller of each request in turn will do: withdraw, edit, or nothing (None).

    With a known number of requests, exactly the share of them (at least one of each kind), so
    even a short demo exercises both; open-ended, each request draws on its own."""
    rng = random.Random(f"{seed}:sellers")
    if planned is None:
        while True:
            draw = rng.random()
            yield (
                WITHDRAW
                if draw < WITHDRAWN_SHARE
                else (EDIT if draw < WITHDRAWN_SHARE + EDITED_SHARE else None)
            )
    withdrawn = max(1, round(planned * WITHDRAWN_SHARE))
    edited = max(1, round(planned * EDITED_SHARE))
    chosen = rng.sample(range(planned), min(planned, withdrawn + edited))
    kinds = {index: WITHDRAW for index in chosen[:withdrawn]}
    kinds |= {index: EDIT for index in chosen[withdrawn:]}
    for index in range(planned):
        yield kinds.get(index)
    while True:
        yield None


class Sellers:
    """`arrived(lead_id)` for each request, in order; leaving the block waits for the changes
    still to come (or cancels them, when the demo is being stopped)."""

    def __init__(
        self, avito: AvitoSandbox, *, seed: int, planned: int | None, time_scale: float
    ) -> None:
        self._avito, self._time_scale = avito, time_scale
        self._plan = changes_planned(seed, planned)
        self._rng = random.Random(f"{seed}:seller-delays")
        self._pending: set[asyncio.Task[None]] = set()
        self.stats = SellerStats()

    async def __aenter__(self) -> Sellers:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            await asyncio.gather(*self._pending)
            return
        for task in self._pending:
            task.cancel()
        for task in list(self._pending):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def arrived(self, lead_id: str) -> None:
        change = next(self._plan)
        if change is None:
            return
        delay = self._rng.uniform(*CHANGE_AFTER_S) * self._time_scale
        task = asyncio.create_task(self._change(lead_id, change, delay))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _change(self, lead_id: str, change: str, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            if change == WITHDRAW:
                self._avito.withdraw_lead(lead_id)
                self.stats.withdrawn += 1
            else:
                self._avito.update_lead(lead_id)  # the usual edit: 5 % less
                self.stats.edited += 1
        except ChangeRefused:
            self.stats.refused += 1
