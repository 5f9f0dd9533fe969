"""The dashboard's reconciliation launcher: one run at a time, failures kept for the page."""

from __future__ import annotations

import asyncio

import pytest

from leadbridge.sync.reconcile_launch import AlreadyRunning, ReconcileLauncher

pytestmark = pytest.mark.anyio


async def test_a_second_start_is_refused_until_the_first_run_ends() -> None:
    release = asyncio.Event()
    runs: list[bool] = []

    async def run(fix: bool) -> list[str]:
        runs.append(fix)
        await release.wait()
        return []

    launcher = ReconcileLauncher(run)
    first = launcher.start(fix=True, by="olga")
    await asyncio.sleep(0)
    assert launcher.running
    with pytest.raises(AlreadyRunning):
        launcher.start(fix=False, by="ada")
    release.set()
    await launcher.wait()
    assert not launcher.running
    assert (first.error, first.finished_at is not None) == (None, True)
    launcher.start(fix=False, by="ada")
    await launcher.wait()
    assert runs == [True, False]


async def test_a_failed_run_leaves_one_line_for_the_page() -> None:
    async def run(fix: bool) -> list[str]:
        raise ConnectionError("amoCRM unreachable\nsecond line")

    launcher = ReconcileLauncher(run)
    launched = launcher.start(fix=False, by="olga")
    await launcher.wait()
    assert launched.error == "ConnectionError: amoCRM unreachable"
    assert launcher.last is launched
