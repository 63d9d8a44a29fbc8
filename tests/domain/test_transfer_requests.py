"""Transfer requests: consent, the profile's lists and checklists, Redcar's wording, channels, the decision clock."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.deadline_rules import Fact, rules_for
from domain.deadline_times import due_at
from domain.directions import Direction
from domain.profiles import PolicyProfile
from domain.transfer_policy import KNOWN_ROUTES, Transfers
from domain.transfers import (
    CONSENT_TITLES,
    ROUTE_TITLES,
    Consent,
    ConsentStatus,
    ManagerAgreement,
    Route,
    TransferDetails,
    case_label,
    missing_checklist,
    receiving_channel,
    request_problems,
    wording_for,
)
from domain.working_days import WorkingCalendar

PROFILES_DIR = Path(__file__).resolve().parents[2] / "profiles"
SHIPPED = ("cheshire_east", "dorset", "redcar", "rochdale", "york")
TODAY = date(2026, 11, 25)
REDCAR_WORDING = "Step Down to Early Help agreed with Team Manager and following discussion with Early Help Coordinator"
ROCHDALE_STANDARDS = [
    "assessment",
    "plan",
    "chronology",
    "last_visit",
    "case_summary",
    "meeting_minutes",
    "supervision",
    "genogram",
]


def load(key: str) -> PolicyProfile:
    return PolicyProfile.model_validate(tomllib.loads((PROFILES_DIR / f"{key}.toml").read_text(encoding="utf-8")))


PROFILES = {key: load(key) for key in SHIPPED}
OFFERED = [(key, direction) for key in SHIPPED for direction in PROFILES[key].transfers.to_services]


def consent_given() -> Consent:
    return Consent(status=ConsentStatus.GIVEN, relationship="Mother", initials="A.B.", how="In person", on=TODAY)


def consent_not_sought() -> Consent:
    return Consent(
        status=ConsentStatus.NOT_SOUGHT_RISK,
        risk_reason="Telling the parent would put the child at risk of further harm",
        agreed_by="T.M.",
    )


def consent_refused() -> Consent:
    return Consent(status=ConsentStatus.REFUSED)


def request(profile: PolicyProfile, direction: Direction, **overrides: Any) -> TransferDetails:
    """A request that passes every check in `profile`, changed by `overrides`."""
    transfers = profile.transfers
    route = next(r for r in transfers.routes if r != Route.CLINIC.value)
    fields: dict[str, Any] = {
        "case_reference": profile.case_reference_example,
        "children_count": 2,
        "direction": direction,
        "from_team": transfers.from_teams[0],
        "to_service": transfers.to_services[direction][0],
        "reason": "Needs have reduced since the plan began",
        "outstanding_needs": "School attendance",
        "level_of_need": transfers.level_of_need[0] if transfers.level_of_need else "",
        "route": route,
        "consent": consent_given(),
        "manager": ManagerAgreement(manager="T.M.", decided_on=TODAY - timedelta(days=2)),
    }
    if direction is Direction.STEP_DOWN_EARLY_HELP:
        # Discussed with a coordinator: Redcar's MACH manager authorises a referral with its wording (standard 2).
        fields.update(discussed_with="E.C.", discussed_on=TODAY - timedelta(days=1))
    fields.update(overrides)
    consent = fields["consent"]
    if consent.status is ConsentStatus.GIVEN and not consent.scopes:
        # Consent covering everything the profile's form offers (tests/domain/test_consent.py checks scopes).
        fields["consent"] = consent.model_copy(update={"scopes": tuple(profile.consent.scopes)})
    return TransferDetails(**fields)


def transfers_with(profile: PolicyProfile, **changes: Any) -> Transfers:
    data = profile.transfers.model_dump()
    data.update(changes)
    return Transfers.model_validate(data)


def profile_with(profile: PolicyProfile, **changes: Any) -> PolicyProfile:
    return profile.model_copy(update={"transfers": transfers_with(profile, **changes)})


# Every shipped profile


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_profile_loads_and_offers_services_and_a_checklist_for_each_direction(key: str) -> None:
    transfers = load(key).transfers
    assert transfers.to_services, key
    for direction, services in transfers.to_services.items():
        assert services, (key, direction)
        assert transfers.checklists[direction], (key, direction)
    assert set(transfers.checklists) == set(transfers.to_services)


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_profile_needs_consent_to_step_down_to_early_help(key: str) -> None:
    assert Direction.STEP_DOWN_EARLY_HELP in PROFILES[key].transfers.consent_required


@pytest.mark.parametrize("key", SHIPPED)
def test_every_transfers_assumption_names_a_real_field(key: str) -> None:
    for assumed in PROFILES[key].assumptions.fields:
        section, _, name = assumed.partition(".")
        if section == "transfers":
            assert name in Transfers.model_fields, assumed


@pytest.mark.parametrize(("key", "direction"), OFFERED)
def test_a_complete_request_has_no_problems_in_any_direction_a_profile_offers(key: str, direction: Direction) -> None:
    profile = PROFILES[key]
    consent = consent_not_sought() if direction is Direction.STEP_UP else consent_given()
    assert request_problems(request(profile, direction, consent=consent), profile, today=TODAY) == []


def test_the_meeting_decides_in_dorset_cheshire_east_and_york_the_receiving_side_in_redcar_and_rochdale() -> None:
    authority = {key: profile.transfers.decision_authority for key, profile in PROFILES.items()}
    assert authority == {
        "cheshire_east": "meeting",
        "dorset": "meeting",
        "redcar": "receiving_side",
        "rochdale": "receiving_side",
        "york": "meeting",
    }


def test_the_route_enum_and_the_profile_routes_name_the_same_values() -> None:
    assert {route.value for route in Route} == set(KNOWN_ROUTES)
    assert set(ROUTE_TITLES) == set(Route)
    assert set(CONSENT_TITLES) == set(ConsentStatus)


def test_only_a_profile_with_a_clinic_may_offer_the_clinic_route() -> None:
    york = PROFILES["york"]
    with pytest.raises(ValidationError, match="no \\[clinic\\]"):
        PolicyProfile.model_validate(
            {
                **york.model_dump(),
                "transfers": {**york.transfers.model_dump(), "routes": ["clinic", *york.transfers.routes]},
            }
        )


def test_a_profile_without_a_transfers_section_gets_a_usable_default() -> None:
    profile = PolicyProfile(key="demo", authority="Demo", source="none")
    assert Direction.STEP_DOWN_EARLY_HELP in profile.transfers.consent_required
    assert request_problems(request(profile, Direction.STEP_DOWN_EARLY_HELP), profile, today=TODAY) == []


# Consent


@pytest.mark.parametrize("key", SHIPPED)
def test_a_step_down_to_early_help_without_consent_given_cannot_be_submitted(key: str) -> None:
    profile = PROFILES[key]
    for consent in (consent_not_sought(), consent_refused()):
        problems = request_problems(
            request(profile, Direction.STEP_DOWN_EARLY_HELP, consent=consent), profile, today=TODAY
        )
        assert any("consent" in p or "refused" in p for p in problems), (key, consent.status)


def test_a_refusal_blocks_a_step_down_to_early_help_even_where_the_profile_does_not_require_consent() -> None:
    profile = profile_with(PROFILES["redcar"], consent_required=[])
    refused = request(profile, Direction.STEP_DOWN_EARLY_HELP, consent=consent_refused())
    assert request_problems(refused, profile, today=TODAY) == [
        "The family has refused early help, so the case cannot step down to it."
    ]
    not_sought = request(profile, Direction.STEP_DOWN_EARLY_HELP, consent=consent_not_sought())
    assert request_problems(not_sought, profile, today=TODAY) == []


@pytest.mark.parametrize("key", SHIPPED)
def test_a_step_up_may_go_without_consent_only_with_the_risk_reason_recorded(key: str) -> None:
    profile = PROFILES[key]
    assert request_problems(request(profile, Direction.STEP_UP, consent=consent_given()), profile, today=TODAY) == []
    assert (
        request_problems(request(profile, Direction.STEP_UP, consent=consent_not_sought()), profile, today=TODAY) == []
    )
    refused = request_problems(request(profile, Direction.STEP_UP, consent=consent_refused()), profile, today=TODAY)
    assert len(refused) == 1 and "increase the risk" in refused[0]


def test_consent_not_sought_needs_the_risk_reason_and_the_manager_who_agreed() -> None:
    with pytest.raises(ValidationError, match="manager who agreed"):
        Consent(status=ConsentStatus.NOT_SOUGHT_RISK, agreed_by="T.M.")
    with pytest.raises(ValidationError, match="manager who agreed"):
        Consent(status=ConsentStatus.NOT_SOUGHT_RISK, risk_reason="It would increase the risk")
    with pytest.raises(ValidationError, match="manager who agreed"):
        Consent(status=ConsentStatus.NOT_SOUGHT_RISK, risk_reason="   ", agreed_by="T.M.")


def test_consent_given_needs_who_gave_it_how_and_when() -> None:
    with pytest.raises(ValidationError, match="missing: on"):
        Consent(status=ConsentStatus.GIVEN, relationship="Father", initials="C.D.", how="By phone")
    with pytest.raises(ValidationError, match="missing: relationship, initials"):
        Consent(status=ConsentStatus.GIVEN, how="By phone", on=TODAY)
    with pytest.raises(ValidationError, match="initials"):
        Consent(status=ConsentStatus.GIVEN, relationship="Father", initials="Jo Smith", how="By phone", on=TODAY)


def test_rochdale_needs_consent_to_step_down_to_universal_services_but_york_does_not() -> None:
    rochdale, york = PROFILES["rochdale"], PROFILES["york"]
    refused_r = request(rochdale, Direction.STEP_DOWN_UNIVERSAL, consent=consent_refused())
    assert any(
        "needs the family's consent in Rochdale" in p for p in request_problems(refused_r, rochdale, today=TODAY)
    )
    refused_y = request(york, Direction.STEP_DOWN_UNIVERSAL, consent=consent_refused())
    assert request_problems(refused_y, york, today=TODAY) == []


def test_a_rochdale_co_work_request_may_record_consent_as_not_sought() -> None:
    rochdale = PROFILES["rochdale"]
    details = request(rochdale, Direction.CO_WORK, consent=consent_not_sought())
    assert request_problems(details, rochdale, today=TODAY) == []


# Redcar's wording


def test_redcars_wording_goes_on_a_step_down_discussed_with_a_coordinator() -> None:
    redcar = PROFILES["redcar"]
    details = request(redcar, Direction.STEP_DOWN_EARLY_HELP, discussed_with="E.C.", discussed_on=TODAY)
    assert wording_for(details, redcar) == REDCAR_WORDING


def test_redcars_wording_goes_on_a_step_down_discussed_at_a_booked_clinic() -> None:
    redcar = PROFILES["redcar"]
    details = request(redcar, Direction.STEP_DOWN_EARLY_HELP, route=Route.CLINIC, booking_id=42)
    assert wording_for(details, redcar) == REDCAR_WORDING


def test_redcars_wording_is_withheld_without_a_discussion_with_a_coordinator() -> None:
    redcar = PROFILES["redcar"]
    alone = {"discussed_with": "", "discussed_on": None}
    assert wording_for(request(redcar, Direction.STEP_DOWN_EARLY_HELP, **alone), redcar) is None
    assert wording_for(request(redcar, Direction.STEP_DOWN_EARLY_HELP, route=Route.CLINIC, **alone), redcar) is None
    # Without it, a step down to an internal team is not sent: the MACH manager could not authorise it (standard 2).
    problems = request_problems(request(redcar, Direction.STEP_DOWN_EARLY_HELP, **alone), redcar, today=TODAY)
    assert any("needs the wording" in p for p in problems)


def test_redcars_wording_is_never_on_a_step_up_nor_in_a_profile_without_one() -> None:
    redcar, york = PROFILES["redcar"], PROFILES["york"]
    assert wording_for(request(redcar, Direction.STEP_UP, discussed_with="E.C."), redcar) is None
    assert wording_for(request(york, Direction.STEP_DOWN_EARLY_HELP, discussed_with="P.M."), york) is None


# Rochdale: the non-negotiable standards, capacity, level of need


def test_rochdales_non_negotiable_standards_are_the_checklist_for_every_direction() -> None:
    rochdale = PROFILES["rochdale"].transfers
    for direction in Direction:
        assert [item.key for item in rochdale.checklists[direction]] == ROCHDALE_STANDARDS, direction


def test_capacity_is_never_a_reason_to_decline_in_rochdale() -> None:
    rochdale = PROFILES["rochdale"]
    assert rochdale.transfers.capacity_is_never_a_reason
    reasons = [*rochdale.transfers.decline_reasons, "The team has no Capacity this month"]
    with pytest.raises(ValidationError, match="capacity is never a reason"):
        transfers_with(rochdale, decline_reasons=reasons)
    assert transfers_with(rochdale, decline_reasons=reasons, capacity_is_never_a_reason=False)


def test_unticked_checklist_items_are_listed_but_do_not_block_submitting() -> None:
    rochdale = PROFILES["rochdale"]
    details = request(
        rochdale, Direction.STEP_DOWN_EARLY_HELP, checklist={"assessment": True, "plan": True, "genogram": False}
    )
    assert request_problems(details, rochdale, today=TODAY) == []
    assert [item.key for item in missing_checklist(details, rochdale)] == ROCHDALE_STANDARDS[2:]


def test_rochdale_asks_for_a_known_level_of_need_and_other_profiles_do_not() -> None:
    rochdale, redcar = PROFILES["rochdale"], PROFILES["redcar"]
    assert request_problems(request(rochdale, Direction.STEP_UP, level_of_need=""), rochdale, today=TODAY) == [
        "Select the level of need."
    ]
    assert request_problems(request(rochdale, Direction.STEP_UP, level_of_need="Level 9"), rochdale, today=TODAY) == [
        "Select the level of need from the list."
    ]
    assert request_problems(request(redcar, Direction.STEP_UP, level_of_need="Level 2"), redcar, today=TODAY) == [
        "Redcar & Cleveland does not ask for a level of need: leave it empty."
    ]


# The profile's lists and the checklist keys


def test_unknown_checklist_keys_are_refused() -> None:
    york = PROFILES["york"]
    details = request(york, Direction.STEP_DOWN_EARLY_HELP, checklist={"assessment_shared": True, "child_name": True})
    assert request_problems(details, york, today=TODAY) == [
        "These are not on the checklist for a step down to early help request: child_name."
    ]


def test_another_directions_checklist_key_is_refused() -> None:
    rochdale, cheshire = PROFILES["rochdale"], PROFILES["cheshire_east"]
    assert not request_problems(
        request(rochdale, Direction.STEP_UP, checklist={"genogram": True}), rochdale, today=TODAY
    )
    details = request(cheshire, Direction.STEP_DOWN_EARLY_HELP, checklist={"group_supervision": True})
    assert len(request_problems(details, cheshire, today=TODAY)) == 1


def test_team_service_direction_and_route_must_come_from_the_profile() -> None:
    york = PROFILES["york"]
    problems = request_problems(
        request(york, Direction.STEP_DOWN_EARLY_HELP, from_team="Mars team", to_service="Somewhere", route=Route.PANEL),
        york,
        today=TODAY,
    )
    assert problems == [
        "Choose your team from the list.",
        "Choose the receiving service from the list for a step down to early help request.",
        "York does not use the panel route.",
    ]
    across = request(york, Direction.STEP_DOWN_EARLY_HELP).model_copy(update={"direction": Direction.STEP_ACROSS})
    assert "York does not take a request to step across between social work services through the bot." in (
        request_problems(across, york, today=TODAY)
    )


def test_a_booking_only_goes_with_the_clinic_route() -> None:
    redcar = PROFILES["redcar"]
    details = request(redcar, Direction.STEP_DOWN_EARLY_HELP, route=Route.DIRECT, booking_id=7)
    assert request_problems(details, redcar, today=TODAY) == ["A clinic booking goes with the clinic route."]


def test_the_case_reference_must_match_the_profiles_pattern_and_is_upper_cased() -> None:
    redcar = PROFILES["redcar"]
    assert request(redcar, Direction.STEP_UP, case_reference="  demo-0001 ").case_reference == "DEMO-0001"
    problems = request_problems(request(redcar, Direction.STEP_UP, case_reference="Jane Smith"), redcar, today=TODAY)
    assert problems == ["Enter the case reference as it is written in the case record, like DEMO-0001."]


def test_a_family_is_at_least_one_child_and_text_is_length_limited() -> None:
    redcar = PROFILES["redcar"]
    with pytest.raises(ValidationError, match="children_count"):
        request(redcar, Direction.STEP_UP, children_count=0)
    with pytest.raises(ValidationError, match="reason"):
        request(redcar, Direction.STEP_UP, reason="x" * 1001)
    with pytest.raises(ValidationError, match="outstanding_needs"):
        request(redcar, Direction.STEP_UP, outstanding_needs="x" * 1001)


# Dates


def test_dates_in_the_future_are_refused() -> None:
    york = PROFILES["york"]
    tomorrow = TODAY + timedelta(days=1)
    details = request(
        york,
        Direction.STEP_DOWN_EARLY_HELP,
        manager=ManagerAgreement(manager="T.M.", decided_on=tomorrow),
        consent=consent_given().model_copy(update={"on": tomorrow}),
        discussed_with="P.M.",
        discussed_on=tomorrow,
    )
    assert request_problems(details, york, today=TODAY) == [
        "The manager's decision cannot be dated in the future.",
        "The family's consent cannot be dated in the future.",
        "The discussion cannot be dated in the future.",
    ]
    assert request_problems(details, york, today=tomorrow) == []


# The front door's clock, as the profiles' deadline rules count it


YORK_CALENDAR = WorkingCalendar.from_profile(PROFILES["york"].working)


def front_door_due(profile: PolicyProfile, details: TransferDetails, submitted: datetime) -> datetime | None:
    """When the front door must decide a step up sent at `submitted`: the rule its referral starts, if any."""
    rules = rules_for(
        profile,
        Fact.REFERRAL_SUBMITTED,
        direction=details.direction,
        from_team=details.from_team,
        to_service=details.to_service,
        route=details.route.value,
    )
    rules = [r for r in rules if Fact.FRONT_DOOR_DECIDED in r.stops_on]
    calendar = WorkingCalendar.from_profile(profile.working)
    return due_at(rules[0], submitted, calendar, profile.working) if rules else None


PARTNER = "Partner agency lead professional"


def test_york_decides_a_partners_step_up_by_the_end_of_the_next_working_day_across_a_bank_holiday_weekend() -> None:
    york = PROFILES["york"]
    details = request(york, Direction.STEP_UP, from_team=PARTNER)
    # Friday 22 May 2026; Monday 25 May is the Spring Bank Holiday: due Tuesday 5pm (BST).
    friday = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)
    assert front_door_due(york, details, friday) == datetime(2026, 5, 26, 16, 0, tzinfo=UTC)
    # Christmas Eve 2026 is a Thursday; Christmas Day, the weekend and Boxing Day (observed) follow.
    christmas_eve = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    assert front_door_due(york, details, christmas_eve) == datetime(2026, 12, 29, 17, 0, tzinfo=UTC)


def test_york_counts_from_the_local_day_not_the_utc_day() -> None:
    york = PROFILES["york"]
    # 23:30 UTC on Thursday 4 June 2026 is 00:30 on Friday in York: due Monday, not Friday.
    late = datetime(2026, 6, 4, 23, 30, tzinfo=UTC)
    due = front_door_due(york, request(york, Direction.STEP_UP, from_team=PARTNER), late)
    assert due == datetime(2026, 6, 8, 16, 0, tzinfo=UTC)


def test_rochdale_decides_a_step_up_within_24_hours_weekends_included() -> None:
    rochdale = PROFILES["rochdale"]
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert front_door_due(rochdale, request(rochdale, Direction.STEP_UP), friday) == datetime(
        2026, 11, 28, 15, 0, tzinfo=UTC
    )


def test_only_a_step_up_has_a_front_door_decision_time() -> None:
    rochdale = PROFILES["rochdale"]
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert front_door_due(rochdale, request(rochdale, Direction.STEP_DOWN_EARLY_HELP), now) is None


# Channels and labels


def test_step_downs_go_to_the_coordinators_and_step_ups_to_the_front_door() -> None:
    rochdale = PROFILES["rochdale"]
    assert receiving_channel(request(rochdale, Direction.STEP_DOWN_EARLY_HELP), rochdale) == "coordinators"
    assert receiving_channel(request(rochdale, Direction.STEP_DOWN_UNIVERSAL), rochdale) == "coordinators"
    assert receiving_channel(request(rochdale, Direction.STEP_UP), rochdale) == "front_door"


def test_a_step_across_goes_to_the_channel_the_profile_names_for_the_receiving_service() -> None:
    dorset = PROFILES["dorset"]
    co_work = request(dorset, Direction.CO_WORK, to_service="Leaving Care Service (personal advisor)")
    assert receiving_channel(co_work, dorset) == "coordinators"
    own = profile_with(dorset, step_across_channels={"Leaving Care Service": "leaving_care"})
    assert receiving_channel(request(own, Direction.STEP_ACROSS, to_service="Leaving Care Service"), own) == (
        "leaving_care"
    )
    # A service the profile names no channel for goes to the managers, whose team manager decides.
    assert receiving_channel(request(own, Direction.STEP_ACROSS, to_service="Permanence Team"), own) == "managers"


def test_a_channel_for_a_service_no_step_across_offers_is_refused() -> None:
    with pytest.raises(ValidationError, match="Atlantis"):
        transfers_with(PROFILES["dorset"], step_across_channels={"Atlantis": "managers"})


def test_cards_show_initials_only_where_the_profile_says() -> None:
    york = PROFILES["york"]
    details = request(york, Direction.STEP_UP, child_initials="J.S.")
    assert case_label(details, york) == "DEMO-0001"
    showing = profile_with(york, show_initials=True)
    assert case_label(details, showing) == "DEMO-0001 (J.S.)"
    assert case_label(request(york, Direction.STEP_UP), showing) == "DEMO-0001"
