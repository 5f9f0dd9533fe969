"""A team's working hours, and when a task is due: its SLA counted in working minutes only.

A request arriving at 19:55 for a team working 09:00–20:00 with a 15-minute SLA is due at 09:10
the next working day: five minutes today, ten tomorrow. Hours are local to the team's zone;
the arithmetic is done in UTC, so a day that a clock change makes 23 or 25 hours long is
counted as it really lasts. A shift does not cross midnight ("22:00-06:00" is refused):
two shifts of one day would be needed, and no team asked for that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Working minutes of the day [start, end) on `days` (0 = Monday), in `zone`."""

    zone: ZoneInfo
    start_minute: int
    end_minute: int  # up to 1440: "00:00-24:00" is the whole day
    days: frozenset[int]

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError("working hours must start before they end, within one day")
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("working days must name at least one day, mon to sun")

    @classmethod
    def parse(cls, zone: str, hours: str, days: list[str] | None = None) -> WorkingHours:
        """`zone` an IANA name, `hours` "HH:MM-HH:MM", `days` names from mon to sun (all if
        None)."""
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {zone!r}") from error
        start, separator, end = hours.partition("-")
        if not separator:
            raise ValueError(f"working hours {hours!r} are not HH:MM-HH:MM")
        unknown = set(days or ()) - set(DAY_NAMES)
        if unknown:
            raise ValueError(f"unknown days {sorted(unknown)}: use {', '.join(DAY_NAMES)}")
        chosen = range(7) if days is None else (DAY_NAMES.index(day) for day in days)
        return cls(tz, _minute(start), _minute(end), frozenset(chosen))

    def shifts_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working intervals (UTC) that end after `moment`, in order; endless."""
        day = moment.astimezone(self.zone).date() - timedelta(days=1)
        while True:
            if day.weekday() in self.days:
                start, end = self._at(day, self.start_minute), self._at(day, self.end_minute)
                if end > moment:
                    yield start, end
            day += timedelta(days=1)

    def _at(self, day: date, minute: int) -> datetime:
        # Adding to an aware datetime moves its wall clock; the zone gives the offset then.
        local = datetime.combine(day, time(), tzinfo=self.zone) + timedelta(minutes=minute)
        return local.astimezone(UTC)


AROUND_THE_CLOCK = WorkingHours(ZoneInfo("UTC"), 0, MINUTES_PER_DAY, frozenset(range(7)))


def due_after(arrival: datetime, sla: timedelta, hours: WorkingHours) -> datetime:
    """The moment `sla` of working time has passed since `arrival` (UTC): inside working
    hours, the end of a shift included."""
    remaining = sla
    for start, end in hours.shifts_from(arrival):
        begin = max(start, arrival)
        if begin + remaining <= end:
            return begin + remaining
        remaining -= end - begin
    raise AssertionError("shifts_from never ends")  # pragma: no cover


def _minute(text: str) -> int:
    hour, separator, minute = text.strip().partition(":")
    if not (separator and hour.isdigit() and minute.isdigit() and len(minute) == 2):
        raise ValueError(f"{text!r} is not HH:MM")
    value = int(hour) * 60 + int(minute)
    if int(minute) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day")
    return value
