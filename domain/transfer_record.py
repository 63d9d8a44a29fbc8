"""A stored transfer request as one typed aggregate: the request as submitted, where it stands, what was decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.consent_terms import ConsentMethod, ConsentScope, ConsentStatus
from domain.deadline_rules import Fact
from domain.directions import Direction
from domain.outcome_terms import MeetingKind, OutcomeDecision
from domain.roles import Role
from domain.transfer_machine import OPEN_STATES, Event, State
from domain.transfers import REASON_MAX, Route, TransferDetails

NAME_MAX = 80
OBJECT_ID_MAX = 64


class _Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Allocation(_Decision):
    """Accepted and allocated (accept, threshold met, outcome agreed): the team, the worker if named, the visit."""

    team: str = Field(max_length=NAME_MAX)
    worker_name: str = Field("", max_length=NAME_MAX)
    worker_object_id: str = Field("", max_length=OBJECT_ID_MAX, description="empty when named by name only")
    joint_visit_on: date | None = None
    reason: str = Field("", max_length=300, description="threshold met: why, in the front door's words")


class Decline(_Decision):
    """Declined (decline, route to early help, no further action, outcome not agreed): the profile's reason."""

    reason: str = Field(max_length=300)
    note: str = Field("", max_length=300)


class InformationAsked(_Decision):
    """Returned for information (ask for information, more information needed): what is missing."""

    asked: str = Field(max_length=REASON_MAX)


class InformationAdded(_Decision):
    """Resubmitted: what the requester added."""

    added: str = Field(max_length=REASON_MAX)


class PreviousWorker(_Decision):
    """York: a step up soon after a step down returns to the social worker who stepped the case down."""

    name: str = Field(max_length=NAME_MAX)
    object_id: str = Field(max_length=OBJECT_ID_MAX)


class JointVisit(_Decision):
    """The joint (handover) visit: when, and whether as a virtual introduction where the profile allows it."""

    on: date
    virtual: bool = False


class NotPossible(_Decision):
    """Dorset: the joint visit could not happen in time; why, and that it was explained to the family."""

    reason: str = Field(max_length=300)
    explained_to_family: bool


class Happened(_Decision):
    """A fact a clock hangs on, recorded from the card with the date it happened (an assessment completed)."""

    fact: Fact
    on: date
    by_name: str = Field("", max_length=NAME_MAX)


class ExternalReferral(_Decision):
    """Handed to an external agency (Redcar: the social worker completes that service's own referral form)."""

    agency: str = Field(max_length=NAME_MAX)


class OutcomeNote(_Decision):
    """The latest meeting outcome, as the card shows it; every version is kept in the outcomes table."""

    decision: OutcomeDecision
    meeting_kind: MeetingKind
    meeting_on: date
    version: int = Field(ge=1)
    corrected: bool = False
    deferred_to: date | None = None
    # The final Child in Need or handover meeting's date falls outside the profile's window.
    final_meeting_outside_window: bool = False


class DisputeNote(_Decision):
    """The latest dispute about a decision on this request, as the card shows it."""

    dispute_id: int = Field(ge=1)
    open: bool
    raised_on: date
    raised_by_name: str = Field("", max_length=NAME_MAX)
    settlement: str = Field("", max_length=24)


class ConsentNote(_Decision):
    """The family's current consent, as the cards show it; every entry is kept in the consents table."""

    status: ConsentStatus
    on: date
    relationship: str = Field("", max_length=40)
    initials: str = Field("", max_length=8)
    method: ConsentMethod | None = None
    scopes: tuple[ConsentScope, ...] = Field((), max_length=len(ConsentScope))
    agreed_by: str = Field("", max_length=NAME_MAX)  # not sought: the manager who agreed
    entry: int = Field(1, ge=1, description="which entry of the case's consent record this is")


class Authorised(_Decision):
    """The route's authorisation before acceptance (Redcar: the MACH manager): who gave it, and when."""

    by_name: str = Field("", max_length=NAME_MAX)
    by_object_id: str = Field("", max_length=OBJECT_ID_MAX)
    at: datetime


class LastDecision(_Decision):
    """Who made the latest move, and which."""

    event: Event
    by_name: str = Field("", max_length=NAME_MAX)
    by_object_id: str = Field("", max_length=OBJECT_ID_MAX)


class Decisions(_Decision):
    """The latest decision of each kind; a kind not yet decided is None."""

    allocation: Allocation | None = None
    decline: Decline | None = None
    information_asked: InformationAsked | None = None
    information_added: InformationAdded | None = None
    previous_worker: PreviousWorker | None = None
    joint_visit: JointVisit | None = None
    not_possible: NotPossible | None = None
    happened: tuple[Happened, ...] = Field((), max_length=50)
    external: ExternalReferral | None = None
    outcome: OutcomeNote | None = None
    dispute: DisputeNote | None = None
    consent: ConsentNote | None = None
    authorised: Authorised | None = None
    last: LastDecision | None = None


@dataclass(frozen=True)
class Transfer:
    """One request to move a child's case, and where its life cycle stands."""

    id: int
    version: int
    state: State
    paused_from: State | None
    tenant_id: str
    requester_object_id: str
    requester_name: str
    details: TransferDetails
    receiving_channel: str
    channel_conversation_id: str = ""
    channel_activity_id: str = ""
    wording: str = ""
    decision: Decisions = field(default_factory=Decisions)
    gaps: tuple[str, ...] = ()
    accepted_at: datetime | None = None
    transferred_at: datetime | None = None
    escalated_to: Role | None = None
    last_actor_name: str = ""
    submitted_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def case_reference(self) -> str:
        return self.details.case_reference

    @property
    def direction(self) -> Direction:
        return self.details.direction

    @property
    def from_team(self) -> str:
        return self.details.from_team

    @property
    def to_service(self) -> str:
        return self.details.to_service

    @property
    def route(self) -> Route:
        return self.details.route

    @property
    def allocated_worker(self) -> str:
        allocation = self.decision.allocation
        return allocation.worker_name if allocation else ""

    @property
    def worker_object_id(self) -> str:
        allocation = self.decision.allocation
        return allocation.worker_object_id if allocation else ""

    @property
    def previous_worker_object_id(self) -> str:
        previous = self.decision.previous_worker
        return previous.object_id if previous else ""

    def requested_by(self, tenant_id: str, object_id: str) -> bool:
        return self.requester_object_id == object_id and self.tenant_id == tenant_id
