"""The step-down clinic calendar: the four-weekly rhythm, bank holidays, slots across the clock changes, cut-offs."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.clinic import (
    ClinicDate,
    booking_cutoff,
    clinic_dates,
    next_clinics,
    nominal_dates,
    slots_for,
    why_not_bookable,
)
from domain.profiles import Clinic, PolicyProfile, Working
from domain.working_days import WorkingCalendar

ENGLAND = WorkingCalendar.from_profile(Working())
REDCAR_TOML = Path(__file__).resolve().parents[2] / "profiles" / "redcar.toml"


def redcar_clinic(**changes: Any) -> Clinic:
    """Redcar's clinic (every fourth Thursday from 8 January 2026, 09:30-12:30) with some settings changed."""
    fields: dict[str, Any] = {"anchor": date(2026, 1, 8)} | changes
    return Clinic(**fields)


def held(clinic: Clinic, start: date, end: date, **kwargs: Any) -> list[ClinicDate]:
    return clinic_dates(clinic, ENGLAND, start, end, **kwargs)


def only(clinic: Clinic, day: date) -> ClinicDate:
    found = held(clinic, day, day)
    assert len(found) == 1, found
    return found[0]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Strategies: any clinic series a profile could describe, and any window of a few years to look at.


@st.composite
def any_clinic(draw: st.DrawFn) -> Clinic:
    weekday = draw(st.integers(min_value=0, max_value=4))
    somewhere = draw(st.dates(min_value=date(2018, 1, 1), max_value=date(2034, 12, 31)))
    anchor = somewhere + timedelta(days=(weekday - somewhere.weekday()) % 7)
    start_minutes = draw(st.integers(min_value=7 * 60, max_value=15 * 60).map(lambda m: m - m % 5))
    slot_minutes = draw(st.sampled_from([15, 20, 30, 45, 60]))
    session_minutes = draw(st.integers(min_value=slot_minutes, max_value=4 * 60))
    end_minutes = start_minutes + session_minutes
    return Clinic(
        anchor=anchor,
        weekday=weekday,
        interval_weeks=draw(st.integers(min_value=1, max_value=8)),
        session_start=time(start_minutes // 60, start_minutes % 60),
        session_end=time(end_minutes // 60, end_minutes % 60),
        slot_minutes=slot_minutes,
        capacity_per_slot=draw(st.integers(min_value=1, max_value=5)),
        cutoff_working_days_before=draw(st.integers(min_value=0, max_value=3)),
        on_bank_holiday=draw(st.sampled_from(["skip", "next_working_day"])),
    )


@st.composite
def any_window(draw: st.DrawFn) -> tuple[date, date]:
    start = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2034, 12, 31)))
    return start, start + timedelta(days=draw(st.integers(min_value=0, max_value=3 * 366)))


any_instant = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (hypothesis takes naive bounds)
    max_value=datetime(2034, 12, 31),  # noqa: DTZ001 (hypothesis takes naive bounds)
    timezones=st.just(UTC),
)


# The rhythm, over years of dates


@settings(deadline=None)
@given(any_clinic(), any_window())
def test_every_clinic_is_on_the_weekday_of_the_series_unless_a_bank_holiday_moved_it(
    clinic: Clinic, window: tuple[date, date]
) -> None:
    for found in held(clinic, *window):
        assert found.nominal.weekday() == clinic.weekday
        if found.moved:
            assert ENGLAND.holiday_name(found.nominal) is not None
        else:
            assert found.actual == found.nominal
            assert ENGLAND.is_working_day(found.actual)


@settings(deadline=None)
@given(any_clinic(), any_window())
def test_every_clinic_is_a_whole_number_of_intervals_from_the_anchor(clinic: Clinic, window: tuple[date, date]) -> None:
    for found in held(clinic, *window):
        assert (found.nominal - clinic.anchor).days % (7 * clinic.interval_weeks) == 0


@settings(deadline=None)
@given(any_clinic(), any_window())
def test_a_moved_clinic_is_on_the_next_working_day_and_before_the_next_clinic_of_the_series(
    clinic: Clinic, window: tuple[date, date]
) -> None:
    for found in held(clinic, *window):
        if found.moved:
            assert clinic.on_bank_holiday == "next_working_day"
            assert found.actual == ENGLAND.working_days_after(found.nominal, 1)
            assert found.actual < found.nominal + timedelta(weeks=clinic.interval_weeks)
            assert found.reason is not None and found.reason.startswith("Moved from ")


@settings(deadline=None)
@given(any_clinic(), any_window())
def test_every_day_of_the_series_is_held_unless_skipped_for_a_bank_holiday(
    clinic: Clinic, window: tuple[date, date]
) -> None:
    start, end = window
    by_nominal = {found.nominal: found for found in held(clinic, start, end)}
    for nominal in nominal_dates(clinic, start, end):
        if ENGLAND.is_working_day(nominal):
            assert by_nominal[nominal].actual == nominal
        elif clinic.on_bank_holiday == "skip":
            assert nominal not in by_nominal
    assert sorted(found.actual for found in by_nominal.values()) == [c.actual for c in held(clinic, start, end)]


@settings(deadline=None)
@given(any_clinic(), any_window(), st.data())
def test_a_cancelled_clinic_is_left_out_and_the_rest_keep_their_days(
    clinic: Clinic, window: tuple[date, date], data: st.DataObject
) -> None:
    everything = held(clinic, *window)
    cancelled = frozenset(data.draw(st.sets(st.sampled_from([c.nominal for c in everything]))) if everything else ())
    remaining = held(clinic, *window, cancelled=cancelled)
    assert remaining == [c for c in everything if c.nominal not in cancelled]


@settings(deadline=None)
@given(any_clinic(), st.dates(min_value=date(2020, 1, 1), max_value=date(2034, 12, 31)))
def test_no_slot_is_outside_the_session_and_every_slot_round_trips_through_london_time(
    clinic: Clinic, day: date
) -> None:
    day = ENGLAND.next_working_day(day)
    slots = slots_for(clinic, ENGLAND, ClinicDate(nominal=day, actual=day))
    assert slots
    for index, slot in enumerate(slots):
        start, end = ENGLAND.to_local(slot.start_utc), ENGLAND.to_local(slot.end_utc)
        assert slot.index == index
        assert start.date() == end.date() == day
        assert clinic.session_start <= start.time() < end.time() <= clinic.session_end
        assert end - start == timedelta(minutes=clinic.slot_minutes)
        assert slot.start_utc.utcoffset() == timedelta(0)
        assert ENGLAND.to_utc(start) == slot.start_utc
        assert ENGLAND.to_utc(start.replace(tzinfo=None)) == slot.start_utc
        assert slot.capacity == clinic.capacity_per_slot
    assert slots[0].start_utc == ENGLAND.to_utc(datetime.combine(day, clinic.session_start))


@settings(deadline=None)
@given(any_clinic(), any_instant, st.integers(min_value=1, max_value=4))
def test_the_next_clinics_are_the_earliest_ones_still_open_for_booking(
    clinic: Clinic, now: datetime, count: int
) -> None:
    offered = next_clinics(clinic, ENGLAND, now, count)
    assert len(offered) == count
    assert all(booking_cutoff(clinic, ENGLAND, c) > now for c in offered)
    everything_open = [
        c for c in held(clinic, ENGLAND.local_date(now), offered[-1].actual) if booking_cutoff(clinic, ENGLAND, c) > now
    ]
    assert offered == everything_open


# Bank holidays


def test_a_clinic_on_christmas_day_2025_is_held_on_the_next_working_day() -> None:
    christmas_series = redcar_clinic(anchor=date(2025, 12, 25))
    clinics = held(christmas_series, date(2025, 12, 1), date(2026, 1, 31))
    assert clinics == [
        ClinicDate(
            nominal=date(2025, 12, 25),
            actual=date(2025, 12, 29),
            moved=True,
            reason="Moved from Thursday 25 December 2025 because of Christmas Day.",
        ),
        ClinicDate(nominal=date(2026, 1, 22), actual=date(2026, 1, 22)),
    ]


def test_a_clinic_on_christmas_day_2025_is_not_held_when_the_profile_skips_bank_holidays() -> None:
    christmas_series = redcar_clinic(anchor=date(2025, 12, 25), on_bank_holiday="skip")
    assert [c.actual for c in held(christmas_series, date(2025, 12, 1), date(2026, 1, 31))] == [date(2026, 1, 22)]


def test_a_clinic_on_christmas_eve_2026_is_not_moved() -> None:
    assert only(redcar_clinic(anchor=date(2026, 12, 24)), date(2026, 12, 24)) == ClinicDate(
        nominal=date(2026, 12, 24), actual=date(2026, 12, 24)
    )


def test_a_moved_clinic_does_not_shift_the_rest_of_the_series() -> None:
    clinics = held(redcar_clinic(anchor=date(2025, 12, 25)), date(2025, 12, 1), date(2026, 3, 31))
    assert [c.actual for c in clinics] == [date(2025, 12, 29), date(2026, 1, 22), date(2026, 2, 19), date(2026, 3, 19)]


def test_redcars_clinics_for_2026_fall_every_fourth_thursday_from_8_january() -> None:
    clinics = held(redcar_clinic(), date(2026, 1, 1), date(2026, 12, 31))
    assert [c.actual.isoformat() for c in clinics] == [
        "2026-01-08", "2026-02-05", "2026-03-05", "2026-04-02", "2026-04-30", "2026-05-28", "2026-06-25",
        "2026-07-23", "2026-08-20", "2026-09-17", "2026-10-15", "2026-11-12", "2026-12-10",
    ]  # fmt: skip
    assert not any(c.moved for c in clinics)


def test_a_clinic_the_coordinators_add_is_listed_and_a_cancelled_one_is_not() -> None:
    clinics = held(
        redcar_clinic(),
        date(2026, 11, 1),
        date(2027, 1, 31),
        cancelled=frozenset({date(2027, 1, 7)}),
        extra=frozenset({date(2026, 12, 17), date(2027, 1, 14)}),
    )
    assert [(c.actual, c.added) for c in clinics] == [
        (date(2026, 11, 12), False),
        (date(2026, 12, 10), False),
        (date(2026, 12, 17), True),
        (date(2027, 1, 14), True),
    ]


# Slots across the clock changes


def starts(clinic_day: date) -> list[datetime]:
    return [slot.start_utc for slot in slots_for(redcar_clinic(), ENGLAND, ClinicDate(clinic_day, clinic_day))]


def test_a_clinic_has_six_half_hour_slots_from_9_30_to_12_30() -> None:
    slots = slots_for(redcar_clinic(), ENGLAND, only(redcar_clinic(), date(2026, 12, 10)))
    assert [ENGLAND.format_when(s.start_utc) for s in slots] == [
        "Thursday 10 December 2026, 9:30am",
        "Thursday 10 December 2026, 10am",
        "Thursday 10 December 2026, 10:30am",
        "Thursday 10 December 2026, 11am",
        "Thursday 10 December 2026, 11:30am",
        "Thursday 10 December 2026, midday",
    ]
    assert slots[-1].end_utc == at(2026, 12, 10, 12, 30)
    assert {s.capacity for s in slots} == {1}


def test_a_clinic_in_late_march_starts_at_9_30_before_and_after_the_clocks_go_forward() -> None:
    assert starts(date(2026, 3, 26))[0] == at(2026, 3, 26, 9, 30)
    assert starts(date(2026, 4, 2))[0] == at(2026, 4, 2, 8, 30)
    assert ENGLAND.format_when(starts(date(2026, 4, 2))[0]) == "Thursday 2 April 2026, 9:30am"


def test_a_clinic_in_late_october_starts_at_9_30_before_and_after_the_clocks_go_back() -> None:
    assert starts(date(2026, 10, 22))[0] == at(2026, 10, 22, 8, 30)
    assert starts(date(2026, 10, 29))[0] == at(2026, 10, 29, 9, 30)
    assert ENGLAND.format_when(starts(date(2026, 10, 29))[0]) == "Thursday 29 October 2026, 9:30am"


# Booking cut-off


def test_booking_closes_at_midday_the_working_day_before() -> None:
    cutoff = booking_cutoff(redcar_clinic(), ENGLAND, only(redcar_clinic(), date(2026, 12, 10)))
    assert cutoff == at(2026, 12, 9, 12, 0)
    assert ENGLAND.format_when(cutoff) == "Wednesday 9 December 2026, midday"


def test_booking_for_a_tuesday_clinic_after_easter_closes_on_maundy_thursday() -> None:
    # Easter Monday and Good Friday are both bank holidays, so the working day before is the Thursday.
    tuesdays = redcar_clinic(anchor=date(2026, 4, 7), weekday=1)
    cutoff = booking_cutoff(tuesdays, ENGLAND, only(tuesdays, date(2026, 4, 7)))
    assert ENGLAND.format_when(cutoff) == "Thursday 2 April 2026, midday"
    assert cutoff == at(2026, 4, 2, 11, 0)


def test_booking_for_a_monday_clinic_closes_on_the_friday_before() -> None:
    mondays = redcar_clinic(anchor=date(2026, 12, 7), weekday=0)
    assert booking_cutoff(mondays, ENGLAND, only(mondays, date(2026, 12, 7))) == at(2026, 12, 4, 12, 0)


def test_booking_for_the_clinic_moved_off_christmas_day_2025_closes_on_christmas_eve() -> None:
    christmas_series = redcar_clinic(anchor=date(2025, 12, 25))
    moved = only(christmas_series, date(2025, 12, 29))
    assert booking_cutoff(christmas_series, ENGLAND, moved) == at(2025, 12, 24, 12, 0)


def test_the_next_clinics_offered_change_when_booking_closes() -> None:
    before = next_clinics(redcar_clinic(), ENGLAND, at(2026, 12, 9, 11, 59), 3)
    after = next_clinics(redcar_clinic(), ENGLAND, at(2026, 12, 9, 12, 0), 3)
    assert [c.actual for c in before] == [date(2026, 12, 10), date(2027, 1, 7), date(2027, 2, 4)]
    assert [c.actual for c in after] == [date(2027, 1, 7), date(2027, 2, 4), date(2027, 3, 4)]


def test_the_next_clinics_leave_out_a_cancelled_one() -> None:
    offered = next_clinics(redcar_clinic(), ENGLAND, at(2026, 12, 9, 12, 0), 2, cancelled=frozenset({date(2027, 1, 7)}))
    assert [c.actual for c in offered] == [date(2027, 2, 4), date(2027, 3, 4)]


def test_a_disabled_clinic_offers_nothing() -> None:
    assert next_clinics(redcar_clinic(enabled=False), ENGLAND, at(2026, 12, 1, 9, 0), 3) == []


# Why a clinic cannot be booked


def test_a_clinic_before_its_cut_off_can_be_booked() -> None:
    clinic = redcar_clinic()
    assert why_not_bookable(clinic, ENGLAND, only(clinic, date(2026, 12, 10)), at(2026, 12, 9, 11, 59)) is None


def test_a_clinic_after_its_cut_off_says_when_booking_closed() -> None:
    clinic = redcar_clinic()
    reason = why_not_bookable(clinic, ENGLAND, only(clinic, date(2026, 12, 10)), at(2026, 12, 9, 12, 0))
    assert reason == "Booking for that clinic closed at midday on Wednesday 9 December 2026."


def test_a_clinic_that_has_started_has_already_happened() -> None:
    clinic = redcar_clinic()
    reason = why_not_bookable(clinic, ENGLAND, only(clinic, date(2026, 12, 10)), at(2026, 12, 10, 10, 0))
    assert reason == "That clinic has already happened."


def test_a_cancelled_clinic_says_so() -> None:
    clinic = redcar_clinic()
    day = only(clinic, date(2026, 12, 10))
    reason = why_not_bookable(clinic, ENGLAND, day, at(2026, 12, 1, 9, 0), frozenset({date(2026, 12, 10)}))
    assert reason == "That clinic was cancelled."


def test_a_day_with_no_clinic_says_so() -> None:
    assert why_not_bookable(redcar_clinic(), ENGLAND, None, at(2026, 12, 1, 9, 0)) == "There is no clinic on that date."


# The profile file and the model


def test_redcars_profile_file_validates_and_marks_its_assumptions() -> None:
    profile = PolicyProfile.model_validate(tomllib.loads(REDCAR_TOML.read_text(encoding="utf-8")))
    assert profile.clinic is not None
    assert profile.clinic.anchor.weekday() == profile.clinic.weekday == 3
    assert profile.clinic.interval_weeks == 4
    assert profile.clinic.standard_days == 28
    assert profile.working.holiday_calendar == "GB-ENG"
    for assumed in [
        "clinic.late_margin_days",
        "clinic.waitlist_hold_hours",
        "clinic.agenda_hours_before",
        "clinic.reminder_working_days_before",
    ]:
        assert assumed in profile.assumptions.fields
    models = {"clinic": profile.clinic, "working": profile.working, "transfers": profile.transfers}
    for assumed in profile.assumptions.fields:
        section, _, name = assumed.partition(".")
        assert name in type(models[section]).model_fields, assumed


def test_a_clinic_anchor_off_the_clinic_weekday_is_refused() -> None:
    with pytest.raises(ValidationError, match="not on weekday"):
        Clinic(anchor=date(2026, 1, 9))


def test_a_session_too_short_for_one_slot_is_refused() -> None:
    with pytest.raises(ValidationError, match="slot fits"):
        redcar_clinic(session_start=time(9, 30), session_end=time(9, 45))


def test_an_unknown_holiday_calendar_or_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="holiday calendar"):
        Working(holiday_calendar="GB-XYZ")
    with pytest.raises(ValidationError, match="time zone"):
        Working(time_zone="Europe/Atlantis")
