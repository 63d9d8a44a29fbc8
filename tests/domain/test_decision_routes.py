"""Each authority's decision route (issue 11): which route a request takes given its direction and answers, where
it goes, who decides it there, and which events each person is offered, under every shipped profile."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from bot.profile_files import all_profiles
from bot.settings import REPO_ROOT
from domain.booking import BookingDetails, clinic_directions, details_problems
from domain.directions import Direction
from domain.profiles import PolicyProfile
from domain.roles import Person, Role
from domain.transfer_access import (
    CaseFacts,
    available_events,
    deciders,
    meeting_decides_on,
    relations_of,
)
from domain.transfer_machine import Event, State
from domain.transfer_record import Authorised, Decisions, Transfer
from domain.transfers import (
    Route,
    TransferDetails,
    receiving_channel,
    request_problems,
    route_choice_needed,
    route_title,
    routed,
)

PROFILES = all_profiles(REPO_ROOT / "profiles")
NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
TENANT = "tenant"
REQUESTER = "requester-object-id"


def details(
    profile: PolicyProfile, direction: Direction, from_team: str, to_service: str = "", route: str = "direct"
) -> TransferDetails:
    """A request with these answers, on the route the profile's rules pick (or `route` where it is a choice)."""
    raw = TransferDetails.model_validate(
        {
            "case_reference": "DEMO-0001",
            "children_count": 1,
            "direction": direction,
            "from_team": from_team,
            "to_service": to_service or profile.transfers.to_services[direction][0],
            "reason": "An invented reason.",
            "route": route,
            "consent": {
                "status": "given",
                "relationship": "Mother",
                "initials": "A.B.",
                "how": "Phone",
                "on": NOW.date(),
                "scopes": [s.value for s in profile.consent.scopes],  # every scope: the routes are what is tested
            },
            "manager": {"manager": "T.M.", "decided_on": NOW.date()},
        }
    )
    return routed(raw, profile)


def transfer(
    profile: PolicyProfile, request: TransferDetails, *, state: State = State.SUBMITTED, wording: str = ""
) -> Transfer:
    return Transfer(
        id=1,
        version=1,
        state=state,
        paused_from=None,
        tenant_id=TENANT,
        requester_object_id=REQUESTER,
        requester_name="S.W.",
        details=request,
        receiving_channel=receiving_channel(request, profile),
        wording=wording,
    )


def offered(profile: PolicyProfile, case: Transfer, role: Role, *, on_roster: bool = True) -> list[Event]:
    """The buttons a person holding `role` gets on this request, on the receiving channel's roster or not."""
    person = Person(TENANT, f"{role.value}-object-id", "A.C.", frozenset({role}))
    relations = relations_of(person, case, CaseFacts(on_receiving_roster=on_roster), profile)
    return available_events(person, relations, case, profile)


ACCEPTING = {Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED}


# -- every profile ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(PROFILES))
def test_every_rule_cites_its_seed_and_every_answer_of_a_ruled_direction_has_a_route(key: str) -> None:
    profile = PROFILES[key]
    transfers = profile.transfers
    for rule in transfers.route_rules:
        assert rule.source.startswith(profile.source[:3]), rule
    for direction in transfers.to_services:
        if not transfers.ruled(direction):
            continue
        for team in transfers.from_teams:
            for service in transfers.to_services[direction]:
                assert transfers.route_choices(direction, team, service), (direction, team, service)


def _raw(key: str) -> dict[str, Any]:
    with (REPO_ROOT / "profiles" / f"{key}.toml").open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"route": "panel"}, "is not one of transfers.routes"),
        ({"from_teams": ["A team nobody has"]}, "from_teams not in transfers.from_teams"),
        ({"to_services": ["Nowhere"]}, "to_services not offered"),
        ({"source": "004 York, 3.2"}, "must cite this profile's seed"),
        ({"deciders": ["head_of_service"]}, "deciders must be roles that decide"),
        ({"authorised_by": "front_door"}, "an authorisation is named"),
        ({"authorisation": "Authorised"}, "authorisation settings need authorised_by"),
    ],
)
def test_a_wrong_route_rule_stops_start_up(change: dict[str, Any], words: str) -> None:
    raw = _raw("dorset")
    raw["transfers"]["route_rules"][0].update(change)
    with pytest.raises(ValidationError, match=words):
        PolicyProfile.model_validate(raw)


def test_a_ruled_direction_that_leaves_an_answer_without_a_route_stops_start_up() -> None:
    raw = _raw("dorset")
    # Without the CWAD rule, a step up from CWAD would have nowhere to go.
    raw["transfers"]["route_rules"] = [
        r
        for r in raw["transfers"]["route_rules"]
        if not (r["direction"] == "step_up" and "CWAD" in str(r["from_teams"]))
    ]
    with pytest.raises(ValidationError, match="no route"):
        PolicyProfile.model_validate(raw)


# -- Dorset -------------------------------------------------------------------------------------------------------
DORSET = PROFILES["dorset"]


def test_dorset_a_step_up_goes_to_the_locality_meeting_and_chad_does_not_decide_it() -> None:
    request = details(DORSET, Direction.STEP_UP, "Locality Early Help team")
    assert request.route is Route.WEEKLY_MEETING
    assert not route_choice_needed(Direction.STEP_UP, DORSET)
    assert receiving_channel(request, DORSET) == "coordinators"
    assert route_title(request, DORSET) == "Locality Step Up/Step Down Meeting (weekly, on Tuesdays)"
    case = transfer(DORSET, request)
    assert deciders(case, DORSET) == {Role.COORDINATOR, Role.EARLY_HELP_TEAM_MANAGER}
    assert meeting_decides_on(case, DORSET)
    # The early help team manager considers it and the administrator schedules it; neither accepts it outside
    # the meeting (the administrator may enter the meeting's outcome, as the coordinators who run a meeting do).
    manager = offered(DORSET, case, Role.EARLY_HELP_TEAM_MANAGER)
    assert Event.SCHEDULE in manager and not ACCEPTING & set(manager), manager
    administrator = offered(DORSET, case, Role.COORDINATOR)
    assert Event.SCHEDULE in administrator and not {Event.ACCEPT, Event.THRESHOLD_MET} & set(administrator)
    # ChAD's consultant social worker, even in the meeting's channel, has nothing to decide.
    assert offered(DORSET, case, Role.FRONT_DOOR) == []
    # The meeting's chair records the outcome.
    assert Event.OUTCOME_AGREED in offered(DORSET, case, Role.MEETING_CHAIR, on_roster=False)


def test_dorset_cwad_goes_manager_to_manager_and_every_other_handover_to_the_meeting() -> None:
    for direction in (Direction.STEP_UP, Direction.STEP_DOWN_EARLY_HELP):
        cwad = details(DORSET, direction, "Children who are disabled (CWAD)")
        assert (cwad.route, receiving_channel(cwad, DORSET)) == (Route.MANAGER_AGREEMENT, "managers")
        case = transfer(DORSET, cwad)
        assert not meeting_decides_on(case, DORSET)
        assert Event.ACCEPT in offered(DORSET, case, Role.TEAM_MANAGER)
    for direction, team in (
        (Direction.STEP_DOWN_EARLY_HELP, "Locality social work team"),
        (Direction.STEP_ACROSS, "Locality social work team"),
        (Direction.CO_WORK, "Children who are disabled (CWAD)"),
    ):
        request = details(DORSET, direction, team)
        assert request.route is Route.WEEKLY_MEETING
        assert meeting_decides_on(transfer(DORSET, request), DORSET)


def test_dorset_names_the_meetings_administrator_and_no_locality_practice_manager() -> None:
    titles = [DORSET.role_title(role) for role in Role]
    assert DORSET.role_title(Role.COORDINATOR) == "Step Up/Step Down Meeting Administrator"
    assert not any("practice manager" in title.lower() for title in titles)
    assert "practice manager" not in (REPO_ROOT / "profiles" / "dorset.toml").read_text().lower()


def test_a_route_the_rules_do_not_give_is_refused_on_the_form() -> None:
    # A request whose answers give one route is put on it, whatever the form sent.
    request = details(DORSET, Direction.STEP_UP, "Locality Early Help team", route="manager_agreement")
    assert request.route is Route.WEEKLY_MEETING
    assert request_problems(request, DORSET, today=NOW.date()) == []


def _authorised(case: Transfer) -> Transfer:
    decision = Decisions(authorised=Authorised(by_name="M.M.", at=NOW))
    return Transfer(**{**case.__dict__, "decision": decision})


# -- York ---------------------------------------------------------------------------------------------------------
YORK = PROFILES["york"]


def test_york_only_targeted_intervention_goes_to_the_weekly_transfer_meeting() -> None:
    ti = details(YORK, Direction.STEP_DOWN_EARLY_HELP, "Assessment Team", "Targeted Intervention Service")
    assert ti.route is Route.WEEKLY_MEETING
    case = transfer(YORK, ti)
    assert meeting_decides_on(case, YORK)
    assert Event.ACCEPT not in offered(YORK, case, Role.COORDINATOR)
    assert Event.OUTCOME_AGREED in offered(YORK, case, Role.MEETING_CHAIR, on_roster=False)
    # A partner-led step down goes on to closure without the meeting: the practice managers accept it.
    partner = details(YORK, Direction.STEP_DOWN_EARLY_HELP, "MASH", "Partner-led early help (lead professional)")
    assert (partner.route, receiving_channel(partner, YORK)) == (Route.DIRECT, "coordinators")
    led = transfer(YORK, partner)
    assert not meeting_decides_on(led, YORK)
    assert Event.ACCEPT in offered(YORK, led, Role.COORDINATOR)
    assert not set(offered(YORK, led, Role.MEETING_CHAIR, on_roster=False)) & ACCEPTING
    universal = details(YORK, Direction.STEP_DOWN_UNIVERSAL, "Assessment Team")
    assert Event.ACCEPT in offered(YORK, transfer(YORK, universal), Role.COORDINATOR)


def test_york_a_step_up_goes_to_mash_from_a_partner_and_to_the_assessment_service_manager_from_targeted_help() -> None:
    partner = details(YORK, Direction.STEP_UP, "Partner agency lead professional")
    assert (partner.route, receiving_channel(partner, YORK)) == (Route.DIRECT, "front_door")
    case = transfer(YORK, partner)
    assert Event.THRESHOLD_MET in offered(YORK, case, Role.FRONT_DOOR)
    # MASH's 1 working day applies to the partner's step up only.
    [clock] = [r for r in YORK.deadlines if r.key == "mash_decision"]
    assert clock.applies_to(
        direction=Direction.STEP_UP,
        from_team="Partner agency lead professional",
        to_service=partner.to_service,
        route="direct",
    )
    assert not clock.applies_to(
        direction=Direction.STEP_UP,
        from_team="Targeted Early Help",
        to_service=partner.to_service,
        route="manager_agreement",
    )
    targeted = details(YORK, Direction.STEP_UP, "Targeted Early Help")
    assert (targeted.route, receiving_channel(targeted, YORK)) == (Route.MANAGER_AGREEMENT, "managers")
    assert route_title(targeted, YORK) == "Discussion with the assessment service manager on duty"
    duty = transfer(YORK, targeted)
    assert deciders(duty, YORK) == {Role.TEAM_MANAGER}
    assert Event.ACCEPT in offered(YORK, duty, Role.TEAM_MANAGER)
    assert offered(YORK, duty, Role.FRONT_DOOR) == []


def test_york_tells_the_team_around_the_child_after_allocation_not_on_the_checklist_before_it() -> None:
    for direction in (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL):
        assert not any("team around the child" in item.label for item in YORK.transfers.checklist(direction))
    [step] = YORK.transfers.after_allocation
    assert "team around the child" in step.label and step.source.startswith("004")
    assert step.applies_to(Direction.STEP_DOWN_EARLY_HELP, "Targeted Intervention Service")


# -- Cheshire East ------------------------------------------------------------------------------------------------
CHESHIRE_EAST = PROFILES["cheshire_east"]
LEAD_PERSON = "Lead person from the CiN plan's professionals"
AT_THE_MEETING = "Early Help worker (allocated at the meeting)"


def test_cheshire_east_a_step_down_with_a_lead_person_goes_direct_and_without_one_to_the_meeting() -> None:
    team = "Child in Need / Child Protection team"
    direct = details(CHESHIRE_EAST, Direction.STEP_DOWN_EARLY_HELP, team, LEAD_PERSON)
    assert direct.route is Route.DIRECT
    case = transfer(CHESHIRE_EAST, direct)
    assert not meeting_decides_on(case, CHESHIRE_EAST)
    assert Event.ACCEPT in offered(CHESHIRE_EAST, case, Role.COORDINATOR)
    assert not set(offered(CHESHIRE_EAST, case, Role.MEETING_CHAIR, on_roster=False)) & ACCEPTING
    meeting = details(CHESHIRE_EAST, Direction.STEP_DOWN_EARLY_HELP, team, AT_THE_MEETING)
    assert meeting.route is Route.WEEKLY_MEETING
    booked = transfer(CHESHIRE_EAST, meeting)
    assert meeting_decides_on(booked, CHESHIRE_EAST)
    assert Event.ACCEPT not in offered(CHESHIRE_EAST, booked, Role.COORDINATOR)
    assert Event.OUTCOME_AGREED in offered(CHESHIRE_EAST, booked, Role.MEETING_CHAIR, on_roster=False)


def test_cheshire_east_a_step_up_agreed_at_the_meeting_is_then_accepted_by_checs() -> None:
    # Two pathways for the same answers: the requester chooses on the form.
    assert route_choice_needed(Direction.STEP_UP, CHESHIRE_EAST)
    assert not route_choice_needed(Direction.STEP_DOWN_EARLY_HELP, CHESHIRE_EAST)
    team = "Early Help (Cheshire East Family Service)"
    request = details(CHESHIRE_EAST, Direction.STEP_UP, team, route="weekly_meeting")
    assert request.route is Route.WEEKLY_MEETING and receiving_channel(request, CHESHIRE_EAST) == "coordinators"
    case = transfer(CHESHIRE_EAST, request)
    # Before the meeting agrees, ChECS accepts nothing; the chair records the agreement, not an accepting outcome.
    checs = offered(CHESHIRE_EAST, case, Role.FRONT_DOOR)
    assert not ACCEPTING & set(checs) and Event.AUTHORISE not in checs
    chair = offered(CHESHIRE_EAST, case, Role.MEETING_CHAIR, on_roster=False)
    assert Event.AUTHORISE in chair and Event.OUTCOME_AGREED not in chair
    assert Event.OUTCOME_NOT_AGREED in chair, "the meeting may still not agree it"
    # Agreed: the ChECS representative accepts it; the chair does not.
    agreed = _authorised(case)
    assert {Event.THRESHOLD_MET, Event.ACCEPT} <= set(offered(CHESHIRE_EAST, agreed, Role.FRONT_DOOR))
    assert Event.AUTHORISE not in offered(CHESHIRE_EAST, agreed, Role.MEETING_CHAIR, on_roster=False)
    # The immediate safeguarding pathway goes straight to ChECS, with no meeting.
    urgent = details(CHESHIRE_EAST, Direction.STEP_UP, team, route="direct")
    assert receiving_channel(urgent, CHESHIRE_EAST) == "front_door"
    assert Event.THRESHOLD_MET in offered(CHESHIRE_EAST, transfer(CHESHIRE_EAST, urgent), Role.FRONT_DOOR)
    # A route the answers do not allow is named on the form.
    assert request_problems(
        details(CHESHIRE_EAST, Direction.STEP_UP, team, route="clinic"), CHESHIRE_EAST, today=NOW.date()
    )


def test_cheshire_east_uses_the_policys_roles_and_assumes_the_meetings_cadence() -> None:
    assert CHESHIRE_EAST.role_title(Role.MEETING_CHAIR) == "Chair of the Step Up/Step Down meeting"
    assert CHESHIRE_EAST.role_title(Role.FRONT_DOOR) == "ChECS representative"
    assert CHESHIRE_EAST.role_title(Role.TEAM_MANAGER) == "Team Manager"
    assert "practice manager" not in (REPO_ROOT / "profiles" / "cheshire_east.toml").read_text().lower()
    assert CHESHIRE_EAST.transfers.meeting_cadence == "weekly"
    assert "transfers.meeting_cadence" in CHESHIRE_EAST.assumptions.fields
    meeting = details(CHESHIRE_EAST, Direction.STEP_DOWN_EARLY_HELP, "Partner agency lead person", AT_THE_MEETING)
    assert route_title(meeting, CHESHIRE_EAST) == "No lead person identified: the Step Up/Step Down meeting (weekly)"


# -- Redcar -------------------------------------------------------------------------------------------------------
REDCAR = PROFILES["redcar"]
FIELD = "Field social work team"
INTERNAL = "Internal Early Help team"


def _redcar_step_down(team: str, service: str, **extra: Any) -> TransferDetails:
    request = details(REDCAR, Direction.STEP_DOWN_EARLY_HELP, team, service)
    values = {"discussed_with": "E.C.", "discussed_on": NOW.date(), **extra}
    return request.model_copy(update=values)


def test_redcars_clinic_offers_only_the_directions_redcar_has() -> None:
    assert clinic_directions(REDCAR) == (Direction.STEP_DOWN_EARLY_HELP,)
    universal = BookingDetails(
        case_reference="DEMO-0001",
        team=FIELD,
        direction=Direction.STEP_DOWN_UNIVERSAL,
        decision_date=NOW.date(),
        reason="An invented reason.",
        manager_agreed=True,
    )
    problems = details_problems(
        universal,
        reference_pattern=REDCAR.case_reference_pattern,
        today=NOW.date(),
        directions=clinic_directions(REDCAR),
    )
    assert problems == ["The clinic takes a step down to early help only."]


def test_redcar_the_mach_manager_authorises_a_step_down_before_the_coordinators_accept_it() -> None:
    for team, route in ((FIELD, Route.CLINIC), ("Assessment Team", Route.DIRECT)):
        request = _redcar_step_down(team, INTERNAL)
        assert request.route is route
        case = transfer(REDCAR, request, wording=REDCAR.transfers.wording)
        coordinators = offered(REDCAR, case, Role.COORDINATOR)
        assert not ACCEPTING & set(coordinators), "nobody accepts before the MACH manager authorises"
        assert Event.DECLINE in coordinators and Event.ASK_FOR_INFORMATION in coordinators
        # The MACH manager (the front door role) authorises; not from the coordinators' channel roster alone.
        assert offered(REDCAR, case, Role.FRONT_DOOR, on_roster=False) == [Event.AUTHORISE]
        authorised = _authorised(case)
        assert Event.ACCEPT in offered(REDCAR, authorised, Role.COORDINATOR)
        assert Event.AUTHORISE not in offered(REDCAR, authorised, Role.FRONT_DOOR, on_roster=False)
    # Without the agreed wording the referral cannot be authorised, and the form says so before it is sent.
    bare = _redcar_step_down(FIELD, INTERNAL, discussed_with="", discussed_on=None)
    assert any("needs the wording" in p for p in request_problems(bare, REDCAR, today=NOW.date()))
    assert offered(REDCAR, transfer(REDCAR, bare), Role.FRONT_DOOR, on_roster=False) == []
    # An external agency's pathway needs no MACH authorisation: its own referral form is used.
    external = transfer(REDCAR, _redcar_step_down(FIELD, "External agency"))
    assert Event.ACCEPT in offered(REDCAR, external, Role.COORDINATOR)
    assert offered(REDCAR, external, Role.FRONT_DOOR, on_roster=False) == []


def test_redcars_28_days_apply_to_field_team_step_downs_to_an_internal_team_only() -> None:
    [rule] = [r for r in REDCAR.deadlines if r.key == "whole_step_down"]
    step_down = Direction.STEP_DOWN_EARLY_HELP
    assert rule.applies_to(direction=step_down, from_team=FIELD, to_service=INTERNAL, route="clinic")
    assert not rule.applies_to(direction=step_down, from_team="Assessment Team", to_service=INTERNAL, route="direct")
    assert not rule.applies_to(direction=step_down, from_team=FIELD, to_service="External agency", route="clinic")
