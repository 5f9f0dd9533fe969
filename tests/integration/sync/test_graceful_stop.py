"""A stopping bridge lets the step in flight finish within the grace period, and no more."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from leadbridge.config import Settings
from leadbridge.sync.bridge import Bridge

pytestmark = pytest.mark.anyio


class Flow:
    """A step that takes a while, counted when it starts and when it completes."""

    def __init__(self, takes_s: float) -> None:
        self.takes_s = takes_s
        self.started = asyncio.Event()
        self.starts = 0
        self.completed = 0

    async def step(self) -> int:
        self.starts += 1
        self.started.set()
        await asyncio.sleep(self.takes_s)
        self.completed += 1
        return 1


def _bridge(tmp_path: Path) -> Bridge:
    return Bridge.from_settings(Settings(database_url=f"sqlite:///{tmp_path / 'bridge.db'}"))


async def test_the_step_in_flight_finishes_and_no_new_one_starts(tmp_path: Path) -> None:
    bridge, busy = _bridge(tmp_path), Flow(0.3)
    idle_rounds: list[int] = []

    async def nothing_to_do() -> int:
        idle_rounds.append(1)
        return 0

    bridge.spawn_drain("busy", busy.step, "busy", 60.0)
    bridge.spawn_drain("idle", nothing_to_do, "idle", 60.0)  # waits a minute
    await busy.started.wait()

    # Returns once the busy step is done, not after the idle loop's minute.
    await asyncio.wait_for(bridge.halt(grace_s=30.0), timeout=20.0)

    assert (busy.starts, busy.completed) == (1, 1)
    assert idle_rounds == [1]
    await bridge.db.dispose()


async def test_a_step_longer_than_the_grace_period_is_cut(tmp_path: Path) -> None:
    bridge, slow = _bridge(tmp_path), Flow(60.0)
    bridge.spawn_drain("slow", slow.step, "slow", 60.0)
    await slow.started.wait()

    await bridge.halt(grace_s=0.05)

    assert (slow.starts, slow.completed) == (1, 0)
    await bridge.db.dispose()
