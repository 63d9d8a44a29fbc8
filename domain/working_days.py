"""Working days, due times and GOV.UK-style dates for one authority's calendar (Europe/London, bank holidays)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

from domain.profiles import Working

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Our own names, not strftime's: %A and %B follow the process locale, and a card must not turn Welsh by accident.
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_SATURDAY = 5


def parse_holiday_calendar(name: str) -> tuple[str, str | None]:
    """Splits a profile's holiday calendar ("GB-ENG") into the holidays package's country and subdivision."""
    country, _, subdivision = name.partition("-")
    return country, subdivision or None


@lru_cache(maxsize=256)
def _bank_holidays(calendar: str, year: int) -> Mapping[date, str]:
    # Computing a year of holidays is pure but not free; a calendar asks about the same few years all day.
    country, subdivision = parse_holiday_calendar(calendar)
    found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return MappingProxyType({day: str(name) for day, name in found.items()})


@dataclass(frozen=True)
class WorkingCalendar:
    """When this authority works: weekdays but bank holidays and its closure days; deadlines due at the day's end.

    Build it with `WorkingCalendar.from_profile(profile.working)`. Every date here is a local calendar date
    in `zone`; every datetime it returns is aware.
    """

    zone: ZoneInfo
    holiday_calendar: str = "GB-ENG"
    end_of_day: time = time(17, 0)
    # The council's own days off (a Christmas closure), from STEPBOT_CLOSURE_DAYS via the profile's `working`.
    closure_days: frozenset[date] = frozenset()

    @classmethod
    def from_profile(cls, working: Working) -> WorkingCalendar:
        return cls(
            zone=ZoneInfo(working.time_zone),
            holiday_calendar=working.holiday_calendar,
            end_of_day=working.end_of_day,
            closure_days=frozenset(working.closure_days),
        )

    # Which days count

    def holiday_name(self, d: date) -> str | None:
        """The bank holiday's name ("Christmas Day") when `d` is one, else None."""
        return _bank_holidays(self.holiday_calendar, d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < _SATURDAY and self.holiday_name(d) is None and d not in self.closure_days

    def next_working_day(self, d: date) -> date:
        """The first working day on or after `d`: `d` itself when it is a working day.

        For the first working day strictly after `d`, use `working_days_after(d, 1)`.
        """
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day(self, d: date) -> date:
        """The last working day on or before `d`: `d` itself when it is a working day."""
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d

    def working_days_after(self, d: date, n: int) -> date:
        """The day `n` working days after `d`, not counting `d` (so the answer is a working day when n >= 1).

        Whether `d` itself is a working day does not matter: 1 working day after a Saturday is the Monday.
        With n == 0 the answer is `d`, as "within 0 working days" means the same day.
        """
        if n < 0:
            raise ValueError(f"n must not be negative (got {n}); use working_days_before")
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_before(self, d: date, n: int) -> date:
        """The day `n` working days before `d`, not counting `d`; with n == 0 the answer is `d`."""
        if n < 0:
            raise ValueError(f"n must not be negative (got {n}); use working_days_after")
        while n > 0:
            d -= timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days fall after `a` up to and including `b`; negative when `b` is before `a`.

        So `working_days_between(d, working_days_after(d, n)) == n` for every d and n.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count

    # Times of day

    def due_at(self, d: date) -> datetime:
        """The end of the working day on `d` (17:00 local unless the profile says otherwise), as an aware UTC datetime.

        `d` is taken as it is: a calendar-day deadline that falls on a Sunday is due on the Sunday. Pass
        `next_working_day(d)` where the rule moves it to a working day.
        """
        return datetime.combine(d, self.end_of_day, tzinfo=self.zone).astimezone(UTC)

    def to_local(self, dt: datetime) -> datetime:
        """An aware datetime shown in the authority's time zone."""
        _require_aware(dt)
        return dt.astimezone(self.zone)

    def to_utc(self, dt: datetime) -> datetime:
        """An aware UTC datetime; a naive `dt` is read as local wall-clock time in the authority's zone.

        A naive time the clocks skip (01:30 on the last Sunday in March) or repeat (01:30 on the last Sunday
        in October) is read by its `fold` (0, the earlier offset, unless set); clinics and deadlines never
        fall at those hours.
        """
        if dt.tzinfo is None or dt.utcoffset() is None:
            dt = dt.replace(tzinfo=self.zone)
        return dt.astimezone(UTC)

    def local_date(self, dt: datetime) -> date:
        """The local calendar date of an aware instant (what day it is in the office)."""
        return self.to_local(dt).date()

    def format_when(self, dt: datetime) -> str:
        """An aware instant in local time, the GOV.UK way: "Thursday 10 December 2026, 9:30am"."""
        local = self.to_local(dt)
        return f"{format_date(local.date())}, {format_time(local.time())}"


def format_date(d: date) -> str:
    """A date the GOV.UK way: "Thursday 10 December 2026"."""
    return f"{_DAY_NAMES[d.weekday()]} {d.day} {_MONTH_NAMES[d.month - 1]} {d.year}"


def format_time(t: time) -> str:
    """A time of day the GOV.UK way: "9:30am", "10am", "5:15pm", "midday", "midnight"."""
    if (t.hour, t.minute) == (0, 0):
        return "midnight"
    if (t.hour, t.minute) == (12, 0):
        return "midday"
    hour = t.hour % 12 or 12
    suffix = "am" if t.hour < 12 else "pm"
    return f"{hour}{suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d}{suffix}"


def calendar_months_after(d: date, months: int) -> date:
    """The same day `months` calendar months on, or the month's last day when it is shorter (31 Jan + 1: 28 Feb)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    for day in range(d.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(d.day, 28))


def format_working_days(n: int) -> str:
    """A count of working days in words people use: "1 working day", "5 working days"."""
    return f"{n} working day" if n == 1 else f"{n} working days"


def _require_aware(dt: datetime) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got a naive one: {dt.isoformat()}")
