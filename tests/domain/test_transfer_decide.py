"""decide(): the move, the typed decision, the clocks the event table says it starts and stops, and who is told;
and the rules of a new request: directions by role, York's return to the previous social worker."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.profile_files import all_profiles
from bot.settings import REPO_ROOT
from domain.directions import Direction
from domain.profiles import PolicyProfile
from domain.roles import Person, Role
from domain.transfer_decide import (
    AllocationInput,
    Decided,
    GapsInput,
    NoInput,
    NoteInput,
    ReasonInput,
    Refusal,
    RefusalKind,
    decide,
)
from domain.transfer_events import EVENTS, Clock, Party, Relation
from domain.transfer_machine import Event, State, events_from
from domain.transfer_record import Allocation, Decisions, PreviousWorker, Transfer
from domain.transfer_submission import directions_for, previous_worker, submission
from domain.transfers import Route, TransferDetails
from domain.working_days import calendar_months_after

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
    assert to_requester.headline == "Accept: DEMO-0001" and "Allocated to E.C." in to_requester.lines
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
            AllocationInput(team=team, worker_name="P.W."),
            front_door,
            RECEIVING,
            york,
            NOW,
        )
    )
    assert outcome.decision.allocation is not None and outcome.decision.allocation.worker_object_id == "previous"


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
    outcome = decided(
        decide(
            on_meeting,
            Event.OUTCOME_AGREED,
            AllocationInput(team=team),
            chair,
            frozenset({Relation.CHAIR}),
            dorset,
            NOW,
        )
    )
    assert outcome.nudge_unnamed and [n.party for n in outcome.notices] == [Party.REQUESTER]


# -- declines, questions, gaps --------------------------------------------------------------------------------------
def test_a_decline_takes_a_reason_from_the_profiles_list_and_stops_every_clock() -> None:
    rochdale = PROFILES["rochdale"]
    reason = rochdale.transfers.decline_reasons[0]
    with_clocks = transfer(rochdale, decision_due_at=NOW, gaps_due_at=NOW, state=State.GAPS_OPEN, gaps=("plan",))
    outcome = decided(
        decide(with_clocks, Event.DECLINE, ReasonInput(reason=reason), COORDINATOR, RECEIVING, rochdale, NOW)
    )
    assert (outcome.decision_due_at, outcome.gaps_due_at, outcome.gaps) == (None, None, ())
    assert outcome.notices[0].lines == ("By E.C.", f"Reason: {reason}")
    wrong = refused(
        decide(with_clocks, Event.DECLINE, ReasonInput(reason="Capacity"), COORDINATOR, RECEIVING, rochdale, NOW)
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


def test_rochdales_gaps_are_due_three_working_days_on_at_five_and_resolving_them_stops_the_clock() -> None:
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
    # Tuesday 31 March 2026 + 3 working days, skipping Good Friday (3 April): Monday 6 April is Easter Monday,
    # so Tuesday 7 April 2026, 5pm in London (4pm UTC).
    assert marked.gaps == ("chronology", "plan")
    assert marked.gaps_due_at == datetime(2026, 4, 7, 16, tzinfo=UTC)
    gaps_open = transfer(rochdale, state=State.GAPS_OPEN, gaps=marked.gaps, gaps_due_at=marked.gaps_due_at)
    resolved = decided(decide(gaps_open, Event.RESOLVE_GAPS, NoInput(), COORDINATOR, RECEIVING, rochdale, NOW))
    assert (resolved.move.target, resolved.gaps, resolved.gaps_due_at) == (State.SUBMITTED, (), None)
    unknown = refused(
        decide(transfer(rochdale), Event.MARK_GAPS, GapsInput(gaps=("x",)), COORDINATOR, RECEIVING, rochdale, NOW)
    )
    assert unknown.reason == "Some marked items are not on this checklist."


def test_the_front_doors_clock_restarts_on_resubmission_and_stops_on_its_decision() -> None:
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
    # York: one working day, due at 5pm: Wednesday 1 April 2026, 4pm UTC.
    assert again.decision_due_at == datetime(2026, 4, 1, 16, tzinfo=UTC)
    assert again.notices == (), "the requester is not told of their own move"
    waiting = transfer(york, details=details(york, Direction.STEP_UP), decision_due_at=again.decision_due_at)
    front_door = Person("t", "fd", "F.D.", frozenset({Role.FRONT_DOOR}))
    reason = york.transfers.decline_reasons[0]
    done = decided(
        decide(waiting, Event.NO_FURTHER_ACTION, ReasonInput(reason=reason), front_door, RECEIVING, york, NOW)
    )
    assert done.decision_due_at is None


GAPS_STOPPERS = [
    e for e, rule in EVENTS.items() if Clock.READINESS_GAPS in rule.stops and e in events_from(State.GAPS_OPEN)
]


@pytest.mark.parametrize("event", GAPS_STOPPERS)
def test_every_event_the_table_says_stops_the_gaps_clock_stops_it(event: Event) -> None:
    rochdale = PROFILES["rochdale"]
    rule = EVENTS[event]
    direction = Direction.STEP_UP if rule.directions == {Direction.STEP_UP} else Direction.STEP_DOWN_EARLY_HELP
    route = Route.WEEKLY_MEETING if rule.meeting_outcome else Route.DIRECT
    gaps_open = transfer(
        rochdale,
        state=State.GAPS_OPEN,
        gaps=("plan",),
        gaps_due_at=NOW,
        details=details(rochdale, direction, route=route),
    )
    role, relation = Role.COORDINATOR, Relation.RECEIVING_SIDE
    if direction is Direction.STEP_UP:
        role = Role.FRONT_DOOR
    if rule.meeting_outcome:
        role, relation = Role.MEETING_CHAIR, Relation.CHAIR
    if event is Event.WITHDRAW:
        role, relation = Role.SOCIAL_WORKER, Relation.REQUESTER
    actor = Person("t", "actor", "A.C.", frozenset({role}))
    form_inputs = {
        "reason": ReasonInput(reason=rochdale.transfers.decline_reasons[0]),
        "information_asked": NoteInput(note="The plan, please."),
    }
    inputs = form_inputs.get(rule.form.value, NoInput())
    outcome = decided(decide(gaps_open, event, inputs, actor, frozenset({relation}), rochdale, NOW))
    assert (outcome.gaps_due_at, outcome.gaps) == (None, ())


def test_the_gaps_clock_is_stopped_by_the_events_that_leave_gaps_open() -> None:
    leaving = {e for e in events_from(State.GAPS_OPEN) if e is not Event.WITHDRAW_CONSENT}
    assert set(GAPS_STOPPERS) == leaving, "pausing for consent keeps the gaps and their clock"


# -- a new request ------------------------------------------------------------------------------------------------
def test_each_role_asks_for_the_directions_its_profile_offers() -> None:
    redcar, rochdale = PROFILES["redcar"], PROFILES["rochdale"]
    assert directions_for(frozenset({Role.SOCIAL_WORKER}), redcar) == [Direction.STEP_DOWN_EARLY_HELP]
    assert directions_for(frozenset({Role.EARLY_HELP_WORKER}), redcar) == [Direction.STEP_UP]
    assert directions_for(frozenset({Role.COORDINATOR, Role.FRONT_DOOR}), redcar) == []
    assert Direction.STEP_ACROSS in directions_for(frozenset({Role.TEAM_MANAGER}), rochdale)


def _stepped_down(profile: PolicyProfile, team: str, accepted_at: datetime | None, state: State) -> Transfer:
    return transfer(
        profile,
        id=9,
        state=state,
        details=details(profile, from_team=team),
        requester_object_id="previous",
        requester_name="P.W.",
        accepted_at=accepted_at,
    )


CIN_CP = "Safeguarding and Interventions (CiN / CP)"


@pytest.mark.parametrize(
    ("team", "accepted", "state", "returns"),
    [
        (CIN_CP, datetime(2025, 12, 31, 12, tzinfo=UTC), State.TRANSFERRED, True),  # 31 Mar is within 3 months
        (CIN_CP, datetime(2025, 12, 30, 12, tzinfo=UTC), State.TRANSFERRED, False),  # a day more than 3 months
        ("Targeted Early Help", datetime(2026, 3, 1, 12, tzinfo=UTC), State.CLOSED, False),  # not from CiN / CP
        (CIN_CP, None, State.WITHDRAWN, False),  # never accepted
    ],
)
def test_york_returns_a_step_up_to_the_social_worker_of_a_recent_step_down_from_cin_or_cp(
    team: str, accepted: datetime | None, state: State, returns: bool
) -> None:
    york = PROFILES["york"]
    earlier = [_stepped_down(york, team, accepted, state)]
    found = previous_worker(details(york, Direction.STEP_UP), earlier, york, NOW)
    assert (found == PreviousWorker(name="P.W.", object_id="previous")) is returns
    assert previous_worker(details(york, Direction.STEP_UP), earlier, PROFILES["redcar"], NOW) is None


def test_a_new_request_carries_its_channel_wording_and_clock() -> None:
    york = PROFILES["york"]
    sent = submission(details(york, Direction.STEP_UP), [], york, NOW)
    assert (sent.channel_key, sent.wording, sent.previous_worker) == ("front_door", "", None)
    assert sent.decision_due_at == datetime(2026, 4, 1, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 3, date(2027, 3, 15)),
    ],
)
def test_calendar_months_keep_the_day_or_end_the_shorter_month(start: date, months: int, end: date) -> None:
    assert calendar_months_after(start, months) == end


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(min_value=0, max_value=36))
def test_calendar_months_move_exactly_that_many_months_and_never_back(start: date, months: int) -> None:
    end = calendar_months_after(start, months)
    assert (end.year - start.year) * 12 + end.month - start.month == months
    assert end >= start and end.day <= start.day
    assert end - start <= timedelta(days=31 * months + 1)
