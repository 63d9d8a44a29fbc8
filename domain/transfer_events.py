"""What each transfer event means, in one table beside the transitions: who may raise it, its form, its effects.

Access is a role **and** a relationship to this case (DESIGN.md, "Who may see and act on a case"). Each
event names the (relationship, roles) pairs that may raise it; `decides` events are never raised by the
requester (separation of duties); `allocates` events name the receiving team and worker; `tells` says who
hears of it; `records` says which facts it records (and `step_up_records` which more on a step up): the
deadlines engine starts and settles the profile's clocks from those facts (domain/deadline_rules.py). Cards,
dialogs and effects read this table; nothing else keeps a list of events.

The receiving side is the people on the roster of the channel the request was sent to who hold a role that
decides this direction (`deciding_roles`): the front door decides step ups only, the early help coordinators
step downs, the receiving managers or coordinators a step across or co-work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.case_roles import ASKERS, CASE_ROLES, CHAIRS, DECIDERS, ESCALATION_ROLES, LINE_MANAGERS
from domain.deadline_rules import Fact
from domain.directions import Direction
from domain.roles import Role
from domain.transfer_machine import Event


class Relation(StrEnum):
    """How a person stands to one case."""

    REQUESTER = "requester"
    REQUESTERS_MANAGER = "requesters_manager"
    RECEIVING_SIDE = "receiving_side"
    ALLOCATED_WORKER = "allocated_worker"
    ALLOCATED_WORKERS_MANAGER = "allocated_workers_manager"
    PREVIOUS_WORKER = "previous_worker"
    CHAIR = "chair"
    ESCALATION = "escalation"
    # Holds the role the request's route names to authorise it (domain.profiles.RouteRule.authorised_by).
    AUTHORISER = "authoriser"


class Form(StrEnum):
    """What the person fills in before the event happens."""

    CONFIRM = "confirm"  # nothing to fill in; the button asks once more where the card says so
    ALLOCATION = "allocation"
    REASON = "reason"
    INFORMATION_ASKED = "information_asked"
    INFORMATION_ADDED = "information_added"
    GAPS = "gaps"
    JOINT_VISIT = "joint_visit"  # when, and how: in person, or a virtual introduction where the profile allows
    WHAT_HAPPENED = "what_happened"  # which fact a clock hangs on, and its date
    NOT_POSSIBLE = "not_possible"  # why, and that it was explained to the family (Dorset)
    OUTCOME = "outcome"  # a meeting's outcome: the meeting, the decision and what it carries (domain/outcomes.py)
    NAME_WORKER = "name_worker"  # the practitioner of an allocation made "to be named"
    CONSENT = "consent"  # the family's consent: who, when, how, its scope (domain/consent.py), never a bare confirm


class Party(StrEnum):
    """Who hears of an event, beyond the card updated for everyone in its channel."""

    REQUESTER = "requester"
    REQUESTERS_MANAGER = "requesters_manager"
    ALLOCATED_WORKER = "allocated_worker"


@dataclass(frozen=True)
class Grant:
    """People in `relation` to the case who hold one of `roles` may raise the event."""

    relation: Relation
    roles: frozenset[Role]


@dataclass(frozen=True)
class EventRule:
    event: Event
    form: Form
    grants: tuple[Grant, ...]
    decides: bool = False
    allocates: bool = False
    # The directions it applies to; None: every direction.
    directions: frozenset[Direction] | None = None
    # A meeting's outcome: only for a request that is on a meeting (see transfer_access.on_meeting).
    meeting_outcome: bool = False
    # The receiving side's own accept or decline, withheld where the profile's meeting decides (not step ups).
    withheld_where_meeting_decides: bool = False
    tells: frozenset[Party] = frozenset()
    records: frozenset[Fact] = frozenset()
    step_up_records: frozenset[Fact] = frozenset()


_STEP_UP = frozenset({Direction.STEP_UP})

_REQUESTER_SIDE = (
    Grant(Relation.REQUESTER, ASKERS),
    Grant(Relation.REQUESTERS_MANAGER, LINE_MANAGERS),
)
_RECEIVING = Grant(Relation.RECEIVING_SIDE, DECIDERS)
_FRONT_DOOR = Grant(Relation.RECEIVING_SIDE, frozenset({Role.FRONT_DOOR}))
_CHAIR = Grant(Relation.CHAIR, CHAIRS)
# A meeting's outcome is recorded by its chair, or by the coordinators who run it (Redcar's clinic).
_MEETING_RECORDERS = (_CHAIR, Grant(Relation.RECEIVING_SIDE, frozenset({Role.COORDINATOR})))
_ESCALATION = Grant(Relation.ESCALATION, ESCALATION_ROLES)
_HOLDERS = (
    Grant(Relation.ALLOCATED_WORKER, CASE_ROLES),
    Grant(Relation.ALLOCATED_WORKERS_MANAGER, LINE_MANAGERS),
)
_EITHER_SIDE = (*_REQUESTER_SIDE, _RECEIVING, *_HOLDERS)
_ANYONE_ON_THE_CASE = (*_EITHER_SIDE, _CHAIR)

_F = Fact
_FRONT_DOOR_DECIDED = frozenset({_F.FRONT_DOOR_DECIDED})
_ALLOCATED = frozenset({_F.ALLOCATED})
# Social care taking a stepped-up case: the early help lead person stays involved from then (Cheshire East).
_TAKEN_UP = frozenset({_F.LEAD_PERSON_INVOLVED})
_MEETING = frozenset({_F.MEETING_HELD, _F.OUTCOME_RECORDED, _F.OUTCOME_TOLD})  # the bot tells the requester at once
_TELL_REQUESTER = frozenset({Party.REQUESTER})
_TELL_BOTH = frozenset({Party.REQUESTER, Party.ALLOCATED_WORKER})
# A meeting's outcome: the social worker, their manager and the allocated worker hear it in personal chat.
_TELL_OUTCOME = frozenset({Party.REQUESTER, Party.REQUESTERS_MANAGER, Party.ALLOCATED_WORKER})


def _rule(
    event: Event,
    form: Form,
    *grants: Grant,
    decides: bool = False,
    allocates: bool = False,
    directions: frozenset[Direction] | None = None,
    meeting_outcome: bool = False,
    withheld_where_meeting_decides: bool = False,
    tells: frozenset[Party] = frozenset(),
    records: frozenset[Fact] = frozenset(),
    step_up_records: frozenset[Fact] = frozenset(),
) -> EventRule:
    return EventRule(
        event=event,
        form=form,
        grants=grants,
        decides=decides,
        allocates=allocates,
        directions=directions,
        meeting_outcome=meeting_outcome,
        withheld_where_meeting_decides=withheld_where_meeting_decides,
        tells=tells,
        records=records,
        step_up_records=step_up_records,
    )


EVENTS: dict[Event, EventRule] = {
    rule.event: rule
    for rule in (
        _rule(
            Event.SUBMIT,
            Form.CONFIRM,
            Grant(Relation.REQUESTER, ASKERS),
            records=frozenset({_F.DECISION_IN_SUPERVISION, _F.REQUEST_SUBMITTED}),
            step_up_records=frozenset({_F.REFERRAL_SUBMITTED}),
        ),
        _rule(Event.SCHEDULE, Form.CONFIRM, _RECEIVING, _CHAIR, tells=_TELL_REQUESTER),
        _rule(
            Event.MARK_GAPS,
            Form.GAPS,
            _RECEIVING,
            decides=True,
            tells=_TELL_REQUESTER,
            records=frozenset({_F.READINESS_GAPS_MARKED}),
        ),
        _rule(
            Event.RESOLVE_GAPS,
            Form.CONFIRM,
            _RECEIVING,
            _ESCALATION,
            decides=True,
            tells=_TELL_REQUESTER,
            records=frozenset({_F.READINESS_GAPS_RESOLVED}),
        ),
        _rule(
            Event.ACCEPT,
            Form.ALLOCATION,
            _RECEIVING,
            decides=True,
            allocates=True,
            withheld_where_meeting_decides=True,
            tells=_TELL_BOTH,
            records=_ALLOCATED,
            step_up_records=_FRONT_DOOR_DECIDED | _TAKEN_UP,
        ),
        _rule(
            Event.THRESHOLD_MET,
            Form.ALLOCATION,
            _FRONT_DOOR,
            decides=True,
            allocates=True,
            directions=_STEP_UP,
            tells=_TELL_BOTH,
            records=_FRONT_DOOR_DECIDED | _ALLOCATED | _TAKEN_UP,
        ),
        _rule(
            Event.OUTCOME_AGREED,
            Form.OUTCOME,
            *_MEETING_RECORDERS,
            decides=True,
            allocates=True,
            meeting_outcome=True,
            tells=_TELL_OUTCOME,
            records=_MEETING | _ALLOCATED | {_F.MEETING_AGREED},
            step_up_records=_TAKEN_UP,
        ),
        _rule(
            Event.DECLINE,
            Form.REASON,
            _RECEIVING,
            decides=True,
            withheld_where_meeting_decides=True,
            tells=_TELL_REQUESTER,
            records=frozenset({_F.DECLINED}),
            step_up_records=_FRONT_DOOR_DECIDED,
        ),
        _rule(
            Event.ROUTE_TO_EARLY_HELP,
            Form.REASON,
            _FRONT_DOOR,
            decides=True,
            directions=_STEP_UP,
            tells=_TELL_REQUESTER,
            records=_FRONT_DOOR_DECIDED | {_F.DECLINED},
        ),
        _rule(
            Event.NO_FURTHER_ACTION,
            Form.REASON,
            _FRONT_DOOR,
            decides=True,
            directions=_STEP_UP,
            tells=_TELL_REQUESTER,
            records=_FRONT_DOOR_DECIDED | {_F.DECLINED},
        ),
        _rule(
            Event.OUTCOME_NOT_AGREED,
            Form.OUTCOME,
            *_MEETING_RECORDERS,
            decides=True,
            meeting_outcome=True,
            tells=_TELL_OUTCOME,
            records=_MEETING | {_F.DECLINED},
        ),
        _rule(
            Event.OUTCOME_DEFERRED,
            Form.OUTCOME,
            *_MEETING_RECORDERS,
            decides=True,
            meeting_outcome=True,
            tells=_TELL_OUTCOME,
            records=_MEETING,
        ),
        _rule(
            Event.REFER_EXTERNALLY,
            Form.OUTCOME,
            *_MEETING_RECORDERS,
            decides=True,
            meeting_outcome=True,
            tells=_TELL_OUTCOME,
            records=_MEETING | {_F.REFERRED_EXTERNALLY},
        ),
        _rule(
            Event.ASK_FOR_INFORMATION,
            Form.INFORMATION_ASKED,
            _RECEIVING,
            decides=True,
            tells=_TELL_REQUESTER,
        ),
        _rule(
            Event.MORE_INFORMATION_NEEDED,
            Form.OUTCOME,
            *_MEETING_RECORDERS,
            decides=True,
            meeting_outcome=True,
            tells=_TELL_OUTCOME,
            records=_MEETING,
        ),
        _rule(
            Event.RESUBMIT,
            Form.INFORMATION_ADDED,
            *_REQUESTER_SIDE,
            records=frozenset({_F.REQUEST_SUBMITTED}),
            step_up_records=frozenset({_F.REFERRAL_SUBMITTED}),
        ),
        _rule(Event.START_CO_WORKING, Form.CONFIRM, *_EITHER_SIDE),
        # Dorset: "each child should have a named allocated practitioner at all times".
        _rule(
            Event.NAME_WORKER,
            Form.NAME_WORKER,
            _RECEIVING,
            _CHAIR,
            Grant(Relation.ALLOCATED_WORKERS_MANAGER, LINE_MANAGERS),
            tells=_TELL_BOTH,
            records=frozenset({_F.WORKER_NAMED}),
        ),
        _rule(Event.RECORD_JOINT_VISIT, Form.JOINT_VISIT, *_EITHER_SIDE, records=frozenset({_F.JOINT_VISIT_DONE})),
        _rule(
            Event.JOINT_VISIT_NOT_POSSIBLE,
            Form.NOT_POSSIBLE,
            *_EITHER_SIDE,
            records=frozenset({_F.JOINT_VISIT_NOT_POSSIBLE}),
        ),
        # Which fact, and so which of these, comes from the form (domain/transfer_facts.py).
        _rule(Event.RECORD_WHAT_HAPPENED, Form.WHAT_HAPPENED, *_ANYONE_ON_THE_CASE),
        _rule(
            Event.COMPLETE_TRANSFER,
            Form.CONFIRM,
            _RECEIVING,
            Grant(Relation.ALLOCATED_WORKERS_MANAGER, LINE_MANAGERS),
            tells=_TELL_REQUESTER,
            records=frozenset({_F.TRANSFER_COMPLETED, _F.LEAD_PERSON_ENDED}),
        ),
        _rule(
            Event.CLOSE,
            Form.CONFIRM,
            _RECEIVING,
            Grant(Relation.ALLOCATED_WORKERS_MANAGER, LINE_MANAGERS),
            records=frozenset({_F.CLOSED}),
            step_up_records=frozenset({_F.EARLY_HELP_CLOSED}),
        ),
        # The route's authorisation before acceptance (Redcar: the MACH manager; Cheshire East: the meeting).
        _rule(
            Event.AUTHORISE,
            Form.CONFIRM,
            Grant(Relation.AUTHORISER, frozenset({Role.FRONT_DOOR, Role.MEETING_CHAIR})),
            decides=True,
            tells=_TELL_REQUESTER,
        ),
        # The consent record's entries (dialogs/consent.py) tell the worker and the receiving side themselves.
        _rule(Event.WITHDRAW_CONSENT, Form.CONSENT, *_ANYONE_ON_THE_CASE),
        _rule(Event.GIVE_CONSENT_AGAIN, Form.CONSENT, *_ANYONE_ON_THE_CASE),
        _rule(
            Event.WITHDRAW,
            Form.CONFIRM,
            *_REQUESTER_SIDE,
            tells=frozenset({Party.ALLOCATED_WORKER}),
            records=frozenset({_F.WITHDRAWN}),
        ),
    )
}

# The order buttons appear in: the usual next step first, the ending ones last.
BUTTON_ORDER: tuple[Event, ...] = (
    Event.AUTHORISE,
    Event.ACCEPT,
    Event.THRESHOLD_MET,
    Event.OUTCOME_AGREED,
    Event.NAME_WORKER,
    Event.RESUBMIT,
    Event.RECORD_JOINT_VISIT,
    Event.RECORD_WHAT_HAPPENED,
    Event.START_CO_WORKING,
    Event.COMPLETE_TRANSFER,
    Event.CLOSE,
    Event.SCHEDULE,
    Event.MARK_GAPS,
    Event.RESOLVE_GAPS,
    Event.ASK_FOR_INFORMATION,
    Event.MORE_INFORMATION_NEEDED,
    Event.OUTCOME_DEFERRED,
    Event.REFER_EXTERNALLY,
    Event.ROUTE_TO_EARLY_HELP,
    Event.DECLINE,
    Event.OUTCOME_NOT_AGREED,
    Event.NO_FURTHER_ACTION,
    Event.GIVE_CONSENT_AGAIN,
    Event.JOINT_VISIT_NOT_POSSIBLE,
    Event.WITHDRAW_CONSENT,
    Event.WITHDRAW,
    Event.SUBMIT,
)
