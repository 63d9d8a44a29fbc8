"""What each transfer event's form sends, as typed inputs (the event table says which form an event has)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from domain.consent_terms import ConsentStatus
from domain.deadline_rules import Fact
from domain.outcomes import Outcome
from domain.transfer_events import Form
from domain.transfer_machine import Event
from domain.transfer_record import NAME_MAX, ConsentNote
from domain.transfers import REASON_MAX


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


class NoInput(_Input):
    """A button that needs nothing filled in."""


class AllocationInput(_Input):
    team: str = Field(max_length=NAME_MAX)
    worker_name: str = Field("", max_length=NAME_MAX)
    allocate_to_me: bool = False
    joint_visit_on: date | None = None
    reason: str = Field("", max_length=300)


class ReasonInput(_Input):
    reason: str = Field(max_length=300)
    note: str = Field("", max_length=300)


class NoteInput(_Input):
    """What information is needed, or what the requester added."""

    note: str = Field(max_length=REASON_MAX)


class GapsInput(_Input):
    gaps: tuple[str, ...] = Field((), max_length=40)


class JointVisitInput(_Input):
    on: date
    virtual: bool = False


class WhatHappenedInput(_Input):
    fact: Fact
    on: date


class NotPossibleInput(_Input):
    reason: str = Field(max_length=300)
    explained_to_family: bool = False


class OutcomeInput(_Input):
    """A meeting's outcome, and the version it will be stored as (the dialog counts the versions before it)."""

    outcome: Outcome
    version: int = Field(ge=1)


class NameWorkerInput(_Input):
    worker_name: str = Field("", max_length=NAME_MAX)
    allocate_to_me: bool = False


class ConsentInput(_Input):
    """A consent entry that moves the request (withdrawn, given again), as the card will show it; the dialog
    checks the whole entry (domain/consent.py) and stores it in the consent record."""

    consent: ConsentNote


Inputs = (
    NoInput
    | AllocationInput
    | ReasonInput
    | NoteInput
    | GapsInput
    | JointVisitInput
    | WhatHappenedInput
    | NotPossibleInput
    | OutcomeInput
    | NameWorkerInput
    | ConsentInput
)

FORM_INPUTS: dict[Form, type[_Input]] = {
    Form.CONFIRM: NoInput,
    Form.ALLOCATION: AllocationInput,
    Form.REASON: ReasonInput,
    Form.INFORMATION_ASKED: NoteInput,
    Form.INFORMATION_ADDED: NoteInput,
    Form.GAPS: GapsInput,
    Form.JOINT_VISIT: JointVisitInput,
    Form.WHAT_HAPPENED: WhatHappenedInput,
    Form.NOT_POSSIBLE: NotPossibleInput,
    Form.OUTCOME: OutcomeInput,
    Form.NAME_WORKER: NameWorkerInput,
    Form.CONSENT: ConsentInput,
}

# The consent entry each consent event records.
CONSENT_EVENTS: dict[Event, ConsentStatus] = {
    Event.WITHDRAW_CONSENT: ConsentStatus.WITHDRAWN,
    Event.GIVE_CONSENT_AGAIN: ConsentStatus.GIVEN_AGAIN,
}
