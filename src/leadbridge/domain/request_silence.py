"""When a pause in Avito's requests is unusual: learned from the same hour of past weeks.

The most dangerous failure is the silent one: Avito stops sending (a revoked subscription, a
changed URL, a partner switched off) and nothing errors. Requests arrive roughly as a Poisson
process whose rate depends on the hour and the weekday, so the rate is learned per hour of the
week: the requests made within an hour around this moment, one, two … `weeks` weeks ago, and in
the last hour (a new installation has no past weeks, and today may be busier). A pause
of `SILENCE_FACTOR` usual gaps has a probability of about e^-5 < 1 % by chance; the floor keeps
a busy hour from alerting after ten quiet minutes. Only in working hours: at night a silent
Avito is normal. No request in any window means no judgement yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from leadbridge.domain.working_hours import WorkingHours

SILENCE_FACTOR = 5.0
WINDOW = timedelta(hours=1)


def past_windows(
    now: datetime, weeks: int, history_from: datetime
) -> list[tuple[datetime, datetime]]:
    """[start, end): the last hour, and the hour around `now`'s moment in each of the `weeks`
    weeks before; only from `history_from` (the first request ever) on, so the weeks before the
    installation do not pass for quiet ones."""
    half = WINDOW / 2
    windows = [(max(now - WINDOW, history_from), now)] + [
        (now - timedelta(weeks=week) - half, now - timedelta(weeks=week) + half)
        for week in range(1, weeks + 1)
    ]
    return [(start, end) for start, end in windows if start >= history_from and start < end]


def unusual_pause(
    now: datetime,
    requests_in_windows: int,
    windows: Sequence[tuple[datetime, datetime]],
    hours: WorkingHours,
    floor: timedelta,
) -> timedelta | None:
    """How long without a request is unusual at `now`; None outside working hours or without
    any request in the windows to learn from."""
    if not in_working_hours(now, hours) or requests_in_windows == 0 or not windows:
        return None
    observed = sum((end - start for start, end in windows), timedelta())
    usual_gap = observed / requests_in_windows
    return max(floor, usual_gap * SILENCE_FACTOR)


def in_working_hours(now: datetime, hours: WorkingHours) -> bool:
    start, _end = next(hours.shifts_from(now))
    return start <= now
