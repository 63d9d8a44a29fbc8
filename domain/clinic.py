"""The step-down clinic calendar: which days the clinic runs, its slots, and when booking closes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from domain.profiles import Clinic
from domain.working_days import WorkingCalendar, format_date, format_time

# How far ahead next_clinics looks before giving up: a profile whose every clinic for three years is
# cancelled or skipped has no next clinic worth offering.
_LOOK_AHEAD = timedelta(days=3 * 366)
_ADDED_REASON = "Added by the coordinators."
_AGENDA_LOOK_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class ClinicDate:
    """One clinic of the series: the day the rhythm gives (`nominal`) and the day it is held (`actual`).

    `moved` is true when a bank holiday pushed it to the next working day; `reason` then says why, in words
    for a card. A clinic the coordinators added outside the series has `added` set and nominal == actual.
    """

    nominal: date
    actual: date
    moved: bool = False
    reason: str | None = None
    added: bool = False


@dataclass(frozen=True)
class ClinicSlot:
    """One bookable slot at one clinic; `clinic_date` is the day it is held (ClinicDate.actual)."""

    clinic_date: date
    index: int
    start_utc: datetime
    end_utc: datetime
    capacity: int


def nominal_dates(clinic: Clinic, start: date, end: date) -> list[date]:
    """The days the rhythm gives from `start` to `end` inclusive: the anchor plus whole intervals, either way."""
    if end < start:
        return []
    step = clinic.interval_weeks * 7
    # Ceiling division finds the first whole interval on or after start, even before the anchor.
    first = -((clinic.anchor - start).days // step)
    last = (end - clinic.anchor).days // step
    return [clinic.anchor + timedelta(days=k * step) for k in range(first, last + 1)]


def clinic_dates(
    clinic: Clinic,
    calendar: WorkingCalendar,
    start: date,
    end: date,
    *,
    cancelled: frozenset[date] = frozenset(),
    extra: frozenset[date] = frozenset(),
) -> list[ClinicDate]:
    """The clinics held from `start` to `end` inclusive (by the day they are held), in date order.

    The series keeps its rhythm from the anchor: a clinic moved off a bank holiday does not shift the
    ones after it. A clinic whose nominal or actual day is in `cancelled` is left out; so is a clinic
    that `on_bank_holiday = "skip"` drops, or one whose next working day would reach the next clinic of
    the series. Days in `extra` (added by the coordinators) are included as they are; a day both
    added and cancelled is cancelled. A disabled clinic has no dates.
    """
    if not clinic.enabled or end < start:
        return []
    step = timedelta(weeks=clinic.interval_weeks)
    held: dict[date, ClinicDate] = {}
    # A clinic nominally just before `start` may be held inside the window once moved.
    for nominal in nominal_dates(clinic, start - step, end):
        found = _held_on(clinic, calendar, nominal, nominal + step)
        if found is None or not start <= found.actual <= end:
            continue
        if found.nominal in cancelled or found.actual in cancelled:
            continue
        held[found.actual] = found
    for day in extra:
        if start <= day <= end and day not in cancelled and day not in held:
            held[day] = ClinicDate(nominal=day, actual=day, reason=_ADDED_REASON, added=True)
    return [held[day] for day in sorted(held)]


def _held_on(clinic: Clinic, calendar: WorkingCalendar, nominal: date, next_nominal: date) -> ClinicDate | None:
    if calendar.is_working_day(nominal):
        return ClinicDate(nominal=nominal, actual=nominal)
    if clinic.on_bank_holiday == "skip":
        return None
    actual = calendar.working_days_after(nominal, 1)
    if actual >= next_nominal:
        return None
    holiday = calendar.holiday_name(nominal)
    because = f"because of {holiday}" if holiday else "because it is not a working day"
    return ClinicDate(
        nominal=nominal, actual=actual, moved=True, reason=f"Moved from {format_date(nominal)} {because}."
    )


def next_clinics(
    clinic: Clinic,
    calendar: WorkingCalendar,
    now: datetime,
    count: int,
    *,
    cancelled: frozenset[date] = frozenset(),
    extra: frozenset[date] = frozenset(),
) -> list[ClinicDate]:
    """The next `count` clinics that can still be booked: their booking cut-off is after `now`."""
    if count <= 0:
        return []
    today = calendar.local_date(now)
    horizon = max([today + _LOOK_AHEAD, *extra])
    window = timedelta(weeks=clinic.interval_weeks * (count + 1))
    found: list[ClinicDate] = []
    start = today
    while start <= horizon and len(found) < count:
        end = min(start + window, horizon)
        for candidate in clinic_dates(clinic, calendar, start, end, cancelled=cancelled, extra=extra):
            if booking_cutoff(clinic, calendar, candidate) > now:
                found.append(candidate)
        start = end + timedelta(days=1)
    return found[:count]


def slots_for(clinic: Clinic, calendar: WorkingCalendar, clinic_date: ClinicDate) -> list[ClinicSlot]:
    """The clinic's slots, back to back from session start; a slot that would run past session end is dropped.

    Each slot is laid out in local wall-clock time on the day it is held and stored in UTC, so a clinic
    after the clocks change still starts at 09:30 in London.
    """
    length = timedelta(minutes=clinic.slot_minutes)
    start = datetime.combine(clinic_date.actual, clinic.session_start, tzinfo=calendar.zone)
    session_end = datetime.combine(clinic_date.actual, clinic.session_end, tzinfo=calendar.zone)
    slots: list[ClinicSlot] = []
    # Aware arithmetic within one zone is wall-clock arithmetic, which is what a session timetable means.
    while start + length <= session_end:
        slots.append(
            ClinicSlot(
                clinic_date=clinic_date.actual,
                index=len(slots),
                start_utc=start.astimezone(UTC),
                end_utc=(start + length).astimezone(UTC),
                capacity=clinic.capacity_per_slot,
            )
        )
        start += length
    return slots


def clinic_starts_at(clinic: Clinic, calendar: WorkingCalendar, clinic_date: ClinicDate) -> datetime:
    """When the session opens, as an aware UTC datetime."""
    return calendar.to_utc(datetime.combine(clinic_date.actual, clinic.session_start, tzinfo=calendar.zone))


def clinic_ends_at(clinic: Clinic, calendar: WorkingCalendar, clinic_date: ClinicDate) -> datetime:
    """When the session closes, as an aware UTC datetime."""
    return calendar.to_utc(datetime.combine(clinic_date.actual, clinic.session_end, tzinfo=calendar.zone))


def booking_cutoff(clinic: Clinic, calendar: WorkingCalendar, clinic_date: ClinicDate) -> datetime:
    """When booking closes: `cutoff_time` on the working day `cutoff_working_days_before` the clinic, in UTC.

    The count skips weekends and bank holidays, so a Tuesday clinic after Easter Monday closes on the
    Friday before (Good Friday too is skipped: then the Thursday). With 0 days it closes on the clinic day.
    """
    day = calendar.working_days_before(clinic_date.actual, clinic.cutoff_working_days_before)
    return calendar.to_utc(datetime.combine(day, clinic.cutoff_time, tzinfo=calendar.zone))


def why_not_bookable(
    clinic: Clinic,
    calendar: WorkingCalendar,
    clinic_date: ClinicDate | None,
    now: datetime,
    cancelled: frozenset[date] = frozenset(),
) -> str | None:
    """A short reason, for the person booking, why this clinic cannot be booked at `now`; None when it can.

    None for `clinic_date` means the day asked for is not a clinic day. Capacity is not checked here:
    whether a slot is free is a fact of storage, not of the calendar.
    """
    if not clinic.enabled:
        return "The step-down clinic is not running at the moment."
    if clinic_date is None:
        return "There is no clinic on that date."
    if clinic_date.nominal in cancelled or clinic_date.actual in cancelled:
        return "That clinic was cancelled."
    if now >= clinic_starts_at(clinic, calendar, clinic_date):
        return "That clinic has already happened."
    cutoff = booking_cutoff(clinic, calendar, clinic_date)
    if now >= cutoff:
        local = calendar.to_local(cutoff)
        return f"Booking for that clinic closed at {format_time(local.time())} on {format_date(local.date())}."
    return None


def step_down_due(clinic: Clinic, decided_on: date) -> date:
    """The day the whole step down should be done by: `standard_days` calendar days after the decision."""
    return decided_on + timedelta(days=clinic.standard_days)


def late_for_standard(clinic: Clinic, decided_on: date, clinic_date: ClinicDate) -> bool:
    """True when this clinic leaves less than `late_margin_days` before the step-down standard falls due."""
    return clinic_date.actual > step_down_due(clinic, decided_on) - timedelta(days=clinic.late_margin_days)


@dataclass(frozen=True)
class ClinicSchedule:
    """The clinic as it is held: the profile's series, the coordinators' cancellations and extra dates, and the
    working calendar, as one value.

    A use case loads it once and passes it on, so every rule it applies sees the same changes. It mirrors the
    stored changes: cancelling a day replaces an extra clinic on it, adding a day replaces a cancellation.
    """

    clinic: Clinic
    calendar: WorkingCalendar
    cancelled: frozenset[date] = frozenset()
    extra: frozenset[date] = frozenset()

    def dates(self, start: date, end: date) -> list[ClinicDate]:
        """The clinics held from `start` to `end` inclusive, by the day they are held."""
        return clinic_dates(self.clinic, self.calendar, start, end, cancelled=self.cancelled, extra=self.extra)

    def held_on(self, day: date) -> ClinicDate | None:
        """The clinic held on `day` (a moved clinic on the day it moved to), or None: no clinic, or cancelled."""
        found = self.dates(day, day)
        return found[0] if found else None

    def is_cancelled(self, day: date) -> bool:
        return day in self.cancelled

    def next_clinics(self, now: datetime, count: int) -> list[ClinicDate]:
        """The next `count` clinics still open for booking at `now`."""
        return next_clinics(self.clinic, self.calendar, now, count, cancelled=self.cancelled, extra=self.extra)

    def starts_at(self, clinic_date: ClinicDate) -> datetime:
        return clinic_starts_at(self.clinic, self.calendar, clinic_date)

    def slots(self, clinic_date: ClinicDate) -> list[ClinicSlot]:
        return slots_for(self.clinic, self.calendar, clinic_date)

    def has_started(self, day: date, now: datetime) -> bool:
        """True once the clinic held on `day` has opened; False when none is held that day."""
        found = self.held_on(day)
        return found is not None and now >= self.starts_at(found)

    def takes_offers(self, day: date, now: datetime) -> bool:
        """A freed seat on `day` may go to the waiting list: the clinic is still held and has not started."""
        found = self.held_on(day)
        return found is not None and now < self.starts_at(found)

    def why_not_bookable(self, day: date, now: datetime) -> str | None:
        """Why a slot on `day` cannot be booked at `now`, for the person booking; None when it can."""
        if self.is_cancelled(day):
            return "That clinic was cancelled."
        return why_not_bookable(self.clinic, self.calendar, self.held_on(day), now, self.cancelled)

    def clinic_for_agenda(self, now: datetime) -> date | None:
        """Today's clinic if one is held today, else the next one held (booking for it may have closed)."""
        today = self.calendar.local_date(now)
        held = self.dates(today, today + _AGENDA_LOOK_AHEAD)
        return held[0].actual if held else None

    def cancel(self, day: date) -> ClinicSchedule:
        """The schedule once the coordinators cancel `day`."""
        return replace(self, cancelled=self.cancelled | {day}, extra=self.extra - {day})

    def add(self, day: date) -> ClinicSchedule:
        """The schedule once the coordinators add a clinic on `day`."""
        return replace(self, extra=self.extra | {day}, cancelled=self.cancelled - {day})
