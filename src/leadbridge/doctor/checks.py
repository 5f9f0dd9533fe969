"""One check of `leadbridge doctor` and what it found: passed, failed (with a fix), or skipped
because a check it needs failed first.

A check is a coroutine that returns a one-line detail when all is well and raises `CheckFailed`
with the detail and the fix when not; any other exception is the runner's to turn into a ✗
line (`run.py`), so that no partner's or network's error ever reaches the user as a traceback.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadbridge.doctor.context import Context


class Outcome(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # a check it needs did not pass: it could not run


class CheckFailed(Exception):
    """What is wrong (`detail`) and what to do about it (`fix`), one line each."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fix = fix


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # as printed, and as other checks name it in `needs`
    needs: tuple[str, ...]  # checks that must pass first
    run: Callable[[Context], Awaitable[str]]
    fix: str  # for an error the check did not foresee


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    outcome: Outcome
    detail: str
    fix: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    def line(self) -> str:
        """`✓ name — detail`, `✗ name — detail. Fix: …` or `○ name — skipped: …`."""
        if self.outcome is Outcome.PASSED:
            return f"✓ {self.name} — {self.detail}"
        if self.outcome is Outcome.SKIPPED:
            return f"○ {self.name} — skipped: {self.detail}"
        return f"✗ {self.name} — {self.detail.rstrip('.')}. Fix: {self.fix}"


def one_line(error: BaseException) -> str:
    """An exception as one line: its message's first line, or its type when it has none."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return first or type(error).__name__
