"""One running deadline of a case: a profile's rule started by a recorded fact, and where it stands now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.deadline_rules import Kind, Owner
from domain.working_days import WorkingCalendar


class DeadlineState(StrEnum):
    OPEN = "open"
    MET = "met"  # the fact that settles it was recorded
    NOT_POSSIBLE = "not_possible"  # Dorset: the joint visit could not happen in time, the reason told the family
    CANCELLED = "cancelled"  # the request ended (withdrawn, declined, closed) before it fell due


class Standing(StrEnum):
    """How a deadline stands at a moment, as a card shows it (never by colour alone: in words)."""

    NOT_YET = "not_yet"  # an earliest date still ahead: the step may not happen before it
    DUE = "due"
    OVERDUE = "overdue"
    MET = "met"
    NOT_POSSIBLE = "not_possible"
    CANCELLED = "cancelled"


STANDING_WORDS: dict[Standing, str] = {
    Standing.NOT_YET: "Not before",
    Standing.DUE: "Due by",
    Standing.OVERDUE: "Overdue since",
    Standing.MET: "Met",
    Standing.NOT_POSSIBLE: "Not possible in time",
    Standing.CANCELLED: "No longer needed",
}


@dataclass(frozen=True)
class Extension:
    """More time agreed in supervision (Cheshire East's C&F assessment): by whom, why, and the old due time."""

    reason: str
    agreed_by: str
    previous_due_at: datetime


@dataclass(frozen=True)
class Deadline:
    id: int
    version: int
    tenant_id: str
    transfer_id: int
    case_reference: str
    rule_key: str
    title: str
    kind: Kind
    owner: Owner
    owner_object_id: str  # the person who owns it, when it is one person the bot knows
    started_at: datetime
    due_at: datetime
    state: DeadlineState = DeadlineState.OPEN
    settled_at: datetime | None = None
    snoozed_until: datetime | None = None
    extension: Extension | None = None
    note: str = ""  # why it was not possible, and that the family was told (Dorset)

    def standing(self, now: datetime) -> Standing:
        if self.state is DeadlineState.MET:
            return Standing.MET
        if self.state is DeadlineState.NOT_POSSIBLE:
            return Standing.NOT_POSSIBLE
        if self.state is DeadlineState.CANCELLED:
            return Standing.CANCELLED
        if self.kind is Kind.EARLIEST:
            return Standing.NOT_YET if now < self.due_at else Standing.MET
        return Standing.OVERDUE if now > self.due_at else Standing.DUE

    @property
    def open(self) -> bool:
        return self.state is DeadlineState.OPEN


def standing_line(deadline: Deadline, now: datetime, calendar: WorkingCalendar) -> str:
    """ "Due by Thursday 9 April 2026, 5pm" / "Overdue since ..." / "Met on ..." for a card."""
    standing = deadline.standing(now)
    if standing in (Standing.DUE, Standing.OVERDUE, Standing.NOT_YET):
        return f"{STANDING_WORDS[standing]} {calendar.format_when(deadline.due_at)}"
    if standing is Standing.MET and deadline.settled_at is not None:
        met = f"Met on {calendar.format_when(deadline.settled_at)}"
        return f"{met}: {deadline.note.lower()}" if deadline.note else met
    if standing is Standing.MET:
        return f"Met: not before {calendar.format_when(deadline.due_at)}"
    return STANDING_WORDS[standing]


def soonest_first(deadlines: list[Deadline]) -> list[Deadline]:
    return sorted(deadlines, key=lambda d: (not d.open, d.due_at, d.id))
