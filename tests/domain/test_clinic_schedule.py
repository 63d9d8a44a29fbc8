"""The clinic schedule (the series with the coordinators' changes, as one value), the 28-day standard, and the
ways a booking ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.booking import ACTIVE, ENDINGS, Booking, BookingStatus, EndReason, WaitStatus
from domain.clinic import (
    ClinicDate,
    ClinicSchedule,
    clinic_dates,
    clinic_starts_at,
    late_for_standard,
    next_clinics,
    step_down_due,
)
from domain.directions import Direction
from domain.profiles import Clinic
from tests.domain.test_clinic_calendar import ENGLAND, any_clinic, any_instant, any_window, at, redcar_clinic

DECEMBER_10 = date(2026, 12, 10)


def redcar(**changes: Any) -> ClinicSchedule:
    return ClinicSchedule(redcar_clinic(), ENGLAND, **changes)


@st.composite
def any_schedule(draw: st.DrawFn) -> tuple[ClinicSchedule, tuple[date, date]]:
    """Any series, a window on it, and some of its days cancelled and some extra days added."""
    clinic: Clinic = draw(any_clinic())
    window = draw(any_window())
    series = clinic_dates(clinic, ENGLAND, *window)
    days = st.dates(min_value=window[0], max_value=window[1])
    cancelled = draw(st.sets(st.sampled_from([c.actual for c in series]), max_size=3)) if series else set()
    extra = draw(st.sets(days, max_size=3))
    return ClinicSchedule(clinic, ENGLAND, frozenset(cancelled), frozenset(extra)), window


@settings(deadline=None, max_examples=60)
@given(any_schedule(), st.data())
def test_the_clinic_held_on_a_day_is_the_one_the_calendar_lists_for_it_and_none_on_other_days(
    drawn: tuple[ClinicSchedule, tuple[date, date]], data: st.DataObject
) -> None:
    schedule, window = drawn
    listed = clinic_dates(schedule.clinic, ENGLAND, *window, cancelled=schedule.cancelled, extra=schedule.extra)
    assert schedule.dates(*window) == listed
    for found in listed:
        assert schedule.held_on(found.actual) == found
    day = data.draw(st.dates(min_value=window[0], max_value=window[1]))
    if day not in {c.actual for c in listed}:
        assert schedule.held_on(day) is None


@settings(deadline=None, max_examples=60)
@given(any_schedule(), any_instant)
def test_the_next_clinics_are_the_calendars_with_the_same_changes(
    drawn: tuple[ClinicSchedule, tuple[date, date]], now: datetime
) -> None:
    schedule, _window = drawn
    expected = next_clinics(schedule.clinic, ENGLAND, now, 3, cancelled=schedule.cancelled, extra=schedule.extra)
    assert schedule.next_clinics(now, 3) == expected


@settings(deadline=None, max_examples=60)
@given(any_schedule(), st.data())
def test_a_day_cancelled_is_held_no_more_and_takes_no_offers_and_adding_it_again_restores_it(
    drawn: tuple[ClinicSchedule, tuple[date, date]], data: st.DataObject
) -> None:
    schedule, window = drawn
    listed = schedule.dates(*window)
    if not listed:
        return
    found = data.draw(st.sampled_from(listed))
    before = schedule.starts_at(found) - timedelta(minutes=1)
    assert schedule.takes_offers(found.actual, before)
    cancelled = schedule.cancel(found.actual)
    assert cancelled.held_on(found.actual) is None and cancelled.is_cancelled(found.actual)
    assert not cancelled.takes_offers(found.actual, before)
    assert cancelled.why_not_bookable(found.actual, before) == "That clinic was cancelled."
    assert [c.actual for c in cancelled.dates(*window)] == [c.actual for c in listed if c != found]
    assert cancelled.add(found.actual).held_on(found.actual) is not None


def test_a_clinic_takes_offers_until_it_starts() -> None:
    clinic = redcar().held_on(DECEMBER_10)
    assert clinic is not None
    starts = clinic_starts_at(redcar_clinic(), ENGLAND, clinic)
    assert redcar().starts_at(clinic) == starts == at(2026, 12, 10, 9, 30)
    assert redcar().takes_offers(DECEMBER_10, starts - timedelta(seconds=1))
    assert not redcar().takes_offers(DECEMBER_10, starts)
    assert not redcar().has_started(DECEMBER_10, starts - timedelta(seconds=1))
    assert redcar().has_started(DECEMBER_10, starts)


def test_a_day_with_no_clinic_takes_no_offers_and_never_starts() -> None:
    assert redcar().held_on(date(2026, 12, 11)) is None
    assert not redcar().takes_offers(date(2026, 12, 11), at(2026, 12, 1))
    assert not redcar().has_started(date(2026, 12, 11), at(2026, 12, 12))


def test_a_clinic_added_on_a_day_outside_the_series_is_held_and_bookable() -> None:
    schedule = redcar().add(date(2026, 12, 17))
    found = schedule.held_on(date(2026, 12, 17))
    assert found is not None and found.added
    assert schedule.why_not_bookable(date(2026, 12, 17), at(2026, 12, 1)) is None
    assert [c.actual for c in schedule.next_clinics(at(2026, 12, 1), 2)] == [DECEMBER_10, date(2026, 12, 17)]


def test_the_agenda_is_for_todays_clinic_else_the_next_one() -> None:
    assert redcar().clinic_for_agenda(at(2026, 12, 10, 15)) == DECEMBER_10
    assert redcar().clinic_for_agenda(at(2026, 12, 11, 9)) == date(2027, 1, 7)
    # Booking for 10 December has closed, but the agenda still shows it the day before.
    assert redcar().clinic_for_agenda(at(2026, 12, 9, 15)) == DECEMBER_10
    assert redcar(cancelled=frozenset({DECEMBER_10})).clinic_for_agenda(at(2026, 12, 9, 15)) == date(2027, 1, 7)


# The 28-day standard


def test_a_clinic_a_week_before_the_28_days_are_up_is_in_time_and_one_later_is_late() -> None:
    clinic = redcar_clinic()
    decided = date(2026, 11, 19)
    assert step_down_due(clinic, decided) == date(2026, 12, 17)
    assert not late_for_standard(clinic, decided, ClinicDate(date(2026, 12, 10), date(2026, 12, 10)))
    assert late_for_standard(clinic, decided, ClinicDate(date(2026, 12, 11), date(2026, 12, 11)))


# How a booking ends


def test_every_way_of_ending_a_booking_has_its_meaning() -> None:
    assert set(ENDINGS) == set(EndReason)
    for why, ending in ENDINGS.items():
        assert ending.ends <= ACTIVE and ending.status not in ACTIVE, why
        assert ending.audit.startswith("booking."), why


def test_only_a_seat_held_for_the_waiting_list_can_be_declined_or_run_out() -> None:
    for why in (EndReason.OFFER_DECLINED, EndReason.HOLD_EXPIRED):
        assert ENDINGS[why].ends == frozenset({BookingStatus.HELD})
    assert ENDINGS[EndReason.HOLD_EXPIRED].entry is WaitStatus.EXPIRED
    assert ENDINGS[EndReason.CLINIC_CANCELLED].entry is WaitStatus.WAITING


def _held(expires: datetime | None, status: BookingStatus = BookingStatus.HELD) -> Booking:
    return Booking(
        id=1,
        slot_id=1,
        clinic_date=DECEMBER_10,
        starts_at=at(2026, 12, 10, 9, 30),
        ends_at=at(2026, 12, 10, 10),
        tenant_id="t",
        worker_object_id="o",
        worker_name="S.W.",
        case_reference="DEMO-0001",
        team="Team",
        direction=Direction.STEP_DOWN_EARLY_HELP,
        decision_date=date(2026, 11, 20),
        reason="A reason",
        manager_agreed=True,
        status=status,
        version=1,
        hold_expires_at=expires,
    )


def test_a_hold_runs_out_at_its_time_whether_or_not_its_job_has_run() -> None:
    expires = datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert not _held(expires).hold_has_run_out(expires - timedelta(seconds=1))
    assert _held(expires).hold_has_run_out(expires)
    assert not _held(expires, BookingStatus.BOOKED).hold_has_run_out(expires + timedelta(days=1))
    assert not _held(None).hold_has_run_out(expires)
