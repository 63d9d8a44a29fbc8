"""Clinic bookings: their states, the details a social worker gives, and the rules on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.directions import CLINIC_DIRECTIONS, DIRECTION_TITLES, Direction
from domain.profiles import PolicyProfile

REASON_MAX = 500
TEAM_MAX = 80


class BookingStatus(StrEnum):
    HELD = "held"  # a freed slot held for the next social worker on the waiting list
    BOOKED = "booked"
    CANCELLED = "cancelled"
    MOVED = "moved"
    DISCUSSED = "discussed"
    DID_NOT_ATTEND = "did_not_attend"
    CLINIC_CANCELLED = "clinic_cancelled"


ACTIVE = frozenset({BookingStatus.HELD, BookingStatus.BOOKED})


class WaitStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class EndReason(StrEnum):
    """Why a booking (or a seat held for the waiting list) ends."""

    CANCELLED = "cancelled"  # by the social worker
    MOVED = "moved"  # the old booking of a move, once the new one is confirmed
    OFFER_DECLINED = "offer_declined"
    HOLD_EXPIRED = "hold_expired"
    CLINIC_CANCELLED = "clinic_cancelled"  # by the coordinators


@dataclass(frozen=True)
class Ending:
    """What one way of ending a booking means: from which states, to which, its audit event, and what becomes of
    the waiting-list entry when the booking was a seat held for it (None: the entry is left as it is)."""

    ends: frozenset[BookingStatus]
    status: BookingStatus
    audit: str
    entry: WaitStatus | None


_HELD = frozenset({BookingStatus.HELD})

ENDINGS: dict[EndReason, Ending] = {
    EndReason.CANCELLED: Ending(ACTIVE, BookingStatus.CANCELLED, "booking.cancelled", WaitStatus.WITHDRAWN),
    EndReason.MOVED: Ending(ACTIVE, BookingStatus.MOVED, "booking.moved", WaitStatus.WITHDRAWN),
    EndReason.OFFER_DECLINED: Ending(_HELD, BookingStatus.CANCELLED, "booking.offer_declined", WaitStatus.WITHDRAWN),
    EndReason.HOLD_EXPIRED: Ending(_HELD, BookingStatus.CANCELLED, "booking.hold_expired", WaitStatus.EXPIRED),
    # The person waiting did nothing wrong: back in the queue, in their place, for the next seat that frees.
    EndReason.CLINIC_CANCELLED: Ending(
        ACTIVE, BookingStatus.CLINIC_CANCELLED, "booking.clinic_cancelled", WaitStatus.WAITING
    ),
}


class BookingDetails(BaseModel):
    """What the social worker tells the clinic about the case; validated before anything is written."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True)

    case_reference: str = Field(min_length=3, max_length=32)
    team: str = Field(min_length=2, max_length=TEAM_MAX)
    direction: Direction = Direction.STEP_DOWN_EARLY_HELP
    decision_date: date
    reason: str = Field(min_length=3, max_length=REASON_MAX)
    manager_agreed: bool

    @field_validator("case_reference")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not value.isascii():
            raise ValueError("a case reference is written in plain letters and digits")
        return value.upper()

    @field_validator("direction")
    @classmethod
    def _clinic_direction(cls, value: Direction) -> Direction:
        if value not in CLINIC_DIRECTIONS:
            raise ValueError("the clinic takes step downs only")
        return value


def clinic_directions(profile: PolicyProfile) -> tuple[Direction, ...]:
    """The step downs this authority's clinic offers: only the directions its profile has (Redcar: no step down to
    universal services)."""
    return tuple(d for d in CLINIC_DIRECTIONS if profile.transfers.offers(d))


def details_problems(
    details: BookingDetails,
    *,
    reference_pattern: str,
    today: date,
    directions: tuple[Direction, ...] = CLINIC_DIRECTIONS,
) -> list[str]:
    """Rules that need the profile or the date: the reference's shape, the decision not in the future, the
    direction one the profile's clinic offers."""
    problems: list[str] = []
    if details.direction not in directions:
        offered = " or ".join(DIRECTION_TITLES[d].lower() for d in directions) or "nothing"
        problems.append(f"The clinic takes a {offered} only.")
    if not (details.case_reference.isascii() and re.fullmatch(reference_pattern, details.case_reference, re.ASCII)):
        problems.append("The case reference is not in the expected form (for example DEMO-0001).")
    if details.decision_date > today:
        problems.append("The date of the decision with your manager can't be in the future.")
    if not details.manager_agreed:
        problems.append("The step down needs your team manager's agreement before you book.")
    return problems


@dataclass(frozen=True)
class Slot:
    """A bookable slot as stored: its seats and how many are taken."""

    id: int
    clinic_date: date
    index: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


@dataclass(frozen=True)
class Booking:
    id: int
    slot_id: int
    clinic_date: date
    starts_at: datetime
    ends_at: datetime
    tenant_id: str
    worker_object_id: str
    worker_name: str
    case_reference: str
    team: str
    direction: Direction
    decision_date: date
    reason: str
    manager_agreed: bool
    status: BookingStatus
    version: int
    calendar_event_id: str = ""
    hold_expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def hold_has_run_out(self, now: datetime) -> bool:
        """A seat held for the waiting list whose time to accept has passed (whether or not the job has run)."""
        return self.status is BookingStatus.HELD and self.hold_expires_at is not None and now >= self.hold_expires_at

    def details(self) -> BookingDetails:
        """What the social worker gave when booking (to prefill a move or the transfer request)."""
        return BookingDetails(
            case_reference=self.case_reference,
            team=self.team,
            direction=self.direction,
            decision_date=self.decision_date,
            reason=self.reason,
            manager_agreed=self.manager_agreed,
        )


@dataclass(frozen=True)
class WaitlistEntry:
    id: int
    clinic_date: date | None  # None: the earliest clinic with a free slot
    tenant_id: str
    worker_object_id: str
    worker_name: str
    details: BookingDetails
    status: WaitStatus
    created_at: datetime
