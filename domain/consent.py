"""The family's consent as its own record per case: entries appended, the latest standing, and the checks on one.

Each entry says who gave, refused or withdrew it (their relationship to the child and initials), when, how
(in person, by phone, at the meeting) and what it covers (its scope); "not sought" says why seeking it would
increase the risk to the child and which manager agreed. Submitting a request records its first entry from the
form; later ones come from the request's card. A withdrawal pauses the request (Event.WITHDRAW_CONSENT) and
consent given again resumes it (Event.GIVE_CONSENT_AGAIN); the other entries leave it where it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.consent_rules import scope_problems
from domain.consent_terms import (
    GIVEN_STATUSES,
    METHOD_TITLES,
    SCOPE_SHORT,
    ConsentMethod,
    ConsentScope,
    ConsentStatus,
    method_of,
)
from domain.profiles import PolicyProfile
from domain.roles import Person
from domain.transfer_access import access_refusal, doing, granted
from domain.transfer_events import EVENTS, Relation
from domain.transfer_machine import PAUSABLE, Event, State
from domain.transfer_record import NAME_MAX, ConsentNote, Transfer
from domain.transfers import TransferDetails
from domain.working_days import format_date

RISK_REASON_MAX = 500
_INITIALS = r"^[A-Za-z.]*$"
# The statuses that name the family member who gave, refused or withdrew it, how and when.
WHO_STATUSES = frozenset(
    {ConsentStatus.GIVEN, ConsentStatus.GIVEN_AGAIN, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN}
)
# The events an entry moves the request by; the other statuses leave it where it stands.
STATUS_EVENTS: dict[ConsentStatus, Event] = {
    ConsentStatus.WITHDRAWN: Event.WITHDRAW_CONSENT,
    ConsentStatus.GIVEN_AGAIN: Event.GIVE_CONSENT_AGAIN,
}
_VERBS: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "given",
    ConsentStatus.GIVEN_AGAIN: "given again",
    ConsentStatus.REFUSED: "refused",
    ConsentStatus.WITHDRAWN: "withdrawn",
    ConsentStatus.NOT_SOUGHT_RISK: "not sought",
}

_WHO_VERBS: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "gave",
    ConsentStatus.GIVEN_AGAIN: "gave",
    ConsentStatus.REFUSED: "refused",
    ConsentStatus.WITHDRAWN: "withdrew",
}


class ConsentEntry(BaseModel):
    """One entry of a case's consent record, as the form sends it and the consents table keeps it."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)

    status: ConsentStatus
    on: date
    relationship: str = Field("", max_length=40)
    initials: str = Field("", max_length=8, pattern=_INITIALS)
    method: ConsentMethod | None = None
    scopes: tuple[ConsentScope, ...] = Field((), max_length=len(ConsentScope))
    risk_reason: str = Field("", max_length=RISK_REASON_MAX)
    agreed_by: str = Field("", max_length=NAME_MAX)

    def note(self, entry: int) -> ConsentNote:
        """What the request's card shows of it (never the reason consent was not sought)."""
        return ConsentNote(
            status=self.status,
            on=self.on,
            relationship=self.relationship,
            initials=self.initials,
            method=self.method,
            scopes=self.scopes,
            agreed_by=self.agreed_by,
            entry=entry,
        )


@dataclass(frozen=True)
class ConsentRecord:
    """One stored entry: the case's nth, who recorded it and when."""

    transfer_id: int
    case_reference: str
    entry: int
    consent: ConsentEntry
    recorded_by_name: str
    recorded_by_object_id: str
    recorded_at: datetime

    @property
    def note(self) -> ConsentNote:
        return self.consent.note(self.entry)


def first_entry(details: TransferDetails, today: date) -> ConsentEntry:
    """The case's first entry, from the request form's consent answers (already checked by request_problems)."""
    consent = details.consent
    return ConsentEntry(
        status=consent.status,
        on=consent.on or today,
        relationship=consent.relationship,
        initials=consent.initials,
        method=method_of(consent.how),
        # Only consent given covers anything: a refusal's or a "not sought"'s ticks mean nothing.
        scopes=tuple(s for s in ConsentScope if s in consent.scopes) if consent.status in GIVEN_STATUSES else (),
        risk_reason=consent.risk_reason,
        agreed_by=consent.agreed_by,
    )


def current_consent(transfer: Transfer) -> ConsentNote | None:
    """The consent that stands on this request: its record's latest entry, or, for a request sent before the
    record existed (migration 0010), what its form said."""
    if transfer.decision.consent is not None:
        return transfer.decision.consent
    submitted = transfer.submitted_at or transfer.created_at
    on = transfer.details.consent.on or (submitted.date() if submitted is not None else None)
    return first_entry(transfer.details, on).note(1) if on is not None else None


def as_recorded(status: ConsentStatus, current: ConsentNote | None) -> ConsentStatus:
    """Consent given after a withdrawal is consent given again (it resumes the request)."""
    if status is ConsentStatus.GIVEN and current is not None and current.status is ConsentStatus.WITHDRAWN:
        return ConsentStatus.GIVEN_AGAIN
    return status


def statuses_offered(transfer: Transfer) -> list[ConsentStatus]:
    """What the card may record now: withdrawn only while consent stands, given again while paused for it."""
    if transfer.state is State.PAUSED:
        return [ConsentStatus.GIVEN_AGAIN, ConsentStatus.REFUSED]
    if transfer.state not in PAUSABLE:
        return []
    current = current_consent(transfer)
    offered = [ConsentStatus.GIVEN, ConsentStatus.REFUSED]
    if current is not None and current.status in GIVEN_STATUSES:
        offered.append(ConsentStatus.WITHDRAWN)
    offered.append(ConsentStatus.NOT_SOUGHT_RISK)
    return offered


def record_refusal(
    transfer: Transfer, person: Person, relations: frozenset[Relation], profile: PolicyProfile
) -> str | None:
    """Why this person may not record the family's consent on this request now, or None.

    The people who may pause it for consent may record any entry: the requester's side, the receiving side,
    the holders and the chair of its meeting.
    """
    rule = EVENTS[Event.WITHDRAW_CONSENT]
    if not granted(rule, person, relations, transfer, profile):
        return access_refusal(rule, transfer, profile).replace(doing(rule.event), "record the family's consent")
    if not statuses_offered(transfer):
        return "This request is no longer open, so its consent record is kept as it stands."
    return None


def entry_problems(entry: ConsentEntry, transfer: Transfer, profile: PolicyProfile, today: date) -> list[str]:
    """What is wrong with this entry for this request now, in the words the form shows; empty when it may stand."""
    status = entry.status
    problems: list[str] = []
    if status not in statuses_offered(transfer):
        if status is ConsentStatus.WITHDRAWN:
            problems.append("There is no consent given on this request to withdraw.")
        elif transfer.state is State.PAUSED:
            problems.append("The request is paused for consent: record consent given again, or a refusal.")
        else:
            problems.append("That can't be recorded on this request as it stands.")
    current = current_consent(transfer)
    if entry.on > today:
        problems.append(f"The date consent was {_VERBS[status]} can't be in the future.")
    elif current is not None and entry.on < current.on:
        # Entries are appended in order and the latest stands: it can't be older than the one it follows.
        problems.append(f"The date can't be before the consent recorded now ({format_date(current.on)}).")
    if status in WHO_STATUSES:
        if len(entry.relationship) < 2 or not entry.initials:
            verb = _WHO_VERBS[status]
            problems.append(f"Say who {verb} it: their relationship to the child and their initials.")
        if entry.method is None:
            problems.append("Choose how: in person, by phone or at the meeting.")
    if status in GIVEN_STATUSES and not entry.scopes:
        problems.append("Tick what the family consented to.")
    if status is ConsentStatus.NOT_SOUGHT_RISK:
        if len(entry.risk_reason) < 3:
            problems.append("Say why seeking consent would increase the risk to the child.")
        if len(entry.agreed_by) < 2:
            problems.append("Name the manager who agreed not to seek consent.")
    if status in GIVEN_STATUSES or status is ConsentStatus.NOT_SOUGHT_RISK:
        problems += scope_problems(transfer.direction, status, entry.scopes, profile)
    return problems


def consent_line(note: ConsentNote, *, initials: bool = True) -> str:
    """The current consent in one line ("Given by mother (A.B.) in person on Tuesday 24 November 2026; scope:
    sharing information, early help offer"); `initials` False leaves the person's initials out."""
    status = note.status
    if status is ConsentStatus.NOT_SOUGHT_RISK:
        agreed = f"; agreed by {note.agreed_by}" if note.agreed_by else ""
        return f"Not sought on {format_date(note.on)}: seeking it would increase the risk to the child{agreed}"
    words = _VERBS[status].capitalize()
    if note.relationship:
        words += f" by {note.relationship.lower()}"
        if initials and note.initials:
            words += f" ({note.initials})"
    if note.method is not None:
        words += f" {METHOD_TITLES[note.method]}"
    words += f" on {format_date(note.on)}"
    if note.scopes and status in GIVEN_STATUSES:
        words += "; scope: " + ", ".join(SCOPE_SHORT[s] for s in ConsentScope if s in note.scopes)
    return words
