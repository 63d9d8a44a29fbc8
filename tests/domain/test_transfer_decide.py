"""decide(): the move, the typed decision, the facts it records for the deadlines engine, and who is told."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.profile_files import all_profiles
from bot.settings import REPO_ROOT
from domain.consent_terms import ConsentStatus
from domain.deadline_rules import Fact
from domain.directions import Direction
from domain.outcome_terms import MeetingKind, OutcomeDecision
from domain.outcomes import DECISION_EVENTS, Outcome
from domain.profiles import PolicyProfile
from domain.roles import Person, Role
from domain.transfer_decide import Decided, Refusal, RefusalKind, decide
from domain.transfer_events import EVENTS, Form, Party, Relation
from domain.transfer_inputs import (
    AllocationInput,
    ConsentInput,
    GapsInput,
    Inputs,
    JointVisitInput,
    NoInput,
    NoteInput,
    NotPossibleInput,
    OutcomeInput,
    ReasonInput,
    WhatHappenedInput,
)
from domain.transfer_machine import Event, State, events_from
from domain.transfer_record import Allocation, Authorised, ConsentNote, Decisions, PreviousWorker, Transfer
from domain.transfers import Route, TransferDetails

PROFILES = all_profiles(REPO_ROOT / "profiles")
# Tuesday 31 March 2026, 10am in London (British Summer Time).
NOW = datetime(2026, 3, 31, 9, tzinfo=UTC)
COORDINATOR = Person("t", "coordinator", "E.C.", frozenset({Role.COORDINATOR}))
RECEIVING = frozenset({Relation.RECEIVING_SIDE})


def details(
    profile: PolicyProfile, direction: Direction = Direction.STEP_DOWN_EARLY_HELP, **extra: object
) -> TransferDetails:
    return TransferDetails.model_validate(
        {
            "case_reference": "DEMO-0001",
            "children_count": 1,
            "direction": direction,
            "from_team": profile.transfers.from_teams[0],
            "to_service": profile.transfers.to_services[direction][0],
            "reason": "An invented reason.",
            "route": "direct",
            "consent": {
                "status": "given",
                "relationship": "Mother",
                "initials": "A.B.",
                "how": "Phone",
                "on": "2026-03-20",
            },
            "manager": {"manager": "T.M.", "decided_on": "2026-03-19"},
            **extra,
        }
    )


def transfer(profile: PolicyProfile, state: State = State.SUBMITTED, **fields: object) -> Transfer:
    base = Transfer(
        id=1,
        version=3,
        state=state,
        paused_from=None,
        tenant_id="t",
        requester_object_id="requester",
        requester_name="S.W.",
        details=details(profile),
        receiving_channel="coordinators",
        # Past the route's authorisation where it asks for one (Redcar's MACH manager, 002 step down standard 2).
        decision=Decisions(authorised=Authorised(by_name="M.M.", at=datetime(2026, 3, 20, tzinfo=UTC))),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def decided(outcome: Decided | Refusal) -> Decided:
    assert isinstance(outcome, Decided), outcome
    return outcome


def refused(outcome: Decided | Refusal) -> Refusal:
    assert isinstance(outcome, Refusal), outcome
    return outcome


# -- allocation ---------------------------------------------------------------------------------------------------
def test_accepting_records_the_team_the_worker_and_the_joint_visit_and_tells_both() -> None:
    redcar = PROFILES["redcar"]
    team = redcar.transfers.to_services[Direction.STEP_DOWN_EARLY_HELP][0]
    inputs = AllocationInput(team=team, allocate_to_me=True, joint_visit_on=date(2026, 4, 9))
    outcome = decided(decide(transfer(redcar), Event.ACCEPT, inputs, COORDINATOR, RECEIVING, redcar, NOW))
    assert outcome.move.target is State.ACCEPTED
    assert outcome.decision.allocation == Allocation(
        team=team, worker_name="E.C.", worker_object_id="coordinator", joint_visit_on=date(2026, 4, 9)
    )
    assert outcome.accepted_at == NOW
    assert outcome.decision.last is not None and outcome.decision.last.by_object_id == "coordinator"
    assert outcome.changed == ("allocation",)
    [to_requester, to_worker] = outcome.notices
    assert (to_requester.party, to_requester.object_id) == (Party.REQUESTER, "requester")
    assert to_requester.headline == "Accepted: DEMO-0001" and "Allocated to E.C." in to_requester.lines
    assert (to_worker.party, to_worker.object_id) == (Party.ALLOCATED_WORKER, "coordinator")
    assert "Joint visit planned for Thursday 9 April 2026." in to_worker.lines


def test_naming_the_previous_social_worker_allocates_to_them_by_id() -> None:
    york = PROFILES["york"]
    step_up = transfer(
        york,
        details=details(york, Direction.STEP_UP),
        decision=Decisions(previous_worker=PreviousWorker(name="P.W.", object_id="previous")),
    )
    front_door = Person("t", "fd", "F.D.", frozenset({Role.FRONT_DOOR}))
    team = york.transfers.to_services[Direction.STEP_UP][0]
    outcome = decided(
        decide(
            step_up,
            Event.THRESHOLD_MET,
            AllocationInput(team=team, worker_name="P.W.", reason="Significant harm suspected."),
            front_door,
            RECEIVING,
            york,
            NOW,
        )
    )
    assert outcome.decision.allocation is not None and outcome.decision.allocation.worker_object_id == "previous"
    assert outcome.decision.allocation.reason == "Significant harm suspected."
    unexplained = decide(step_up, Event.THRESHOLD_MET, AllocationInput(team=team), front_door, RECEIVING, york, NOW)
    assert isinstance(unexplained, Refusal) and "Say why the threshold" in unexplained.reason


@pytest.mark.parametrize(
    ("inputs", "problem"),
    [
        (AllocationInput(team="Not a team"), "Choose the team from the list."),
        (
            AllocationInput(team="Internal Early Help team", joint_visit_on=date(2026, 3, 30)),
            "The joint visit can't be planned in the past.",
        ),
        (NoInput(), "The card sent something I can't read."),
        (ReasonInput(reason="Internal Early Help team"), "The card sent something I can't read."),
    ],
)
def test_an_allocation_with_bad_inputs_is_refused_saying_what_is_wrong(inputs: object, problem: str) -> None:
    redcar = PROFILES["redcar"]
    outcome = refused(decide(transfer(redcar), Event.ACCEPT, inputs, COORDINATOR, RECEIVING, redcar, NOW))  # type: ignore[arg-type]
    assert (outcome.kind, outcome.reason, outcome.audited) == (RefusalKind.INPUT, problem, False)


def test_an_unnamed_allocation_nudges_the_managers_where_the_profile_asks() -> None:
    dorset = PROFILES["dorset"]
    on_meeting = transfer(dorset, details=details(dorset, route=Route.WEEKLY_MEETING))
    chair = Person("t", "chair", "M.C.", frozenset({Role.MEETING_CHAIR}))
    team = dorset.transfers.to_services[Direction.STEP_DOWN_EARLY_HELP][0]
    agreed = Outcome(
        meeting_kind=MeetingKind.WEEKLY_MEETING, meeting_on=NOW.date(), decision=OutcomeDecision.AGREED, team=team
    )
    outcome = decided(
        decide(
            on_meeting,
            Event.OUTCOME_AGREED,
            OutcomeInput(outcome=agreed, version=1),
            chair,
            frozenset({Relation.CHAIR}),
            dorset,
            NOW,
        )
    )
    assert outcome.nudge_unnamed
    # The social worker and their manager hear the outcome; nobody is named yet to be told it is theirs.
    assert [n.party for n in outcome.notices] == [Party.REQUESTER, Party.REQUESTERS_MANAGER]


# -- declines, questions, gaps --------------------------------------------------------------------------------------
def test_a_decline_takes_a_reason_from_the_profiles_list_and_records_that_it_was_declined() -> None:
    rochdale = PROFILES["rochdale"]
    reason = rochdale.transfers.decline_reasons[0]
    gaps_open = transfer(rochdale, state=State.GAPS_OPEN, gaps=("plan",))
    outcome = decided(
        decide(gaps_open, Event.DECLINE, ReasonInput(reason=reason), COORDINATOR, RECEIVING, rochdale, NOW)
    )
    assert outcome.gaps == () and dict(outcome.facts) == {Fact.DECLINED: NOW}
    assert outcome.notices[0].lines == ("By E.C.", f"Reason: {reason}")
    wrong = refused(
        decide(gaps_open, Event.DECLINE, ReasonInput(reason="Capacity"), COORDINATOR, RECEIVING, rochdale, NOW)
    )
    assert wrong.reason == "Choose a reason from the list."


def test_asking_for_information_needs_a_question_and_says_where_to_answer() -> None:
    redcar = PROFILES["redcar"]
    short = refused(
        decide(transfer(redcar), Event.ASK_FOR_INFORMATION, NoteInput(note="?"), COORDINATOR, RECEIVING, redcar, NOW)
    )
    assert short.reason == "Say what is needed."
    asked = decided(
        decide(
            transfer(redcar),
            Event.ASK_FOR_INFORMATION,
            NoteInput(note="The CiN minutes."),
            COORDINATOR,
            RECEIVING,
            redcar,
            NOW,
        )
    )
    assert asked.decision.information_asked is not None and asked.decision.information_asked.asked == "The CiN minutes."
    assert "Open the request to see what is asked, then resubmit it." in asked.notices[0].lines


def test_marking_and_resolving_gaps_record_the_facts_the_gaps_clock_hangs_on() -> None:
    rochdale = PROFILES["rochdale"]
    marked = decided(
        decide(
            transfer(rochdale),
            Event.MARK_GAPS,
            GapsInput(gaps=("plan", "chronology")),
            COORDINATOR,
            RECEIVING,
            rochdale,
            NOW,
        )
    )
    assert marked.gaps == ("chronology", "plan")
    assert dict(marked.facts) == {Fact.READINESS_GAPS_MARKED: NOW}
    gaps_open = transfer(rochdale, state=State.GAPS_OPEN, gaps=marked.gaps)
    resolved = decided(decide(gaps_open, Event.RESOLVE_GAPS, NoInput(), COORDINATOR, RECEIVING, rochdale, NOW))
    assert (resolved.move.target, resolved.gaps) == (State.SUBMITTED, ())
    assert dict(resolved.facts) == {Fact.READINESS_GAPS_RESOLVED: NOW}
    unknown = refused(
        decide(transfer(rochdale), Event.MARK_GAPS, GapsInput(gaps=("x",)), COORDINATOR, RECEIVING, rochdale, NOW)
    )
    assert unknown.reason == "Some marked items are not on this checklist."


def test_a_step_up_resubmitted_records_the_referral_again_and_the_front_doors_decision_records_it_decided() -> None:
    york = PROFILES["york"]
    returned = transfer(york, state=State.RETURNED, details=details(york, Direction.STEP_UP))
    requester = Person("t", "requester", "E.W.", frozenset({Role.EARLY_HELP_WORKER}))
    again = decided(
        decide(
            returned,
            Event.RESUBMIT,
            NoteInput(note="Minutes added."),
            requester,
            frozenset({Relation.REQUESTER}),
            york,
            NOW,
        )
    )
    assert dict(again.facts) == {Fact.REQUEST_SUBMITTED: NOW, Fact.REFERRAL_SUBMITTED: NOW}
    assert again.notices == (), "the requester is not told of their own move"
    waiting = transfer(york, details=details(york, Direction.STEP_UP))
    front_door = Person("t", "fd", "F.D.", frozenset({Role.FRONT_DOOR}))
    reason = york.transfers.decline_reasons[0]
    done = decided(
        decide(waiting, Event.NO_FURTHER_ACTION, ReasonInput(reason=reason), front_door, RECEIVING, york, NOW)
    )
    assert dict(done.facts) == {Fact.FRONT_DOOR_DECIDED: NOW, Fact.DECLINED: NOW}


LEAVING_GAPS = [e for e in events_from(State.GAPS_OPEN) if e is not Event.WITHDRAW_CONSENT]


@pytest.mark.parametrize("event", LEAVING_GAPS)
def test_every_move_out_of_gaps_open_leaves_the_gaps_behind_but_pausing_keeps_them(event: Event) -> None:
    rochdale = PROFILES["rochdale"]
    rule = EVENTS[event]
    direction = Direction.STEP_UP if rule.directions == {Direction.STEP_UP} else Direction.STEP_DOWN_EARLY_HELP
    route = Route.WEEKLY_MEETING if rule.meeting_outcome else Route.DIRECT
    gaps_open = transfer(
        rochdale, state=State.GAPS_OPEN, gaps=("plan",), details=details(rochdale, direction, route=route)
    )
    role, relation = Role.COORDINATOR, Relation.RECEIVING_SIDE
    if direction is Direction.STEP_UP:
        role = Role.FRONT_DOOR
    if rule.meeting_outcome:
        role, relation = Role.MEETING_CHAIR, Relation.CHAIR
    if event is Event.WITHDRAW:
        role, relation = Role.SOCIAL_WORKER, Relation.REQUESTER
    actor = Person("t", "actor", "A.C.", frozenset({role}))
    form_inputs: dict[str, Inputs] = {
        "reason": ReasonInput(reason=rochdale.transfers.decline_reasons[0]),
        "information_asked": NoteInput(note="The plan, please."),
        "what_happened": WhatHappenedInput(fact=Fact.EARLY_HELP_ASSESSMENT_COMPLETED, on=NOW.date()),
    }
    inputs = form_inputs.get(rule.form.value, NoInput())
    if rule.form is Form.OUTCOME:
        decision = next(d for d, e in DECISION_EVENTS.items() if e is event)
        inputs = OutcomeInput(
            outcome=Outcome(
                meeting_kind=MeetingKind.WEEKLY_MEETING,
                meeting_on=NOW.date(),
                decision=decision,
                reason=rochdale.transfers.decline_reasons[0],
                missing="The plan, please.",
            ),
            version=1,
        )
    outcome = decided(decide(gaps_open, event, inputs, actor, frozenset({relation}), rochdale, NOW))
    stays = outcome.move.target is State.GAPS_OPEN
    assert outcome.gaps == (("plan",) if stays else ())
    requester = Person("t", "requester", "S.W.", frozenset({Role.SOCIAL_WORKER}))
    withdrawn = ConsentNote(status=ConsentStatus.WITHDRAWN, on=NOW.date(), relationship="Mother", initials="A.B.")
    paused = decided(
        decide(
            gaps_open,
            Event.WITHDRAW_CONSENT,
            ConsentInput(consent=withdrawn),
            requester,
            frozenset({Relation.REQUESTER}),
            rochdale,
            NOW,
        )
    )
    assert paused.gaps == ("plan",)
    assert paused.decision.consent == withdrawn


# -- the facts recorded from the card -----------------------------------------------------------------------------
def test_what_happened_is_recorded_with_its_own_date_and_only_a_fact_the_profile_counts_from() -> None:
    rochdale = PROFILES["rochdale"]
    accepted = transfer(rochdale, state=State.ACCEPTED)
    worker = Person("t", "worker", "E.W.", frozenset({Role.EARLY_HELP_WORKER}))
    holder = frozenset({Relation.ALLOCATED_WORKER})
    last_week = date(2026, 3, 24)
    done = decided(
        decide(
            accepted,
            Event.RECORD_WHAT_HAPPENED,
            WhatHappenedInput(fact=Fact.EARLY_HELP_ASSESSMENT_COMPLETED, on=last_week),
            worker,
            holder,
            rochdale,
            NOW,
        )
    )
    assert done.move.target is State.ACCEPTED, "recording a fact moves nothing"
    [(fact, at)] = done.facts
    assert fact is Fact.EARLY_HELP_ASSESSMENT_COMPLETED and at.date() == last_week
    assert done.decision.happened[-1].fact is Fact.EARLY_HELP_ASSESSMENT_COMPLETED
    future = refused(
        decide(
            accepted,
            Event.RECORD_WHAT_HAPPENED,
            WhatHappenedInput(fact=Fact.EARLY_HELP_ASSESSMENT_COMPLETED, on=date(2026, 4, 30)),
            worker,
            holder,
            rochdale,
            NOW,
        )
    )
    assert future.reason == "That can't be dated in the future."
    not_counted = refused(
        decide(
            accepted,
            Event.RECORD_WHAT_HAPPENED,
            WhatHappenedInput(fact=Fact.CF_ASSESSMENT_COMPLETED, on=last_week),
            worker,
            holder,
            rochdale,
            NOW,
        )
    )
    assert not_counted.reason == "Choose what happened from the list."


def test_a_joint_visit_is_recorded_on_its_day_and_as_a_virtual_introduction_only_where_the_profile_allows() -> None:
    york, redcar = PROFILES["york"], PROFILES["redcar"]
    worker = Person("t", "worker", "E.W.", frozenset({Role.EARLY_HELP_WORKER}))
    holder = frozenset({Relation.ALLOCATED_WORKER})
    visit = JointVisitInput(on=NOW.date(), virtual=True)
    refused_virtual = refused(
        decide(transfer(york, state=State.ACCEPTED), Event.RECORD_JOINT_VISIT, visit, worker, holder, york, NOW)
    )
    assert "virtual introduction" in refused_virtual.reason
    done = decided(
        decide(transfer(redcar, state=State.ACCEPTED), Event.RECORD_JOINT_VISIT, visit, worker, holder, redcar, NOW)
    )
    assert dict(done.facts) == {Fact.JOINT_VISIT_DONE: NOW}
    assert done.decision.joint_visit is not None and done.decision.joint_visit.virtual


def test_dorset_records_a_joint_visit_not_possible_only_once_the_reason_was_explained_to_the_family() -> None:
    dorset, york = PROFILES["dorset"], PROFILES["york"]
    worker = Person("t", "worker", "E.W.", frozenset({Role.EARLY_HELP_WORKER}))
    holder = frozenset({Relation.ALLOCATED_WORKER})
    accepted = transfer(dorset, state=State.ACCEPTED)
    untold = NotPossibleInput(reason="The family are away until next month.", explained_to_family=False)
    assert (
        "Explain the reason to the family"
        in refused(decide(accepted, Event.JOINT_VISIT_NOT_POSSIBLE, untold, worker, holder, dorset, NOW)).reason
    )
    told = NotPossibleInput(reason="The family are away until next month.", explained_to_family=True)
    done = decided(decide(accepted, Event.JOINT_VISIT_NOT_POSSIBLE, told, worker, holder, dorset, NOW))
    assert dict(done.facts) == {Fact.JOINT_VISIT_NOT_POSSIBLE: NOW}
    elsewhere = refused(
        decide(transfer(york, state=State.ACCEPTED), Event.JOINT_VISIT_NOT_POSSIBLE, told, worker, holder, york, NOW)
    )
    assert elsewhere.kind is RefusalKind.NOT_APPLICABLE
