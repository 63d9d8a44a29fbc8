"""The managers' weekly digest: open requests per team, what falls due this week, what is overdue, who is unnamed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from domain.deadline_rules import Fact, Kind, Unit
from domain.deadlines import Deadline
from domain.profiles import PolicyProfile
from domain.transfer_record import Transfer
from domain.working_days import WorkingCalendar


@dataclass(frozen=True)
class DueItem:
    case_reference: str
    title: str
    due_at: datetime


@dataclass(frozen=True)
class Digest:
    week_starting: datetime
    open_by_team: tuple[tuple[str, int], ...]
    due_this_week: tuple[DueItem, ...]
    overdue: tuple[DueItem, ...]
    unnamed: tuple[str, ...]  # accepted with no named worker
    median_days: float | None  # from the decision in supervision to the transfer, over the recent ones
    transferred: int
    standard_days: int | None  # the profile's standard for it (Redcar: 28 days), where it has one


def whole_transfer_standard(profile: PolicyProfile) -> int | None:
    """The profile's days from the decision to the transfer's completion (Redcar's 28), if it sets one."""
    for rule in profile.deadlines:
        if (
            rule.starts_on is Fact.DECISION_IN_SUPERVISION
            and Fact.TRANSFER_COMPLETED in rule.stops_on
            and rule.kind is Kind.LATEST
            and rule.span.unit in (Unit.CALENDAR_DAYS, Unit.WEEKS)
        ):
            return rule.span.amount * (7 if rule.span.unit is Unit.WEEKS else 1)
    return None


def weekly_digest(
    open_transfers: Sequence[Transfer],
    open_deadlines: Sequence[Deadline],
    transferred: Sequence[Transfer],
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    now: datetime,
) -> Digest:
    """The figures for the week that starts now; `transferred` are the requests transferred lately."""
    week_end = now + timedelta(days=7)
    teams = Counter(t.decision.allocation.team if t.decision.allocation else t.to_service for t in open_transfers)
    running = sorted((d for d in open_deadlines if d.open and d.kind is not Kind.EARLIEST), key=lambda d: d.due_at)
    days = [
        (calendar.local_date(t.transferred_at) - t.details.manager.decided_on).days
        for t in transferred
        if t.transferred_at is not None
    ]
    return Digest(
        week_starting=now,
        open_by_team=tuple(sorted(teams.items(), key=lambda pair: (-pair[1], pair[0]))),
        due_this_week=tuple(
            DueItem(d.case_reference, d.title, d.due_at) for d in running if now <= d.due_at < week_end
        ),
        overdue=tuple(DueItem(d.case_reference, d.title, d.due_at) for d in running if d.due_at < now),
        unnamed=tuple(
            t.case_reference
            for t in open_transfers
            if t.decision.allocation is not None and not t.decision.allocation.worker_name and t.accepted_at
        ),
        median_days=float(median(days)) if days else None,
        transferred=len(days),
        standard_days=whole_transfer_standard(profile),
    )
