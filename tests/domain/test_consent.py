"""The consent record's rules: what each entry needs, what may follow what, and the profiles' [consent] rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.profile_files import all_profiles
from domain.consent import (
    ConsentEntry,
    as_recorded,
    consent_line,
    current_consent,
    entry_problems,
    first_entry,
    record_refusal,
    statuses_offered,
)
from domain.consent_rules import scope_problems
from domain.consent_terms import ConsentMethod, ConsentScope, ConsentStatus, method_of
from domain.directions import Direction
from domain.profiles import ConsentPolicy, ConsentRule, PolicyProfile
from domain.roles import Person, Role
from domain.transfer_events import Relation
from domain.transfer_machine import State
from domain.transfer_record import Decisions, Transfer
from domain.transfers import TransferDetails

PROFILES = all_profiles(Path(__file__).resolve().parents[2] / "profiles")
TODAY = date(2026, 11, 25)
S = ConsentScope


def details(
    profile: PolicyProfile, direction: Direction = Direction.STEP_DOWN_EARLY_HELP, **consent: Any
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
                "how": "by_phone",
                "on": "2026-11-20",
                **consent,
            },
            "manager": {"manager": "T.M.", "decided_on": "2026-11-19"},
        }
    )


def transfer(profile: PolicyProfile, state: State = State.SUBMITTED, **fields: Any) -> Transfer:
    entry = first_entry(details(profile, scopes=list(profile.consent.scopes)), TODAY)
    base = Transfer(
        id=1,
        version=3,
        state=state,
        paused_from=State.SUBMITTED if state is State.PAUSED else None,
        tenant_id="t",
        requester_object_id="requester",
        requester_name="S.W.",
        details=details(profile),
        receiving_channel="coordinators",
        decision=Decisions(consent=entry.note(1)),
    )
    return replace(base, **fields)


def given(**changes: Any) -> ConsentEntry:
    fields: dict[str, Any] = {
        "status": ConsentStatus.GIVEN,
        "on": TODAY,
        "relationship": "Mother",
        "initials": "A.B.",
        "method": ConsentMethod.IN_PERSON,
        "scopes": (S.SHARE_INFORMATION, S.EARLY_HELP_OFFER),
    }
    return ConsentEntry(**{**fields, **changes})


# -- entries ------------------------------------------------------------------------------------------------------
def test_the_first_entry_comes_from_the_request_form_and_reads_the_older_free_text_method() -> None:
    redcar = PROFILES["redcar"]
    entry = first_entry(details(redcar, how="In person at the home visit", scopes=["share_information"]), TODAY)
    assert (entry.status, entry.method, entry.on, entry.scopes) == (
        ConsentStatus.GIVEN,
        ConsentMethod.IN_PERSON,
        date(2026, 11, 20),
        (S.SHARE_INFORMATION,),
    )
    refused = first_entry(details(redcar, status="refused", relationship="", initials="", how="", on=None), TODAY)
    assert (refused.status, refused.on, refused.method) == (ConsentStatus.REFUSED, TODAY, None)
    ticked = details(redcar, status="refused", relationship="", initials="", how="", scopes=["share_information"])
    assert first_entry(ticked, TODAY).scopes == ()  # a refusal covers nothing, whatever was ticked


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("in_person", ConsentMethod.IN_PERSON),
        ("By phone", ConsentMethod.BY_PHONE),
        ("a phone call", ConsentMethod.BY_PHONE),
        ("At the meeting", ConsentMethod.AT_MEETING),
        ("by letter", None),
        ("", None),
    ],
)
def test_how_consent_was_given_is_read_from_the_choice_or_older_free_text(text: str, method: Any) -> None:
    assert method_of(text) is method


def test_a_complete_entry_has_no_problems_and_each_missing_fact_is_named() -> None:
    redcar = PROFILES["redcar"]
    request = transfer(redcar)
    assert entry_problems(given(), request, redcar, TODAY) == []
    problems = entry_problems(given(relationship="", method=None, scopes=()), request, redcar, TODAY)
    assert problems == [
        "Say who gave it: their relationship to the child and their initials.",
        "Choose how: in person, by phone or at the meeting.",
        "Tick what the family consented to.",
    ]


def test_an_entry_cannot_be_dated_in_the_future_nor_before_the_consent_it_follows() -> None:
    redcar = PROFILES["redcar"]
    request = transfer(redcar)
    assert entry_problems(given(on=date(2026, 11, 26)), request, redcar, TODAY) == [
        "The date consent was given can't be in the future."
    ]
    assert entry_problems(given(on=date(2026, 11, 19)), request, redcar, TODAY) == [
        "The date can't be before the consent recorded now (Friday 20 November 2026)."
    ]


def test_not_sought_needs_the_reason_and_the_manager_who_agreed() -> None:
    redcar = PROFILES["redcar"]
    bare = ConsentEntry(status=ConsentStatus.NOT_SOUGHT_RISK, on=TODAY)
    assert entry_problems(bare, transfer(redcar), redcar, TODAY) == [
        "Say why seeking consent would increase the risk to the child.",
        "Name the manager who agreed not to seek consent.",
    ]
    complete = bare.model_copy(update={"risk_reason": "It would alert the adult who harms.", "agreed_by": "T.M."})
    assert entry_problems(complete, transfer(redcar), redcar, TODAY) == []


@pytest.mark.parametrize("initials", ["A&B", "A 1", "A.B.C.D.E."])
def test_initials_are_a_few_letters_and_dots_only(initials: str) -> None:
    with pytest.raises(ValidationError):
        given(initials=initials)
    assert given(initials="A.B.").initials == "A.B."


def test_what_may_follow_what_withdrawn_only_while_consent_stands_given_again_only_while_paused() -> None:
    redcar = PROFILES["redcar"]
    open_request = transfer(redcar)
    assert statuses_offered(open_request) == [
        ConsentStatus.GIVEN,
        ConsentStatus.REFUSED,
        ConsentStatus.WITHDRAWN,
        ConsentStatus.NOT_SOUGHT_RISK,
    ]
    refused = replace(
        open_request,
        decision=Decisions(consent=ConsentEntry(status=ConsentStatus.REFUSED, on=TODAY).note(2)),
    )
    assert ConsentStatus.WITHDRAWN not in statuses_offered(refused)
    withdrawn = given(status=ConsentStatus.WITHDRAWN, scopes=())
    assert entry_problems(withdrawn, refused, redcar, TODAY) == [
        "There is no consent given on this request to withdraw."
    ]
    paused = transfer(redcar, State.PAUSED)
    assert statuses_offered(paused) == [ConsentStatus.GIVEN_AGAIN, ConsentStatus.REFUSED]
    assert statuses_offered(transfer(redcar, State.CLOSED)) == []
    after_withdrawal = replace(paused, decision=Decisions(consent=withdrawn.note(2)))
    assert as_recorded(ConsentStatus.GIVEN, after_withdrawal.decision.consent) is ConsentStatus.GIVEN_AGAIN
    assert as_recorded(ConsentStatus.GIVEN, open_request.decision.consent) is ConsentStatus.GIVEN


def test_the_people_on_the_case_may_record_consent_and_an_outsider_is_told_who_may() -> None:
    redcar = PROFILES["redcar"]
    request = transfer(redcar)
    worker = Person("t", "requester", "S.W.", frozenset({Role.SOCIAL_WORKER}))
    coordinator = Person("t", "c", "E.C.", frozenset({Role.COORDINATOR}))
    assert record_refusal(request, worker, frozenset({Relation.REQUESTER}), redcar) is None
    assert record_refusal(request, coordinator, frozenset({Relation.RECEIVING_SIDE}), redcar) is None
    why = record_refusal(request, coordinator, frozenset(), redcar)
    assert why is not None and why.startswith("Only ") and why.endswith("record the family's consent.")
    closed = record_refusal(transfer(redcar, State.CLOSED), worker, frozenset({Relation.REQUESTER}), redcar)
    assert closed == "This request is no longer open, so its consent record is kept as it stands."


def test_the_one_line_says_who_how_when_and_the_scope_initials_only_when_asked() -> None:
    note = given(on=date(2026, 11, 24)).note(1)
    assert consent_line(note) == (
        "Given by mother (A.B.) in person on Tuesday 24 November 2026; scope: sharing information, early help offer"
    )
    assert "A.B." not in consent_line(note, initials=False)
    not_sought = ConsentEntry(status=ConsentStatus.NOT_SOUGHT_RISK, on=TODAY, risk_reason="x" * 10, agreed_by="T.M.")
    line = consent_line(not_sought.note(2))
    assert (
        line
        == "Not sought on Wednesday 25 November 2026: seeking it would increase the risk to the child; agreed by T.M."
    )


# -- the profiles' rules ------------------------------------------------------------------------------------------
def test_rochdale_needs_consent_to_share_information_for_every_direction_unless_it_adds_risk() -> None:
    rochdale = PROFILES["rochdale"]
    for direction in rochdale.transfers.to_services:
        problems = scope_problems(direction, ConsentStatus.GIVEN, (S.EARLY_HELP_OFFER,), rochdale)
        assert any("share information with the receiving service (003 line 52)" in p for p in problems), direction
    across = Direction.STEP_ACROSS
    assert scope_problems(across, ConsentStatus.GIVEN, (S.SHARE_INFORMATION,), rochdale) == []
    assert scope_problems(across, ConsentStatus.NOT_SOUGHT_RISK, (), rochdale) == []
    refused = scope_problems(across, ConsentStatus.REFUSED, (), rochdale)
    assert refused and "where seeking it would increase the risk" in refused[0]


def test_york_needs_informed_consent_to_step_down_to_early_help_with_no_risk_exception() -> None:
    york = PROFILES["york"]
    down = Direction.STEP_DOWN_EARLY_HELP
    [problem] = scope_problems(down, ConsentStatus.GIVEN, (S.EARLY_HELP_OFFER,), york)
    assert "informed consent" in problem and "(004 line 44)" in problem
    assert scope_problems(down, ConsentStatus.GIVEN, (S.EARLY_HELP_OFFER, S.INFORMED_PLAN), york) == []
    [not_sought] = scope_problems(down, ConsentStatus.NOT_SOUGHT_RISK, (), york)
    assert "increase the risk" not in not_sought


def test_a_scope_the_profile_does_not_offer_is_refused() -> None:
    redcar = PROFILES["redcar"]
    assert scope_problems(Direction.STEP_UP, ConsentStatus.GIVEN, (S.INFORMED_PLAN,), redcar) == [
        "Choose what the consent covers from the list."
    ]


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_every_shipped_consent_rule_cites_its_own_seed_and_needs_only_offered_scopes(key: str) -> None:
    profile = PROFILES[key]
    for rule in profile.consent.rules:
        assert rule.seed == profile.source[:3]
        assert set(rule.needs) <= set(profile.consent.scopes)
        assert all(profile.transfers.offers(d) for d in rule.directions)


def test_redcars_procedure_says_nothing_of_consent_so_it_has_no_scope_rules() -> None:
    assert PROFILES["redcar"].consent.rules == []


def _with_consent(profile: PolicyProfile, consent: dict[str, Any]) -> PolicyProfile:
    return PolicyProfile.model_validate({**profile.model_dump(), "consent": consent})


def test_a_rule_without_a_seed_line_stops_start_up() -> None:
    with pytest.raises(ValidationError, match="cites its seed and line"):
        ConsentRule(directions=[Direction.STEP_UP], needs=[S.SOCIAL_CARE_REFERRAL], source="the procedure says so")


def test_a_rule_citing_another_seed_or_an_unoffered_direction_or_scope_stops_start_up() -> None:
    york = PROFILES["york"]
    rule = {"directions": ["step_down_early_help"], "needs": ["early_help_offer"], "source": "003 line 52: x"}
    with pytest.raises(ValidationError, match="follows seed 004"):
        _with_consent(york, {"rules": [rule]})
    with pytest.raises(ValidationError, match="does not offer"):
        _with_consent(york, {"rules": [{**rule, "directions": ["step_across"], "source": "004 line 44: x"}]})
    with pytest.raises(ValidationError, match=r"consent\.scopes"):
        ConsentPolicy(
            scopes=[S.SHARE_INFORMATION], rules=[ConsentRule.model_validate({**rule, "source": "004 line 44: x"})]
        )


def test_a_request_from_before_the_consent_record_stands_on_its_forms_consent() -> None:
    redcar = PROFILES["redcar"]
    old = transfer(redcar, decision=Decisions())
    current = current_consent(old)
    assert current is not None and (current.status, current.on) == (ConsentStatus.GIVEN, date(2026, 11, 20))
    assert ConsentStatus.WITHDRAWN in statuses_offered(old)
    refused = replace(old, details=details(redcar, status="refused", relationship="", initials="", how="", on=None))
    assert current_consent(refused) is None  # no date to stand on: nothing to show
