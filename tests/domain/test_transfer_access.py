"""Who may see and act on a case: every event and view, for every role, in every relationship (and none), on
every direction, under every shipped profile, against the rule written out longhand from the issue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.profile_files import all_profiles
from bot.settings import REPO_ROOT
from domain.directions import Direction
from domain.profiles import PolicyProfile
from domain.roles import Person, Role
from domain.transfer_access import (
    OWN_REQUEST_REFUSAL,
    CaseFacts,
    access_refusal,
    available_events,
    may_view,
    on_meeting,
    relations_of,
)
from domain.transfer_decide import Refusal, RefusalKind, admissible
from domain.transfer_events import EVENTS, Relation
from domain.transfer_facts import recordable_facts
from domain.transfer_machine import TRANSITIONS, Event, State
from domain.transfer_policy import RouteRule
from domain.transfer_record import Allocation, Authorised, Decisions, PreviousWorker, Transfer
from domain.transfers import Route, TransferDetails, route_rule

PROFILES = all_profiles(REPO_ROOT / "profiles")
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
TENANT = "tenant"
ACTOR = "actor-object-id"

# -- the rule of the issue, longhand -----------------------------------------------------------------------------
ASKING = {Role.SOCIAL_WORKER, Role.ASSESSMENT_SOCIAL_WORKER, Role.EARLY_HELP_WORKER}
MANAGING = {Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER, Role.HEAD_OF_SERVICE}
FRONT_DOORS_OWN = {Event.THRESHOLD_MET, Event.ROUTE_TO_EARLY_HELP, Event.NO_FURTHER_ACTION}
MEETING_OUTCOMES = {
    Event.OUTCOME_AGREED,
    Event.OUTCOME_NOT_AGREED,
    Event.OUTCOME_DEFERRED,
    Event.MORE_INFORMATION_NEEDED,
    Event.REFER_EXTERNALLY,
}
DECISIONS = {
    Event.ACCEPT,
    Event.DECLINE,
    Event.ASK_FOR_INFORMATION,
    Event.MARK_GAPS,
    Event.RESOLVE_GAPS,
    *FRONT_DOORS_OWN,
    *MEETING_OUTCOMES,
}


def decides_direction(role: Role, direction: Direction, route: RouteRule | None = None) -> bool:
    """The receiving side's deciding roles: the route rule's where it names them (Dorset: a step up goes to the
    meeting's administrator and the early help team manager); else the front door only for step ups; coordinators
    (and the early help team manager) for step downs; the receiving managers or coordinators for a step across or
    co-work."""
    if route is not None and route.deciders:
        return role in route.deciders
    if direction is Direction.STEP_UP:
        return role is Role.FRONT_DOOR
    if direction in (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL):
        return role in (Role.COORDINATOR, Role.EARLY_HELP_TEAM_MANAGER)
    return role in (Role.COORDINATOR, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER)


def expected(
    event: Event,
    role: Role,
    relations: frozenset[Relation],
    direction: Direction,
    profile: PolicyProfile,
    *,
    meeting: bool,
    escalated_to: Role | None,
    recordable: bool,
    route: RouteRule | None = None,
    authorised: bool = False,
) -> bool:
    if role is Role.ADMINISTRATOR:
        return False  # the administrator configures the bot and sees no case content
    if event in DECISIONS and Relation.REQUESTER in relations:
        return False  # nobody decides on their own request
    if event is Event.AUTHORISE:
        # Only on a route that asks for it, by the role it names, once, and never by the requester.
        authoriser = route is not None and route.authorised_by is role and Relation.AUTHORISER in relations
        return authoriser and not authorised and Relation.REQUESTER not in relations
    waiting = route is not None and route.authorised_by is not None and not authorised
    if waiting and event in (Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED):
        return False  # nobody accepts before the route's authorisation
    if route is not None and not route.meeting_outcome_accepts and event is Event.OUTCOME_AGREED:
        return False  # the meeting agrees, the front door accepts (Cheshire East's step up)
    receiving = Relation.RECEIVING_SIDE in relations and decides_direction(role, direction, route)
    requester = Relation.REQUESTER in relations and role in ASKING | {Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER}
    their_manager = Relation.REQUESTERS_MANAGER in relations and role in MANAGING
    worker = Relation.ALLOCATED_WORKER in relations
    workers_manager = Relation.ALLOCATED_WORKERS_MANAGER in relations and role in MANAGING
    chair = Relation.CHAIR in relations and role is Role.MEETING_CHAIR
    escalation = Relation.ESCALATION in relations and role is escalated_to
    meeting_decides = profile.transfers.decision_authority == "meeting" and direction is not Direction.STEP_UP
    if route is not None and route.decided_by is not None:
        meeting_decides = route.decided_by == "meeting"
    if event in FRONT_DOORS_OWN:
        return direction is Direction.STEP_UP and receiving and role is Role.FRONT_DOOR
    if event in MEETING_OUTCOMES:
        # The chair, or the coordinators who run the meeting (Redcar's clinic); the external pathway is Redcar's.
        coordinator = Relation.RECEIVING_SIDE in relations and role is Role.COORDINATOR and receiving
        offered = event is not Event.REFER_EXTERNALLY or profile.outcomes.external_pathway
        return meeting and offered and (chair or coordinator)
    if event is Event.NAME_WORKER:
        # An allocation made "to be named": whoever may allocate, the chair, or the worker's manager.
        return receiving or chair or workers_manager
    if event in (Event.ACCEPT, Event.DECLINE):
        return receiving and not meeting_decides
    if event in (Event.MARK_GAPS, Event.ASK_FOR_INFORMATION):
        return receiving
    if event is Event.RESOLVE_GAPS:
        return receiving or escalation
    if event is Event.SCHEDULE:
        return receiving or chair
    if event in (Event.RESUBMIT, Event.WITHDRAW):
        return requester or their_manager
    if event in (Event.START_CO_WORKING, Event.RECORD_JOINT_VISIT):
        return requester or their_manager or receiving or worker or workers_manager
    if event in (Event.COMPLETE_TRANSFER, Event.CLOSE):
        return receiving or workers_manager
    if event in (Event.WITHDRAW_CONSENT, Event.GIVE_CONSENT_AGAIN):
        return requester or their_manager or receiving or worker or workers_manager or chair
    if event is Event.RECORD_WHAT_HAPPENED:
        # Only where the profile's clocks count from something recorded this way.
        return recordable and (requester or their_manager or receiving or worker or workers_manager or chair)
    if event is Event.JOINT_VISIT_NOT_POSSIBLE:
        # Dorset: the visit may be not possible, the reason explained to the family.
        allowed = profile.transfers.joint_visit_not_possible
        return allowed and (requester or their_manager or receiving or worker or workers_manager)
    raise AssertionError(f"the rule says nothing of {event}")


# -- requests to try it on --------------------------------------------------------------------------------------
def details(
    profile: PolicyProfile, direction: Direction, route: Route, *, from_team: str = "", to_service: str = ""
) -> TransferDetails:
    services = profile.transfers.to_services.get(direction, ["Some service"])
    return TransferDetails.model_validate(
        {
            "case_reference": "DEMO-0001",
            "children_count": 1,
            "direction": direction,
            "from_team": from_team or profile.transfers.from_teams[0],
            "to_service": to_service or services[0],
            "reason": "An invented reason.",
            "route": route,
            "consent": {
                "status": "given",
                "relationship": "Mother",
                "initials": "A.B.",
                "how": "Phone",
                "on": "2026-11-20",
            },
            "manager": {"manager": "T.M.", "decided_on": "2026-11-19"},
        }
    )


def a_transfer(
    profile: PolicyProfile,
    direction: Direction,
    route: Route,
    state: State,
    *,
    unnamed: bool = False,
    from_team: str = "",
    to_service: str = "",
    authorised: bool = False,
) -> Transfer:
    allocation = Allocation(team=profile.transfers.to_services.get(direction, ["Some service"])[0])
    decision = Decisions(allocation=allocation) if unnamed else Decisions()
    if authorised:
        decision = decision.model_copy(update={"authorised": Authorised(by_name="M.M.", at=NOW)})
    return Transfer(
        decision=decision,
        id=1,
        version=1,
        state=state,
        paused_from=State.SUBMITTED if state is State.PAUSED else None,
        tenant_id=TENANT,
        requester_object_id="requester-object-id",
        requester_name="S.W.",
        details=details(profile, direction, route, from_team=from_team, to_service=to_service),
        wording="The agreed wording.",
        receiving_channel="coordinators",
        escalated_to=Role.HEAD_OF_SERVICE,
    )


def source_of(event: Event) -> State:
    """A state the event is legal in, so a refusal can only come from access."""
    return next(t.source for t in TRANSITIONS if t.event is event)


RELATION_SETS: list[frozenset[Relation]] = [
    frozenset(),
    *(frozenset({r}) for r in Relation),
    # A requester who also stands on the deciding side: separation of duties.
    frozenset({Relation.REQUESTER, Relation.RECEIVING_SIDE}),
    frozenset({Relation.REQUESTER, Relation.CHAIR}),
]


Case = tuple[Direction, Route, str, str, bool]


def cases(profile: PolicyProfile) -> list[Case]:
    """Every direction on the direct and meeting routes, and one request down each of the profile's route rules
    (authorised and not, where the rule asks for an authorisation)."""
    found: list[Case] = [(d, r, "", "", False) for d in Direction for r in (Route.DIRECT, Route.WEEKLY_MEETING)]
    for rule in profile.transfers.route_rules:
        team = rule.from_teams[0] if rule.from_teams else ""
        service = rule.to_services[0] if rule.to_services else ""
        for authorised in (False, True) if rule.authorised_by else (False,):
            found.append((rule.direction, Route(rule.route), team, service, authorised))
    return found


@pytest.mark.parametrize("profile_key", sorted(PROFILES))
def test_every_event_for_every_role_in_every_relationship_on_every_direction(profile_key: str) -> None:
    profile = PROFILES[profile_key]
    wrong: list[str] = []
    for direction, route, team, service, authorised in cases(profile):
        for event in Event:
            if event is Event.SUBMIT:
                continue
            transfer = a_transfer(
                profile,
                direction,
                route,
                source_of(event),
                unnamed=event is Event.NAME_WORKER,
                from_team=team,
                to_service=service,
                authorised=authorised,
            )
            meeting = on_meeting(transfer, profile)
            recordable = bool(recordable_facts(transfer, profile))
            for role in Role:
                actor = Person(TENANT, ACTOR, "A.C.", frozenset({role}))
                for relations in RELATION_SETS:
                    got = admissible(transfer, event, actor, relations, profile)
                    allowed = not isinstance(got, Refusal)
                    want = expected(
                        event,
                        role,
                        relations,
                        direction,
                        profile,
                        meeting=meeting,
                        escalated_to=Role.HEAD_OF_SERVICE,
                        recordable=recordable,
                        route=route_rule(transfer.details, profile),
                        authorised=authorised,
                    )
                    if allowed != want:
                        names = sorted(r.value for r in relations)
                        wrong.append(f"{direction.value}/{route.value} {event.value} by {role.value} {names}: {got}")
    assert wrong == [], f"{len(wrong)} answers differ from the rule, e.g. {wrong[:5]}"


@pytest.mark.parametrize("profile_key", sorted(PROFILES))
def test_the_card_and_its_details_show_only_to_people_on_the_case(profile_key: str) -> None:
    for role in Role:
        actor = Person(TENANT, ACTOR, "A.C.", frozenset({role}))
        for relations in RELATION_SETS:
            assert may_view(actor, relations) is (bool(relations) and role is not Role.ADMINISTRATOR)


def test_a_refusal_says_who_may_in_the_profiles_words() -> None:
    redcar = PROFILES["redcar"]
    step_down = a_transfer(redcar, Direction.STEP_DOWN_EARLY_HELP, Route.DIRECT, State.SUBMITTED)
    assert access_refusal(EVENTS[Event.ACCEPT], step_down, redcar) == (
        "Only the Early Help Coordinators or early help team managers this request was sent to can accept it."
    )
    assert access_refusal(EVENTS[Event.WITHDRAW], step_down, redcar) == (
        "Only the person who asked for it or their line manager can withdraw it."
    )
    step_up = a_transfer(redcar, Direction.STEP_UP, Route.DIRECT, State.SUBMITTED)
    assert access_refusal(EVENTS[Event.THRESHOLD_MET], step_up, redcar) == (
        "Only the MACH deciders this request was sent to can decide that the threshold is met."
    )


def test_the_front_door_cannot_accept_a_step_down_even_on_the_coordinators_roster() -> None:
    redcar = PROFILES["redcar"]
    # Past the MACH manager's authorisation (the front door role's one step on a Redcar step down, 002 standard 2).
    step_down = a_transfer(redcar, Direction.STEP_DOWN_EARLY_HELP, Route.DIRECT, State.SUBMITTED, authorised=True)
    front_door = Person(TENANT, ACTOR, "F.D.", frozenset({Role.FRONT_DOOR}))
    relations = relations_of(front_door, step_down, CaseFacts(on_receiving_roster=True), redcar)
    assert relations == {Relation.AUTHORISER}
    assert available_events(front_door, relations, step_down, redcar) == []
    got = admissible(step_down, Event.ACCEPT, front_door, frozenset({Relation.RECEIVING_SIDE}), redcar)
    assert isinstance(got, Refusal) and got.kind is RefusalKind.ACCESS


def test_a_manager_who_asked_for_the_move_cannot_accept_it_but_may_withdraw_it() -> None:
    rochdale = PROFILES["rochdale"]
    across = a_transfer(rochdale, Direction.STEP_ACROSS, Route.DIRECT, State.SUBMITTED)
    manager = Person(TENANT, across.requester_object_id, "T.M.", frozenset({Role.TEAM_MANAGER, Role.COORDINATOR}))
    relations = relations_of(manager, across, CaseFacts(on_receiving_roster=True), rochdale)
    assert relations == {Relation.REQUESTER, Relation.RECEIVING_SIDE}
    got = admissible(across, Event.ACCEPT, manager, relations, rochdale)
    assert isinstance(got, Refusal) and got.reason == OWN_REQUEST_REFUSAL
    assert Event.ACCEPT not in available_events(manager, relations, across, rochdale)
    assert Event.WITHDRAW in available_events(manager, relations, across, rochdale)


def test_local_modes_trial_person_may_decide_their_own_request_to_try_the_bot_alone() -> None:
    redcar = PROFILES["redcar"]
    step_down = a_transfer(redcar, Direction.STEP_DOWN_EARLY_HELP, Route.DIRECT, State.SUBMITTED, authorised=True)
    trial = Person(TENANT, step_down.requester_object_id, "T.R.", frozenset(Role), trial=True)
    relations = relations_of(trial, step_down, CaseFacts(on_receiving_roster=True), redcar)
    assert not isinstance(admissible(step_down, Event.ACCEPT, trial, relations, redcar), Refusal)
    configured = replace(trial, trial=False)
    assert isinstance(admissible(step_down, Event.ACCEPT, configured, relations, redcar), Refusal)


# -- how a person stands to a case ---------------------------------------------------------------------------------
def test_relationships_come_from_the_record_and_the_facts_found() -> None:
    york = PROFILES["york"]
    base = a_transfer(york, Direction.STEP_UP, Route.DIRECT, State.ACCEPTED)
    held = replace(
        base,
        decision=Decisions(
            allocation=Allocation(team="MASH", worker_name="W.K.", worker_object_id="worker"),
            previous_worker=PreviousWorker(name="P.W.", object_id="previous"),
        ),
        escalated_to=None,
    )

    def of(object_id: str, *roles: Role, facts: CaseFacts | None = None, tenant: str = TENANT) -> set[Relation]:
        return set(relations_of(Person(tenant, object_id, "", frozenset(roles)), held, facts or CaseFacts(), york))

    assert of("someone", Role.SOCIAL_WORKER) == set()
    assert of(held.requester_object_id, Role.EARLY_HELP_WORKER) == {Relation.REQUESTER}
    assert of(held.requester_object_id, Role.EARLY_HELP_WORKER, tenant="another") == set()
    assert of("mgr", Role.EARLY_HELP_TEAM_MANAGER, facts=CaseFacts(manages_requester=True)) == {
        Relation.REQUESTERS_MANAGER
    }
    assert of("fd", Role.FRONT_DOOR, facts=CaseFacts(on_receiving_roster=True)) == {Relation.RECEIVING_SIDE}
    assert of("fd", Role.FRONT_DOOR) == set(), "a decider not on the channel's roster is not the receiving side"
    assert of("co", Role.COORDINATOR, facts=CaseFacts(on_receiving_roster=True)) == set(), "step ups: front door only"
    assert of("worker", Role.SOCIAL_WORKER) == {Relation.ALLOCATED_WORKER}
    assert of("wm", Role.TEAM_MANAGER, facts=CaseFacts(manages_worker=True)) == {Relation.ALLOCATED_WORKERS_MANAGER}
    assert of("previous", Role.SOCIAL_WORKER) == {Relation.PREVIOUS_WORKER}
    assert of("chair", Role.MEETING_CHAIR) == set(), "a step up in York is not on the weekly meeting"
    on_the_meeting = replace(held, details=details(york, Direction.STEP_DOWN_EARLY_HELP, Route.WEEKLY_MEETING))
    chair = Person(TENANT, "chair", "", frozenset({Role.MEETING_CHAIR}))
    assert relations_of(chair, on_the_meeting, CaseFacts(), york) == {Relation.CHAIR}
    escalated = replace(held, escalated_to=Role.HEAD_OF_SERVICE)
    head = Person(TENANT, "hos", "", frozenset({Role.HEAD_OF_SERVICE}))
    assert relations_of(head, escalated, CaseFacts(), york) == {Relation.ESCALATION}
    assert relations_of(head, held, CaseFacts(), york) == frozenset()


def test_every_event_has_an_entry_in_the_event_table() -> None:
    assert set(EVENTS) == set(Event)
    assert all(rule.event is event for event, rule in EVENTS.items())
    assert all(rule.grants for rule in EVENTS.values())


def test_a_joint_visit_date_is_a_date() -> None:
    allocation = Allocation(team="T", joint_visit_on=date(2026, 12, 8))
    assert allocation.model_dump()["joint_visit_on"] == date(2026, 12, 8)
