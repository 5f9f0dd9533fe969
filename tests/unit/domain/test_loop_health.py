"""Which loops keep the flows from being ready: stalled ones of live processes, or no live
process at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.domain.loop_health import LoopRecord, problems, stall_after

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _record(
    loop: str = "relay",
    *,
    silent_s: float,
    written_s_ago: float = 2.0,
    period_s: float = 1.0,
    process: str = "host:1:ab",
) -> LoopRecord:
    return LoopRecord(
        process=process,
        role="worker",
        loop=loop,
        period_s=period_s,
        state="restarting",
        restarts=4,
        last_pass_at=NOW - timedelta(seconds=silent_s),
        last_error="OperationalError: connection refused",
        updated_at=NOW - timedelta(seconds=written_s_ago),
    )


def test_stall_allows_the_period_twice_and_at_least_a_minute() -> None:
    assert stall_after(1.0) == 61.0
    assert stall_after(3600.0) == 7200.0


def test_a_loop_silent_past_its_allowance_is_named_with_its_last_error() -> None:
    (line,) = problems([_record(silent_s=62.0), _record("deals", silent_s=3.0)], NOW)
    assert "loop relay of worker host:1:ab" in line
    assert "62 s" in line
    assert "restarts: 4" in line
    assert "OperationalError" in line


def test_loops_that_pass_in_time_are_ready() -> None:
    assert problems([_record(silent_s=60.0), _record("events", silent_s=5.0)], NOW) == []


def test_a_killed_process_is_not_judged_while_another_runs_the_flows() -> None:
    killed = _record(silent_s=600.0, written_s_ago=600.0, process="host:2:cd")
    assert problems([killed, _record(silent_s=0.5)], NOW) == []


def test_no_live_process_left_is_a_problem() -> None:
    killed = _record(silent_s=600.0, written_s_ago=600.0)
    assert problems([killed], NOW) == [
        "no process running the flows has reported in the last minute"
    ]


def test_nothing_recorded_yet_is_no_problem() -> None:
    assert problems([], NOW) == []
