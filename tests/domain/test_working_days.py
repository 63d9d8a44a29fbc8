"""Working days in England: bank holidays, due times across the clock changes, and dates written the GOV.UK way."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.profiles import Working
from domain.working_days import WorkingCalendar, format_date, format_time, format_working_days

ENGLAND = WorkingCalendar.from_profile(Working())

any_day = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
a_few_working_days = st.integers(min_value=0, max_value=60)
any_instant = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (hypothesis takes naive bounds)
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001 (hypothesis takes naive bounds)
    timezones=st.just(UTC),
)


# Which days are working days


def test_christmas_day_2025_is_a_bank_holiday() -> None:
    assert ENGLAND.holiday_name(date(2025, 12, 25)) == "Christmas Day"
    assert not ENGLAND.is_working_day(date(2025, 12, 25))


def test_christmas_eve_2026_is_an_ordinary_thursday() -> None:
    assert ENGLAND.is_working_day(date(2026, 12, 24))


def test_weekends_are_not_working_days() -> None:
    assert not ENGLAND.is_working_day(date(2026, 12, 12))
    assert not ENGLAND.is_working_day(date(2026, 12, 13))


def test_a_substitute_bank_holiday_is_not_a_working_day() -> None:
    # Boxing Day 2026 is a Saturday, so the Monday after is the bank holiday.
    assert not ENGLAND.is_working_day(date(2026, 12, 28))


# Counting


def test_one_working_day_after_christmas_eve_2025_is_the_monday_after_boxing_day() -> None:
    assert ENGLAND.working_days_after(date(2025, 12, 24), 1) == date(2025, 12, 29)


def test_five_working_days_after_a_thursday_meeting_is_the_next_thursday() -> None:
    assert ENGLAND.working_days_after(date(2026, 12, 3), 5) == date(2026, 12, 10)


def test_one_working_day_after_a_saturday_is_the_monday() -> None:
    assert ENGLAND.working_days_after(date(2026, 12, 12), 1) == date(2026, 12, 14)


def test_zero_working_days_after_a_day_is_that_day() -> None:
    assert ENGLAND.working_days_after(date(2026, 12, 12), 0) == date(2026, 12, 12)


def test_counting_a_negative_number_of_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ENGLAND.working_days_after(date(2026, 12, 10), -1)
    with pytest.raises(ValueError, match="negative"):
        ENGLAND.working_days_before(date(2026, 12, 10), -1)


def test_the_working_day_before_the_tuesday_after_easter_is_maundy_thursday() -> None:
    assert ENGLAND.working_days_before(date(2026, 4, 7), 1) == date(2026, 4, 2)


def test_the_next_working_day_of_a_working_day_is_itself() -> None:
    assert ENGLAND.next_working_day(date(2026, 12, 10)) == date(2026, 12, 10)


def test_the_next_working_day_of_christmas_day_2026_is_the_tuesday_after() -> None:
    assert ENGLAND.next_working_day(date(2026, 12, 25)) == date(2026, 12, 29)


def test_working_days_between_counts_the_end_but_not_the_start() -> None:
    assert ENGLAND.working_days_between(date(2026, 12, 7), date(2026, 12, 11)) == 4
    assert ENGLAND.working_days_between(date(2026, 12, 11), date(2026, 12, 7)) == -4
    assert ENGLAND.working_days_between(date(2026, 12, 7), date(2026, 12, 7)) == 0


@given(any_day, a_few_working_days)
def test_n_working_days_after_a_day_is_a_working_day_exactly_n_working_days_later(d: date, n: int) -> None:
    due = ENGLAND.working_days_after(d, n)
    assert ENGLAND.working_days_between(d, due) == n
    if n >= 1:
        assert due > d
        assert ENGLAND.is_working_day(due)
        # Nothing earlier would do: the day before has one working day fewer.
        assert ENGLAND.working_days_between(d, due - timedelta(days=1)) == n - 1


@given(any_day, a_few_working_days)
def test_counting_back_n_working_days_then_forward_again_lands_on_the_next_working_day(d: date, n: int) -> None:
    earlier = ENGLAND.working_days_before(d, n)
    assert earlier <= d
    if n >= 1:
        assert ENGLAND.is_working_day(earlier)
        assert ENGLAND.working_days_after(earlier, n) == ENGLAND.next_working_day(d)


@given(any_day)
def test_the_next_working_day_is_the_first_working_day_on_or_after_the_day(d: date) -> None:
    found = ENGLAND.next_working_day(d)
    assert ENGLAND.is_working_day(found)
    assert found >= d
    assert all(not ENGLAND.is_working_day(d + timedelta(days=k)) for k in range((found - d).days))


@given(any_day, any_day)
def test_working_days_between_runs_the_same_both_ways(a: date, b: date) -> None:
    assert ENGLAND.working_days_between(a, b) == -ENGLAND.working_days_between(b, a)


# Closure days from configuration

CLOSED_AT_CHRISTMAS = WorkingCalendar.from_profile(
    Working(closure_days=frozenset({date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)}))
)
closure_sets = st.frozensets(any_day, max_size=20)


def test_a_council_s_closure_days_are_not_working_days_but_bank_holidays_still_have_their_names() -> None:
    assert not CLOSED_AT_CHRISTMAS.is_working_day(date(2026, 12, 30))
    assert CLOSED_AT_CHRISTMAS.holiday_name(date(2026, 12, 30)) is None
    assert ENGLAND.is_working_day(date(2026, 12, 30))


def test_one_working_day_after_christmas_eve_2026_with_the_council_closed_is_monday_4_january() -> None:
    # Christmas Day (Fri), the weekend, Boxing Day observed (Mon 28), the closure (29-31), New Year's Day (Fri).
    assert CLOSED_AT_CHRISTMAS.working_days_after(date(2026, 12, 24), 1) == date(2027, 1, 4)
    assert CLOSED_AT_CHRISTMAS.previous_working_day(date(2027, 1, 3)) == date(2026, 12, 24)


@given(any_day, a_few_working_days, closure_sets)
def test_counting_working_days_skips_weekends_bank_holidays_and_closure_days(
    d: date, n: int, closed: frozenset[date]
) -> None:
    calendar = WorkingCalendar.from_profile(Working(closure_days=closed))
    due = calendar.working_days_after(d, n)
    counted = [d + timedelta(days=k) for k in range(1, (due - d).days + 1)]
    working = [day for day in counted if day.weekday() < 5 and ENGLAND.holiday_name(day) is None and day not in closed]
    assert len(working) == n
    if n >= 1:
        assert due == working[-1]
        assert due not in closed and calendar.is_working_day(due)


@given(any_day, closure_sets)
def test_the_previous_working_day_is_the_last_working_day_on_or_before_the_day(
    d: date, closed: frozenset[date]
) -> None:
    calendar = WorkingCalendar.from_profile(Working(closure_days=closed))
    found = calendar.previous_working_day(d)
    assert calendar.is_working_day(found) and found <= d
    assert all(not calendar.is_working_day(found + timedelta(days=k)) for k in range(1, (d - found).days + 1))


# Due times and time zones


def test_a_deadline_in_winter_is_due_at_5pm_which_is_17_00_utc() -> None:
    assert ENGLAND.due_at(date(2026, 12, 10)) == datetime(2026, 12, 10, 17, 0, tzinfo=UTC)


def test_a_deadline_in_summer_is_due_at_5pm_which_is_16_00_utc() -> None:
    assert ENGLAND.due_at(date(2026, 7, 9)) == datetime(2026, 7, 9, 16, 0, tzinfo=UTC)


def test_the_profile_can_end_the_working_day_earlier() -> None:
    early = WorkingCalendar.from_profile(Working(end_of_day=time(16, 30)))
    assert early.due_at(date(2026, 12, 10)) == datetime(2026, 12, 10, 16, 30, tzinfo=UTC)


@given(any_day)
def test_every_due_time_is_the_end_of_the_day_in_london(d: date) -> None:
    local = ENGLAND.to_local(ENGLAND.due_at(d))
    assert (local.date(), local.time()) == (d, time(17, 0))
    assert ENGLAND.due_at(d).utcoffset() == timedelta(0)


def test_a_naive_time_is_read_as_london_wall_clock_time() -> None:
    assert ENGLAND.to_utc(datetime(2026, 7, 9, 9, 30)) == datetime(2026, 7, 9, 8, 30, tzinfo=UTC)  # noqa: DTZ001
    assert ENGLAND.to_utc(datetime(2026, 12, 10, 9, 30)) == datetime(2026, 12, 10, 9, 30, tzinfo=UTC)  # noqa: DTZ001


def test_showing_a_naive_time_in_london_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        ENGLAND.to_local(datetime(2026, 12, 10, 9, 30))  # noqa: DTZ001


@given(any_instant)
def test_every_instant_round_trips_through_london_time(instant: datetime) -> None:
    local = ENGLAND.to_local(instant)
    assert ENGLAND.to_utc(local) == instant
    assert ENGLAND.to_utc(local.replace(tzinfo=None)) == instant


# Written the GOV.UK way


def test_a_clinic_time_is_written_the_gov_uk_way() -> None:
    assert ENGLAND.format_when(datetime(2026, 12, 10, 9, 30, tzinfo=UTC)) == "Thursday 10 December 2026, 9:30am"


def test_a_whole_hour_is_written_without_minutes() -> None:
    assert ENGLAND.format_when(datetime(2026, 12, 11, 10, 0, tzinfo=UTC)) == "Friday 11 December 2026, 10am"


def test_a_summer_time_is_shown_in_british_summer_time() -> None:
    assert ENGLAND.format_when(datetime(2026, 7, 9, 8, 30, tzinfo=UTC)) == "Thursday 9 July 2026, 9:30am"


def test_noon_is_midday_and_twelve_at_night_is_midnight() -> None:
    assert ENGLAND.format_when(datetime(2026, 12, 9, 12, 0, tzinfo=UTC)) == "Wednesday 9 December 2026, midday"
    assert format_time(time(0, 0)) == "midnight"
    assert format_time(time(12, 30)) == "12:30pm"
    assert format_time(time(0, 15)) == "12:15am"
    assert format_time(time(17, 0)) == "5pm"


def test_a_date_has_no_leading_zero() -> None:
    assert format_date(date(2027, 1, 7)) == "Thursday 7 January 2027"


def test_working_days_are_counted_in_words_people_use() -> None:
    assert format_working_days(1) == "1 working day"
    assert format_working_days(5) == "5 working days"
    assert format_working_days(0) == "0 working days"
