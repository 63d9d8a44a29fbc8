"""When a deadline rule falls due, when its owner is reminded and when it escalates, counted as the seeds count.

How each unit counts, and why:

- Working days where a procedure says working days: Monday to Friday, not bank holidays (England and
  Wales) nor the council's closure days, counted from the local date of the fact (a fact on a Saturday
  counts from the Saturday: 1 working day after it is the Monday).
- Calendar days where it says days, weeks where it says weeks: every day counts.
- Hours where it says hours: the clock runs through nights and weekends, so 24 hours from 3pm on a Friday
  is 3pm on the Saturday. The seeds use hours only for the front door, a safeguarding service with an
  out-of-hours duty team (Cheshire East 1.5), and they write "working days" wherever they mean them: Rochdale
  gives the EHASH "24 hours" in the same procedure that gives gaps "3 working days" and the ICPC "15 working
  days"; Cheshire East gives ChECS "1 hour" and "24 hours" beside "1 working day" for the chair.
- A clock counted in days falls due at the end of its working day (`Working.end_of_day`, 17:00 London)
  (DESIGN.md, Conventions). Calendar days or weeks that land on a weekend, bank holiday or closure day fall
  due at the end of the next working day: nobody works to a Sunday deadline, and it is the rule courts use
  for a period that ends on a day the office is closed (Civil Procedure Rules 2.8(5)). Counted back from a
  date ahead (Dorset: 6 weeks before the final hearing), it moves to the working day before instead, so
  moving it never shortens the notice.
- A fact recorded as a date (the decision in supervision) counts from that date.
- A same-day rule whose fact is recorded after the end of the working day, or on a day off, is due at the
  end of the next working day: otherwise it would be overdue before it started.
- EARLIEST is the moment from which the step may happen: the start (local midnight) of the day the span
  reaches, or the exact instant for hours. "At least 10 days after allocation" on 1 June: from 11 June.
- MAXIMUM is the latest end of a duration that started with the fact, counted like LATEST.

Reminders and escalations go in working hours on working days (`Working.reminder_window_start` to
`reminder_window_end`): a reminder counted in days goes at the start of working hours that many days before
the due day; one that would fall outside working hours goes at the next start of them; one that would then
come after the due time is dropped, since the escalation takes over at that point.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from domain.deadline_rules import DeadlineRule, Escalation, Kind, Span, Unit
from domain.profiles import Working
from domain.working_days import WorkingCalendar


def due_at(rule: DeadlineRule, started: datetime | date, calendar: WorkingCalendar, working: Working) -> datetime:
    """When `rule` falls due (or, for EARLIEST, from when the step may happen), as an aware UTC datetime.

    `started` is the fact's instant (aware) or, for a fact recorded as a date, its date.
    """
    span = rule.span
    if span.unit is Unit.HOURS:
        if not isinstance(started, datetime):
            raise ValueError(f"{rule.key}: a clock in hours needs the instant it started, not the date {started}")
        return calendar.to_local(started).astimezone(UTC) + timedelta(hours=span.amount)
    day = calendar.local_date(started) if isinstance(started, datetime) else started
    target = _days_from(day, span, calendar, back=rule.counts_back)
    if rule.kind is Kind.EARLIEST:
        return datetime.combine(target, time(0), tzinfo=calendar.zone).astimezone(UTC)
    if rule.counts_back:
        return _end_of(calendar.previous_working_day(target), calendar, working)
    due = _end_of(calendar.next_working_day(target), calendar, working)
    if isinstance(started, datetime) and due < started:
        # Only a same-day rule gets here: its fact came after the end of the working day.
        due = _end_of(calendar.working_days_after(day, 1), calendar, working)
    return due


def reminder_times(
    rule: DeadlineRule,
    due: datetime,
    calendar: WorkingCalendar,
    working: Working,
    *,
    not_before: datetime | None = None,
) -> list[datetime]:
    """When the owner is reminded, ascending, none twice, each in working hours on a working day.

    Never after a LATEST or MAXIMUM due time, never before an EARLIEST one; `not_before` (the instant the
    clock started) drops a reminder that would come before it.
    """
    found: set[datetime] = set()
    for span in rule.remind:
        if span.unit is Unit.HOURS:
            at = due - timedelta(hours=span.amount)
        else:
            day = _days_from(calendar.local_date(due), span, calendar, back=True)
            at = calendar.to_utc(datetime.combine(day, working.reminder_window_start, tzinfo=calendar.zone))
        if rule.kind is Kind.EARLIEST:
            at = max(at, due)
        at = next_working_moment(at, calendar, working)
        if rule.kind is not Kind.EARLIEST and at > due:
            continue
        if not_before is not None and at < not_before:
            continue
        found.add(at)
    return sorted(found)


def escalation_times(
    rule: DeadlineRule, due: datetime, calendar: WorkingCalendar, working: Working
) -> list[tuple[Escalation, datetime]]:
    """When each step of the escalation chain takes over, in working hours and in time order.

    Each step's `after` counts from the first working moment at or after the due time, so "a working day
    later" gives the people told first a working day to act.
    """
    base = next_working_moment(due, calendar, working)
    steps = [
        (step, next_working_moment(_after(base, step.after, calendar), calendar, working)) for step in rule.escalate
    ]
    return sorted(steps, key=lambda pair: pair[1])


def next_working_moment(at: datetime, calendar: WorkingCalendar, working: Working) -> datetime:
    """`at` itself (in UTC) when it is in working hours on a working day, else the next start of working hours.

    Working hours run from `reminder_window_start` up to, not including, `reminder_window_end`: a reminder
    missed at 2am goes at 9am, one at 5pm the next working morning.
    """
    local = calendar.to_local(at)
    day, clock = local.date(), local.time()
    start, end = working.reminder_window_start, working.reminder_window_end
    if calendar.is_working_day(day):
        if start <= clock < end:
            return at.astimezone(UTC)
        if clock < start:
            return calendar.to_utc(datetime.combine(day, start, tzinfo=calendar.zone))
    next_day = calendar.working_days_after(day, 1)
    return calendar.to_utc(datetime.combine(next_day, start, tzinfo=calendar.zone))


def _end_of(day: date, calendar: WorkingCalendar, working: Working) -> datetime:
    """The end of the working day on `day` (`Working.end_of_day`, local), in UTC."""
    return calendar.to_utc(datetime.combine(day, working.end_of_day, tzinfo=calendar.zone))


def _days_from(day: date, span: Span, calendar: WorkingCalendar, *, back: bool) -> date:
    """The date `span` (in days, working days or weeks) after `day`, or before it when `back`."""
    if span.unit is Unit.WORKING_DAYS:
        return calendar.working_days_before(day, span.amount) if back else calendar.working_days_after(day, span.amount)
    days = timedelta(days=span.amount * (7 if span.unit is Unit.WEEKS else 1))
    return day - days if back else day + days


def _after(base: datetime, span: Span, calendar: WorkingCalendar) -> datetime:
    """`span` after `base`: hours on the clock; days at the same local time (so across a clock change too)."""
    if span.unit is Unit.HOURS:
        return base + timedelta(hours=span.amount)
    local = calendar.to_local(base)
    day = _days_from(local.date(), span, calendar, back=False)
    return calendar.to_utc(datetime.combine(day, local.time(), tzinfo=calendar.zone))
