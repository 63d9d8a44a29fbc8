"""One pure decision per transfer event: the move, the decision recorded and who is told, or a refusal.

`decide(transfer, event, inputs, actor, relations, profile, now)` is the centre of the transfer code: a
dialog loads the record and the facts about the actor, calls it, saves what it returns and queues the
effects. The checks run in this order, so an outsider learns nothing about the request from the answer:
the event applies to this request at all; the actor may raise it (a role and a relationship); nobody
decides on their own request; the state allows it; the inputs are complete and from the profile's lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum

from domain.deadline_rules import Fact
from domain.outcome_terms import OutcomeDecision
from domain.outcomes import outcome_problems, window_warning
from domain.profiles import PolicyProfile
from domain.roles import Person
from domain.transfer_access import (
    OWN_REQUEST_REFUSAL,
    access_refusal,
    granted,
    not_applicable,
    own_request,
    rule_of,
)
from domain.transfer_events import EVENTS, EventRule, Form, Relation
from domain.transfer_facts import MAY_BE_AHEAD, When, dated, event_facts, recordable_facts
from domain.transfer_inputs import (
    CONSENT_EVENTS,
    FORM_INPUTS,
    AllocationInput,
    ConsentInput,
    GapsInput,
    Inputs,
    JointVisitInput,
    NameWorkerInput,
    NoteInput,
    NotPossibleInput,
    OutcomeInput,
    ReasonInput,
    WhatHappenedInput,
)
from domain.transfer_machine import Event, IllegalTransition, Move, State, apply
from domain.transfer_notices import Notice, notices_for
from domain.transfer_record import (
    NAME_MAX,
    Allocation,
    Authorised,
    Decisions,
    Decline,
    ExternalReferral,
    Happened,
    InformationAdded,
    InformationAsked,
    JointVisit,
    LastDecision,
    NotPossible,
    OutcomeNote,
    Transfer,
)
from domain.working_days import WorkingCalendar


# -- what comes back ----------------------------------------------------------------------------------------
class RefusalKind(StrEnum):
    NOT_APPLICABLE = "not_applicable"
    ACCESS = "access"
    OWN_REQUEST = "own_request"
    STATE = "state"
    INPUT = "input"


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    reason: str

    @property
    def audited(self) -> bool:
        """A person trying what they may not, or what the request is past, leaves a trace; a typo does not."""
        return self.kind is not RefusalKind.INPUT


@dataclass(frozen=True)
class Decided:
    move: Move
    decision: Decisions
    gaps: tuple[str, ...]
    accepted_at: datetime | None
    # The facts this move records, with when: the deadlines engine starts and settles clocks from them.
    facts: tuple[tuple[Fact, When], ...] = ()
    notices: tuple[Notice, ...] = ()
    # Dorset: every child has a named practitioner at all times, so an unnamed allocation nudges the managers.
    nudge_unnamed: bool = False
    changed: tuple[str, ...] = field(default_factory=tuple)


def decide(
    transfer: Transfer,
    event: Event,
    inputs: Inputs,
    actor: Person,
    relations: frozenset[Relation],
    profile: PolicyProfile,
    now: datetime,
) -> Decided | Refusal:
    """The move `event` makes on `transfer` for `actor`, or why not (see the module docstring for the order)."""
    rule = EVENTS[event]
    move = admissible(transfer, event, actor, relations, profile)
    if isinstance(move, Refusal):
        return move
    if not isinstance(inputs, FORM_INPUTS[rule.form]):
        return Refusal(RefusalKind.INPUT, "The card sent something I can't read.")
    calendar = WorkingCalendar.from_profile(profile.working)
    decision = _decision(transfer, rule, inputs, actor, profile, calendar, now)
    if isinstance(decision, Refusal):
        return decision
    return _decided(transfer, rule, move, decision, inputs, actor, profile, calendar, now)


def admissible(
    transfer: Transfer, event: Event, actor: Person, relations: frozenset[Relation], profile: PolicyProfile
) -> Move | Refusal:
    """Everything `decide` checks before the inputs: whether this person may raise this event here, now."""
    rule = EVENTS[event]
    why = not_applicable(rule, transfer, profile)
    if why is not None:
        return Refusal(RefusalKind.NOT_APPLICABLE, why)
    if not granted(rule, actor, relations, transfer, profile):
        return Refusal(RefusalKind.ACCESS, access_refusal(rule, transfer, profile))
    if own_request(rule, actor, relations):
        return Refusal(RefusalKind.OWN_REQUEST, OWN_REQUEST_REFUSAL)
    try:
        return apply(transfer.state, rule.event, paused_from=transfer.paused_from)
    except IllegalTransition as exc:
        return Refusal(RefusalKind.STATE, exc.reason)


def _decision(
    transfer: Transfer,
    rule: EventRule,
    inputs: Inputs,
    actor: Person,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    now: datetime,
) -> Decisions | Refusal:
    """The decisions as they stand after this event, or what is wrong with the inputs."""
    problems: list[str] = []
    changes: dict[str, object] = {}
    if isinstance(inputs, AllocationInput):
        teams = profile.transfers.to_services.get(transfer.direction, []) or [transfer.to_service]
        if inputs.team not in teams:
            problems.append("Choose the team from the list.")
        if inputs.joint_visit_on is not None and inputs.joint_visit_on < calendar.local_date(now):
            problems.append("The joint visit can't be planned in the past.")
        if rule.event is Event.THRESHOLD_MET and len(inputs.reason.strip()) < 3:
            problems.append("Say why the threshold for social care is met.")
        name, object_id = inputs.worker_name, ""
        previous = transfer.decision.previous_worker
        if inputs.allocate_to_me:
            name, object_id = actor.name, actor.object_id
        elif previous is not None and name and name == previous.name:
            object_id = previous.object_id
        changes["allocation"] = Allocation(
            team=inputs.team,
            worker_name=name[:NAME_MAX],
            worker_object_id=object_id,
            joint_visit_on=inputs.joint_visit_on,
            reason=inputs.reason.strip() if rule.event is Event.THRESHOLD_MET else "",
        )
    elif isinstance(inputs, ReasonInput):
        if inputs.reason not in profile.transfers.decline_reasons:
            problems.append("Choose a reason from the list.")
        changes["decline"] = Decline(reason=inputs.reason, note=inputs.note)
    elif isinstance(inputs, NoteInput):
        if len(inputs.note) < 3:
            problems.append("Say what you've added." if rule.form is Form.INFORMATION_ADDED else "Say what is needed.")
        if rule.form is Form.INFORMATION_ADDED:
            changes["information_added"] = InformationAdded(added=inputs.note)
        else:
            changes["information_asked"] = InformationAsked(asked=inputs.note)
    elif isinstance(inputs, GapsInput):
        known = {item.key for item in profile.transfers.checklist(transfer.direction)}
        if not inputs.gaps:
            problems.append("Mark at least one gap, or accept the request instead.")
        if set(inputs.gaps) - known:
            problems.append("Some marked items are not on this checklist.")
    elif isinstance(inputs, JointVisitInput):
        if inputs.on > calendar.local_date(now):
            problems.append("The joint visit can't be recorded before it happens: give the day it took place.")
        if inputs.virtual and not profile.transfers.virtual_introduction:
            problems.append(f"{profile.authority} does not take a virtual introduction instead of the joint visit.")
        changes["joint_visit"] = JointVisit(on=inputs.on, virtual=inputs.virtual)
    elif isinstance(inputs, WhatHappenedInput):
        if inputs.fact not in recordable_facts(transfer, profile):
            problems.append("Choose what happened from the list.")
        elif inputs.on > calendar.local_date(now) and inputs.fact not in MAY_BE_AHEAD:
            problems.append("That can't be dated in the future.")
        happened = Happened(fact=inputs.fact, on=inputs.on, by_name=actor.name[:NAME_MAX])
        changes["happened"] = (*transfer.decision.happened, happened)[-50:]
    elif isinstance(inputs, NotPossibleInput):
        if len(inputs.reason) < 3:
            problems.append("Say why the joint visit is not possible in time.")
        if not inputs.explained_to_family:
            problems.append("Explain the reason to the family first, then record it here.")
        changes["not_possible"] = NotPossible(reason=inputs.reason, explained_to_family=inputs.explained_to_family)
    elif isinstance(inputs, OutcomeInput):
        problems += _outcome_changes(transfer, rule, inputs, actor, profile, calendar, now, changes)
    elif isinstance(inputs, NameWorkerInput):
        allocation = transfer.decision.allocation
        name, object_id = inputs.worker_name, ""
        if inputs.allocate_to_me:
            name, object_id = actor.name, actor.object_id
        if len(name.strip()) < 2:
            problems.append("Name the practitioner, or take the case yourself.")
        if allocation is not None:
            changes["allocation"] = allocation.model_copy(
                update={"worker_name": name[:NAME_MAX], "worker_object_id": object_id}
            )
    elif isinstance(inputs, ConsentInput):
        if inputs.consent.status is not CONSENT_EVENTS.get(rule.event):
            problems.append("The card sent something I can't read.")
        elif inputs.consent.on > calendar.local_date(now):
            problems.append("The date can't be in the future.")
        changes["consent"] = inputs.consent
    if rule.event is Event.AUTHORISE:
        changes["authorised"] = Authorised(by_name=actor.name[:NAME_MAX], by_object_id=actor.object_id, at=now)
    if problems:
        return Refusal(RefusalKind.INPUT, " ".join(problems))
    changes["last"] = LastDecision(event=rule.event, by_name=actor.name[:NAME_MAX], by_object_id=actor.object_id)
    return transfer.decision.model_copy(update=changes)


def _outcome_changes(
    transfer: Transfer,
    rule: EventRule,
    inputs: OutcomeInput,
    actor: Person,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    now: datetime,
    changes: dict[str, object],
) -> list[str]:
    """A meeting's outcome as the decisions it makes; the problems with it, if any."""
    outcome = inputs.outcome
    if outcome.event is not rule.event:
        return ["The card sent something I can't read."]
    problems = outcome_problems(outcome, transfer, profile, calendar.local_date(now))
    decision = outcome.decision
    if decision is OutcomeDecision.AGREED:
        name, object_id = outcome.lead_practitioner, ""
        previous = transfer.decision.previous_worker
        if outcome.lead_is_me:
            name, object_id = actor.name, actor.object_id
        elif previous is not None and name and name == previous.name:
            object_id = previous.object_id
        changes["allocation"] = Allocation(team=outcome.team, worker_name=name[:NAME_MAX], worker_object_id=object_id)
    elif decision is OutcomeDecision.NOT_AGREED:
        changes["decline"] = Decline(reason=outcome.reason, note=outcome.note)
    elif decision is OutcomeDecision.MORE_INFORMATION:
        changes["information_asked"] = InformationAsked(asked=outcome.missing)
    elif decision is OutcomeDecision.EXTERNAL_AGENCY:
        changes["external"] = ExternalReferral(agency=outcome.agency)
    changes["outcome"] = OutcomeNote(
        decision=decision,
        meeting_kind=outcome.meeting_kind,
        meeting_on=outcome.meeting_on,
        version=inputs.version,
        deferred_to=outcome.deferred_to,
        final_meeting_outside_window=window_warning(outcome, transfer, profile, calendar) is not None,
    )
    return problems


def _decided(
    transfer: Transfer,
    rule: EventRule,
    move: Move,
    decision: Decisions,
    inputs: Inputs,
    actor: Person,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    now: datetime,
) -> Decided:
    gaps = transfer.gaps
    if isinstance(inputs, GapsInput):
        gaps = tuple(sorted(set(inputs.gaps)))
    elif move.target not in (State.GAPS_OPEN, State.PAUSED):
        gaps = ()  # gaps belong to a request waiting on them; any other move leaves them behind
    after = _with(transfer, move, decision, gaps)
    before_fields = transfer.decision.model_dump()
    changed = tuple(k for k, v in decision.model_dump().items() if before_fields.get(k) != v and k != "last")
    allocation = decision.allocation
    return Decided(
        move=move,
        decision=decision,
        gaps=gaps,
        accepted_at=now if rule.allocates else transfer.accepted_at,
        facts=_facts(transfer, rule, inputs, allocation, calendar, now)
        + _authorisation_facts(transfer, rule, profile, now),
        notices=notices_for(after, rule, actor, profile),
        nudge_unnamed=rule.allocates
        and profile.transfers.named_worker_nudge
        and not (allocation and allocation.worker_name),
        changed=changed,
    )


def _facts(
    transfer: Transfer,
    rule: EventRule,
    inputs: Inputs,
    allocation: Allocation | None,
    calendar: WorkingCalendar,
    now: datetime,
) -> tuple[tuple[Fact, When], ...]:
    """What this move records, and when it happened: a date from the form where the form gives one."""
    found = dict(dated(event_facts(rule, transfer.direction), now))
    if rule.allocates and allocation is not None and allocation.worker_name:
        found[Fact.WORKER_NAMED] = now
    if isinstance(inputs, JointVisitInput):
        found[Fact.JOINT_VISIT_DONE] = _day_start(inputs.on, calendar, now)
    if isinstance(inputs, WhatHappenedInput):
        found[inputs.fact] = _day_start(inputs.on, calendar, now)
    if isinstance(inputs, OutcomeInput):
        # The clocks of a meeting count from the day it was held, not from when its outcome was typed in.
        held = _day_start(inputs.outcome.meeting_on, calendar, now)
        for fact in (Fact.MEETING_HELD, Fact.MEETING_AGREED):
            if fact in found:
                found[fact] = held
    if isinstance(inputs, NameWorkerInput) and allocation is not None and allocation.worker_name:
        found[Fact.WORKER_NAMED] = now
    return tuple(sorted(found.items()))


def _authorisation_facts(
    transfer: Transfer, rule: EventRule, profile: PolicyProfile, now: datetime
) -> tuple[tuple[Fact, When], ...]:
    """What the route's authorisation records (Cheshire East: the meeting agreed a step up, ChECS's 24 hours start)."""
    route = rule_of(transfer, profile)
    if rule.event is not Event.AUTHORISE or route is None:
        return ()
    return dated(frozenset(route.authorisation_records), now)


def _with(transfer: Transfer, move: Move, decision: Decisions, gaps: tuple[str, ...]) -> Transfer:
    return replace(transfer, state=move.target, paused_from=move.paused_from, decision=decision, gaps=gaps)


def _day_start(day: date, calendar: WorkingCalendar, now: datetime) -> datetime:
    """A date a person gave, as the instant a clock counts from: now if it is today, else that day's start."""
    if day == calendar.local_date(now):
        return now
    return datetime.combine(day, time(0), tzinfo=calendar.zone).astimezone(UTC)
