"""Due, reminder and escalation times: bank holidays across years, the clock changes, and properties of every kind."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.profile_files import all_profiles
from bot.settings import REPO_ROOT
from domain.deadline_rules import DeadlineRule, EscalateTo, Escalation, Fact, Kind, Owner, Span, Unit
from domain.deadline_times import due_at, escalation_times, next_working_moment, reminder_times
from domain.profiles import Working
from domain.working_days import WorkingCalendar

PROFILES = all_profiles(REPO_ROOT / "profiles")
WORKING = Working()
ENGLAND = WorkingCalendar.from_profile(WORKING)
CHRISTMAS_CLOSURE = frozenset({date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)})
CLOSED_AT_CHRISTMAS = WorkingCalendar.from_profile(Working(closure_days=CHRISTMAS_CLOSURE))
WD, DAYS, WEEKS, HOURS = Unit.WORKING_DAYS, Unit.CALENDAR_DAYS, Unit.WEEKS, Unit.HOURS


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A London wall-clock time as an aware UTC instant."""
    return ENGLAND.to_utc(datetime(year, month, day, hour, minute))  # noqa: DTZ001 (to_utc reads it as London time)


def rule(amount: int, unit: Unit, kind: Kind = Kind.LATEST, **changes: Any) -> DeadlineRule:
    values: dict[str, Any] = {
        "key": "a_rule",
        "title": "Something due",
        "starts_on": Fact.MEETING_HELD,
        "stops_on": [Fact.JOINT_VISIT_DONE],
        "span": Span(amount=amount, unit=unit),
        "kind": kind,
        "owner": Owner.REQUESTER,
        "remind": [],
        "escalate": [],
        "source": "000 test",
    }
    return DeadlineRule(**(values | changes))


def rule_of(profile: str, key: str) -> DeadlineRule:
    return next(r for r in PROFILES[profile].deadlines if r.key == key)


def due(r: DeadlineRule, started: datetime | date, calendar: WorkingCalendar = ENGLAND) -> datetime:
    return due_at(r, started, calendar, WORKING)


# Pinned: bank holidays across years


def test_a_meeting_on_tuesday_31_march_2026_gives_a_joint_visit_due_thursday_9_april_at_5pm_easter_skipped() -> None:
    visit = rule_of("dorset", "handover_visit")
    due_time = due(visit, london(2026, 3, 31, 14, 0))
    assert ENGLAND.format_when(due_time) == "Thursday 9 April 2026, 5pm"
    assert due_time == datetime(2026, 4, 9, 16, 0, tzinfo=UTC)


def test_five_working_days_from_23_december_2026_skip_christmas_the_observed_boxing_day_and_new_year() -> None:
    # 25 December is a Friday, Boxing Day a Saturday: Monday 28 is the substitute; 1 January 2027 a Friday.
    assert ENGLAND.format_when(due(rule(5, WD), london(2026, 12, 23, 10, 0))) == "Monday 4 January 2027, 5pm"


def test_in_2027_christmas_and_boxing_day_fall_on_the_weekend_so_monday_and_tuesday_are_the_days_off() -> None:
    assert ENGLAND.format_when(due(rule(1, WD), london(2027, 12, 24, 10, 0))) == "Wednesday 29 December 2027, 5pm"


def test_new_year_2028_falls_on_a_saturday_so_monday_3_january_is_the_day_off() -> None:
    assert ENGLAND.format_when(due(rule(1, WD), london(2027, 12, 31, 10, 0))) == "Tuesday 4 January 2028, 5pm"


def test_the_late_may_bank_holiday_is_skipped() -> None:
    assert ENGLAND.format_when(due(rule(1, WD), london(2026, 5, 22, 9, 0))) == "Tuesday 26 May 2026, 5pm"


def test_the_august_bank_holiday_is_skipped_when_the_chair_tells_the_social_worker() -> None:
    told = rule_of("cheshire_east", "outcome_to_social_worker")
    assert ENGLAND.format_when(due(told, london(2026, 8, 28, 15, 0))) == "Tuesday 1 September 2026, 5pm"


def test_closure_days_are_skipped_like_bank_holidays() -> None:
    due_time = due(rule(1, WD), london(2026, 12, 24, 10, 0), CLOSED_AT_CHRISTMAS)
    assert CLOSED_AT_CHRISTMAS.format_when(due_time) == "Monday 4 January 2027, 5pm"


# Pinned: the clocks change


def test_a_deadline_across_the_clocks_going_forward_is_still_due_at_5pm_london_time() -> None:
    due_time = due(rule(5, WD), london(2026, 3, 24, 10, 0))
    assert (ENGLAND.format_when(due_time), due_time) == (
        "Tuesday 31 March 2026, 5pm",
        datetime(2026, 3, 31, 16, 0, tzinfo=UTC),
    )


def test_a_deadline_across_the_clocks_going_back_is_still_due_at_5pm_london_time() -> None:
    due_time = due(rule(5, WD), london(2026, 10, 20, 10, 0))
    assert (ENGLAND.format_when(due_time), due_time) == (
        "Tuesday 27 October 2026, 5pm",
        datetime(2026, 10, 27, 17, 0, tzinfo=UTC),
    )


def test_24_hours_are_counted_on_the_clock_so_across_the_clocks_going_forward_they_end_an_hour_later_by_the_wall() -> (
    None
):
    # Saturday 28 March 2026, 3pm GMT; 24 hours later the clocks say 4pm BST on the Sunday.
    assert ENGLAND.format_when(due(rule(24, HOURS), london(2026, 3, 28, 15, 0))) == "Sunday 29 March 2026, 4pm"


# How each unit and kind counts


def test_24_hours_from_3pm_on_a_friday_is_3pm_on_the_saturday() -> None:
    ehash = rule_of("rochdale", "ehash_decision")
    assert ENGLAND.format_when(due(ehash, london(2026, 11, 27, 15, 0))) == "Saturday 28 November 2026, 3pm"


def test_28_calendar_days_landing_on_the_observed_boxing_day_fall_due_the_next_working_day() -> None:
    step_down = rule_of("redcar", "whole_step_down")
    # Decided in supervision on Monday 30 November 2026: day 28 is Monday 28 December, a bank holiday.
    assert ENGLAND.format_when(due(step_down, date(2026, 11, 30))) == "Tuesday 29 December 2026, 5pm"


def test_calendar_days_landing_on_a_saturday_fall_due_on_the_monday() -> None:
    assert ENGLAND.format_when(due(rule(28, DAYS), date(2026, 11, 7))) == "Monday 7 December 2026, 5pm"


def test_a_decision_recorded_as_a_date_counts_from_that_date() -> None:
    assert due(rule(5, WD), date(2026, 3, 31)) == due(rule(5, WD), london(2026, 3, 31, 23, 59))


def test_a_clock_in_hours_from_a_date_is_refused() -> None:
    with pytest.raises(ValueError, match="instant"):
        due(rule(24, HOURS), date(2026, 3, 31))


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        due(rule(5, WD), datetime(2026, 3, 31, 10, 0))  # noqa: DTZ001


def test_a_same_day_rule_recorded_after_5pm_is_due_at_the_end_of_the_next_working_day() -> None:
    named = rule_of("cheshire_east", "worker_named_same_day")
    assert ENGLAND.format_when(due(named, london(2026, 12, 4, 18, 0))) == "Monday 7 December 2026, 5pm"
    assert ENGLAND.format_when(due(named, london(2026, 12, 4, 14, 0))) == "Friday 4 December 2026, 5pm"


def test_an_earliest_date_opens_at_the_start_of_its_day_and_says_so_at_9am_that_day() -> None:
    open_ten_days = rule_of("york", "open_to_early_help_ten_days")
    opens = due(open_ten_days, london(2026, 6, 1, 10, 0))
    assert ENGLAND.to_local(opens) == datetime(2026, 6, 11, 0, 0, tzinfo=ENGLAND.zone)
    assert [ENGLAND.format_when(t) for t in reminder_times(open_ten_days, opens, ENGLAND, WORKING)] == [
        "Thursday 11 June 2026, 9am"
    ]
    assert escalation_times(open_ten_days, opens, ENGLAND, WORKING) == []


def test_a_maximum_duration_ends_at_the_end_of_its_last_day() -> None:
    lead_person = rule_of("cheshire_east", "lead_person_at_most_four_weeks")
    assert ENGLAND.format_when(due(lead_person, london(2026, 11, 2, 11, 0))) == "Monday 30 November 2026, 5pm"


def test_dorset_s_permanence_window_counts_back_from_the_final_hearing() -> None:
    latest, earliest = rule_of("dorset", "permanence_meeting"), rule_of("dorset", "permanence_meeting_window_opens")
    hearing = date(2026, 12, 15)
    assert ENGLAND.format_when(due(latest, hearing)) == "Tuesday 3 November 2026, 5pm"
    assert ENGLAND.format_when(due(earliest, hearing)) == "Tuesday 20 October 2026, midnight"


def test_counted_back_onto_a_bank_holiday_the_latest_date_moves_earlier_never_later() -> None:
    # Six weeks before Monday 12 October 2026 is Monday 31 August, the late summer bank holiday.
    assert ENGLAND.format_when(due(rule_of("dorset", "permanence_meeting"), date(2026, 10, 12))) == (
        "Friday 28 August 2026, 5pm"
    )


# Reminders and escalations


def test_the_joint_visit_is_reminded_two_working_days_before_and_on_the_day_at_9am() -> None:
    visit = rule_of("dorset", "handover_visit")
    due_time = due(visit, london(2026, 3, 31, 14, 0))
    assert [ENGLAND.format_when(t) for t in reminder_times(visit, due_time, ENGLAND, WORKING)] == [
        "Tuesday 7 April 2026, 9am",
        "Thursday 9 April 2026, 9am",
    ]


def test_an_overdue_joint_visit_goes_to_the_manager_next_morning_then_the_channel_a_working_day_later() -> None:
    visit = rule_of("dorset", "handover_visit")
    due_time = due(visit, london(2026, 3, 31, 14, 0))
    chain = [(step.to, ENGLAND.format_when(t)) for step, t in escalation_times(visit, due_time, ENGLAND, WORKING)]
    assert chain == [
        (EscalateTo.OWNERS_MANAGER, "Friday 10 April 2026, 9am"),
        (EscalateTo.MANAGERS_CHANNEL, "Monday 13 April 2026, 9am"),
    ]


def test_rochdale_s_unfixed_gaps_go_to_the_head_of_service_the_morning_after_the_third_working_day() -> None:
    gaps = rule_of("rochdale", "readiness_gaps")
    due_time = due(gaps, london(2026, 12, 23, 11, 0))
    assert ENGLAND.format_when(due_time) == "Wednesday 30 December 2026, 5pm"
    first, _ = escalation_times(gaps, due_time, ENGLAND, WORKING)[0]
    assert first.role is not None and first.role.value == "head_of_service"
    assert {ENGLAND.format_when(t) for _, t in escalation_times(gaps, due_time, ENGLAND, WORKING)} == {
        "Thursday 31 December 2026, 9am"
    }


def test_a_reminder_that_cannot_go_out_in_working_hours_before_a_weekend_due_time_is_dropped() -> None:
    ehash = rule_of("rochdale", "ehash_decision")
    due_time = due(ehash, london(2026, 11, 27, 20, 0))  # due Saturday 8pm; 4 hours before is a Saturday too
    assert reminder_times(ehash, due_time, ENGLAND, WORKING) == []
    assert [ENGLAND.format_when(t) for _, t in escalation_times(ehash, due_time, ENGLAND, WORKING)] == [
        "Monday 30 November 2026, 9am"
    ]


def test_a_reminder_that_would_come_before_the_clock_started_is_dropped_when_the_start_is_given() -> None:
    five_days = rule(5, DAYS, remind=[Span(amount=5, unit=WD), Span(amount=0, unit=WD)])
    started = london(2026, 12, 4, 10, 0)  # a Friday: due Wednesday 9 December; 5 working days before is the 2nd
    due_time = due(five_days, started)
    assert reminder_times(five_days, due_time, ENGLAND, WORKING) == [
        london(2026, 12, 2, 9, 0),
        london(2026, 12, 9, 9, 0),
    ]
    assert reminder_times(five_days, due_time, ENGLAND, WORKING, not_before=started) == [london(2026, 12, 9, 9, 0)]


def test_a_reminder_in_hours_outside_working_hours_goes_at_the_next_start_of_them() -> None:
    day = rule(24, HOURS, remind=[Span(amount=20, unit=HOURS)])
    due_time = due(day, london(2026, 12, 1, 16, 0))  # Wednesday 4pm; 20 hours before is Tuesday 8pm
    assert reminder_times(day, due_time, ENGLAND, WORKING) == [london(2026, 12, 2, 9, 0)]


# next_working_moment


def test_a_reminder_missed_at_2am_goes_at_9am() -> None:
    assert next_working_moment(london(2026, 12, 10, 2, 0), ENGLAND, WORKING) == london(2026, 12, 10, 9, 0)


def test_a_moment_in_working_hours_is_kept_and_5pm_moves_to_the_next_working_morning() -> None:
    assert next_working_moment(london(2026, 12, 10, 10, 15), ENGLAND, WORKING) == london(2026, 12, 10, 10, 15)
    assert next_working_moment(london(2026, 12, 11, 17, 0), ENGLAND, WORKING) == london(2026, 12, 14, 9, 0)


def test_the_reminder_window_end_bounds_working_hours() -> None:
    short_day = Working(reminder_window_start=time(10, 0), reminder_window_end=time(15, 0))
    assert next_working_moment(london(2026, 12, 10, 15, 30), ENGLAND, short_day) == london(2026, 12, 11, 10, 0)
    assert next_working_moment(london(2026, 12, 10, 9, 30), ENGLAND, short_day) == london(2026, 12, 10, 10, 0)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError, match="reminder_window_end must be after"):
        Working(reminder_window_start=time(17, 0), reminder_window_end=time(9, 0))


# Properties, for every kind and unit

instants = st.datetimes(
    min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (hypothesis takes naive bounds)
    max_value=datetime(2035, 12, 31),  # noqa: DTZ001 (hypothesis takes naive bounds)
    timezones=st.just(UTC),
)
units = st.sampled_from(list(Unit))
ANY_KIND = st.sampled_from(list(Kind))


@st.composite
def rules(draw: st.DrawFn, kinds: st.SearchStrategy[Kind] = ANY_KIND) -> DeadlineRule:
    kind, unit = draw(kinds), draw(units)
    amount = draw(st.integers(0, 72 if unit is HOURS else 40))
    if kind is Kind.EARLIEST:
        remind = draw(st.sampled_from([[], [Span(amount=0, unit=WD)]]))
        escalate: list[Escalation] = []
    else:
        lead_units = st.just(HOURS) if unit is HOURS else units
        leads = st.builds(Span, amount=st.integers(0, 10), unit=lead_units)
        remind = draw(st.lists(leads, max_size=3, unique=True))
        escalate = draw(
            st.lists(
                st.builds(
                    Escalation,
                    to=st.sampled_from([EscalateTo.OWNERS_MANAGER, EscalateTo.MANAGERS_CHANNEL]),
                    after=st.builds(Span, amount=st.integers(0, 5), unit=units),
                ),
                max_size=3,
            )
        )
    try:
        return rule(amount, unit, kind, remind=remind, escalate=escalate)
    except ValidationError:
        assume(False)
        raise


def in_working_hours(t: datetime) -> bool:
    local = ENGLAND.to_local(t)
    start, end = WORKING.reminder_window_start, WORKING.reminder_window_end
    return ENGLAND.is_working_day(local.date()) and start <= local.time() < end


@given(rules(st.sampled_from([Kind.LATEST, Kind.MAXIMUM])), instants)
def test_a_latest_or_maximum_deadline_is_never_due_before_it_started(r: DeadlineRule, started: datetime) -> None:
    due_time = due(r, started)
    assert due_time >= started
    if r.span.unit is HOURS:
        assert due_time - started == timedelta(hours=r.span.amount)
    else:
        local = ENGLAND.to_local(due_time)
        assert ENGLAND.is_working_day(local.date()) and local.time() == WORKING.end_of_day


@given(rules(st.just(Kind.EARLIEST)), instants)
def test_an_earliest_date_is_the_start_of_the_day_the_span_reaches(r: DeadlineRule, started: datetime) -> None:
    opens = due(r, started)
    if r.span.unit is HOURS:
        assert opens - started == timedelta(hours=r.span.amount)
    else:
        local, day = ENGLAND.to_local(opens), ENGLAND.local_date(started)
        assert local.time() == time(0, 0)
        if r.span.unit is WD:
            assert ENGLAND.working_days_between(day, local.date()) == r.span.amount
        else:
            assert (local.date() - day).days == r.span.amount * (7 if r.span.unit is WEEKS else 1)


@given(rules(), instants)
def test_reminders_ascend_in_working_hours_and_never_pass_a_latest_due_time(r: DeadlineRule, started: datetime) -> None:
    due_time = due(r, started)
    times = reminder_times(r, due_time, ENGLAND, WORKING, not_before=started)
    assert times == sorted(set(times))
    assert all(in_working_hours(t) and t >= started for t in times)
    if r.kind is Kind.EARLIEST:
        assert all(t >= due_time for t in times)
    else:
        assert all(t <= due_time for t in times)


@given(rules(), instants)
def test_escalations_come_after_the_due_time_in_working_hours_and_in_order(r: DeadlineRule, started: datetime) -> None:
    due_time = due(r, started)
    times = [t for _, t in escalation_times(r, due_time, ENGLAND, WORKING)]
    assert times == sorted(times)
    assert all(t >= due_time and in_working_hours(t) for t in times)


@given(instants)
def test_the_next_working_moment_is_idempotent_in_working_hours_and_the_first_one(at: datetime) -> None:
    found = next_working_moment(at, ENGLAND, WORKING)
    assert in_working_hours(found) and found >= at
    assert next_working_moment(found, ENGLAND, WORKING) == found
    if found != at:
        assert not in_working_hours(at)
        assert ENGLAND.to_local(found).time() == WORKING.reminder_window_start
        # Nothing in between was a working moment: an hour's steps back from it find none.
        step = found - timedelta(minutes=30)
        while step > at:
            assert not in_working_hours(step)
            step -= timedelta(minutes=30)


@given(st.integers(0, 20), st.sampled_from([WD, DAYS, WEEKS]), st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_counted_back_from_a_window_date_the_latest_date_is_a_working_day_never_after_the_span(
    amount: int, unit: Unit, window: date
) -> None:
    back = rule(amount, unit, starts_on=Fact.WINDOW_DATE, window_title="the final hearing", counts_back=True)
    local = ENGLAND.to_local(due(back, window))
    assert ENGLAND.is_working_day(local.date()) and local.time() == WORKING.end_of_day
    exact = window - timedelta(days=amount * (7 if unit is WEEKS else 1))
    if unit is WD:
        exact = ENGLAND.working_days_before(window, amount)
    assert local.date() <= exact


@given(
    rules(st.sampled_from([Kind.LATEST, Kind.MAXIMUM])),
    instants,
    st.frozensets(st.dates(date(2020, 1, 1), date(2036, 3, 31)), max_size=40),
)
def test_no_deadline_in_days_falls_due_on_a_closure_day(
    r: DeadlineRule, started: datetime, closed: frozenset[date]
) -> None:
    assume(r.span.unit is not HOURS)
    calendar = WorkingCalendar.from_profile(Working(closure_days=closed))
    assert calendar.local_date(due(r, started, calendar)) not in closed
