"""Settlement periods: ISO weeks, Monday 00:00 to the next Monday 00:00, Europe/Moscow.

Avito's settlement feed uses the same weeks; a line belongs to the week of its status's
`occurredAt` (the moment we reported), so both sides bucket the same moment the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")
# The business's clock: its weeks, and the times the dashboard shows, are in this zone.
BUSINESS_TIME_ZONE = MOSCOW
WEEK_NAME = re.compile(r"^(\d{4})-W(\d{2})$")
# Weeks a settlement can be about; far ones would overflow date arithmetic (year 9999 + 7 days).
FIRST_YEAR, LAST_YEAR = 2000, 2100


class WeekError(ValueError):
    """Not a week name like 2026-W48, or a week that does not exist."""


@dataclass(frozen=True, slots=True, order=True)
class Week:
    monday: date

    @classmethod
    def parse(cls, name: str) -> Week:
        match = WEEK_NAME.match(name.strip())
        if match is None:
            raise WeekError(f"week must look like 2026-W48, not {name!r}")
        year, number = int(match[1]), int(match[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise WeekError(f"{name}: the year must be {FIRST_YEAR}–{LAST_YEAR}")
        try:
            return cls(date.fromisocalendar(year, number, 1))
        except ValueError as error:
            raise WeekError(f"{name} does not exist: {error}") from error

    @classmethod
    def of(cls, moment: datetime) -> Week:
        day = moment.astimezone(MOSCOW).date()
        return cls(day - timedelta(days=day.weekday()))

    @classmethod
    def last_complete(cls, now: datetime) -> Week:
        return cls.of(now).previous()

    @property
    def name(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def next_monday(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.monday, time(), MOSCOW).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.next_monday, time(), MOSCOW).astimezone(UTC)

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at

    def previous(self) -> Week:
        return Week(self.monday - timedelta(days=7))

    def next(self) -> Week:
        return Week(self.next_monday)

    def is_over(self, now: datetime) -> bool:
        return now >= self.ends_at

    def __str__(self) -> str:
        return self.name
