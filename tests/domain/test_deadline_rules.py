"""Deadline rules as profile data: each profile holds its procedure's clocks, and a bad rule stops start-up by name."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.profile_files import ProfileError, all_profiles, load_profile
from bot.settings import REPO_ROOT, Settings
from domain.deadline_rules import (
    FACT_TITLES,
    DeadlineRule,
    EscalateTo,
    Escalation,
    Fact,
    Kind,
    Owner,
    Span,
    Unit,
    rules_for,
)
from domain.directions import DIRECTION_TITLES, Direction
from domain.profiles import PolicyProfile
from domain.roles import Role
from domain.transfers import ROUTE_TITLES, Route
from domain.working_days import WorkingCalendar

PROFILES_DIR = REPO_ROOT / "profiles"
PROFILES = all_profiles(PROFILES_DIR)
WD, DAYS, WEEKS, HOURS = Unit.WORKING_DAYS, Unit.CALENDAR_DAYS, Unit.WEEKS, Unit.HOURS
LATEST, EARLIEST, MAXIMUM = Kind.LATEST, Kind.EARLIEST, Kind.MAXIMUM

# The list (deadlines issue, "Policy profiles"), checked against each seed: what starts each clock and how
# long it runs. A rule missing from a profile, or counted another way, fails here.
EXPECTED: dict[str, dict[str, tuple[Fact, int, Unit, Kind]]] = {
    "dorset": {
        "handover_visit": (Fact.MEETING_AGREED, 5, WD, LATEST),
        "dispute_resolved": (Fact.DISPUTE_RAISED, 1, WD, LATEST),
        "named_practitioner": (Fact.ALLOCATED, 0, WD, LATEST),
        "permanence_meeting": (Fact.WINDOW_DATE, 6, WEEKS, LATEST),
        "permanence_meeting_window_opens": (Fact.WINDOW_DATE, 8, WEEKS, EARLIEST),
    },
    "cheshire_east": {
        "outcome_to_social_worker": (Fact.MEETING_HELD, 1, WD, LATEST),
        "worker_named_same_day": (Fact.MEETING_AGREED, 0, WD, LATEST),
        "joint_visit": (Fact.MEETING_AGREED, 5, WD, LATEST),
        "final_cin_meeting": (Fact.MEETING_AGREED, 5, WD, LATEST),
        "checs_passes_within_hour": (Fact.REFERRAL_SUBMITTED, 1, HOURS, LATEST),
        "checs_referral_within_24_hours": (Fact.MEETING_AGREED, 24, HOURS, LATEST),
        "cf_assessment": (Fact.PASSED_TO_AREA_TEAM, 15, DAYS, LATEST),
        "lead_person_at_most_four_weeks": (Fact.LEAD_PERSON_INVOLVED, 4, WEEKS, MAXIMUM),
    },
    "redcar": {
        "whole_step_down": (Fact.DECISION_IN_SUPERVISION, 28, DAYS, LATEST),
        "whole_step_up": (Fact.DECISION_IN_SUPERVISION, 28, DAYS, LATEST),
    },
    "rochdale": {
        "ehash_decision": (Fact.REFERRAL_SUBMITTED, 24, HOURS, LATEST),
        "readiness_gaps": (Fact.READINESS_GAPS_MARKED, 3, WD, LATEST),
        "eha_within_four_weeks": (Fact.ALLOCATED, 4, WEEKS, LATEST),
        "eha_after_step_down": (Fact.ALLOCATED, 30, WD, LATEST),
        "cin_meeting_after_cp_plan": (Fact.CHILD_PROTECTION_PLAN_ENDED, 4, WEEKS, LATEST),
        "cin_plan_by_day_15": (Fact.ALLOCATED, 15, DAYS, LATEST),
    },
    "york": {
        "mash_decision": (Fact.REFERRAL_SUBMITTED, 1, WD, LATEST),
        "joint_handover_after_assessment": (Fact.ASSESSMENT_COMPLETED, 5, WD, LATEST),
        "handover_visit_after_step_down": (Fact.FINAL_CIN_MEETING_HELD, 5, WD, LATEST),
        "open_to_early_help_ten_days": (Fact.ALLOCATED, 10, DAYS, EARLIEST),
    },
}
SEED_NUMBERS = {"dorset": "000", "cheshire_east": "001", "redcar": "002", "rochdale": "003", "york": "004"}


# Each profile holds its procedure's rules


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_profile_has_exactly_the_rules_its_procedure_sets_counted_as_it_counts_them(key: str) -> None:
    found = {r.key: (r.starts_on, r.span.amount, r.span.unit, r.kind) for r in PROFILES[key].deadlines}
    assert found == EXPECTED[key]


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_rule_cites_its_own_seed_and_none_is_unmarked_guesswork(key: str) -> None:
    profile = PROFILES[key]
    for r in profile.deadlines:
        assert r.source.startswith(SEED_NUMBERS[key]), r.key
        assert not r.assumed or f"deadlines.{r.key}" in profile.assumptions.fields
    # The reminder offsets, escalation chains and working hours are the product's: every profile says so.
    assert "every rule's remind and escalate lists are the product's defaults" in profile.assumptions.note
    assert {"working.reminder_window_start", "working.reminder_window_end"} <= set(profile.assumptions.fields)


def test_a_profile_still_setting_the_old_joint_visit_or_co_working_days_is_refused_naming_the_field(
    tmp_path: Path,
) -> None:
    # They looked enforced and were not; the deadline rules hold them now.
    for old in ("joint_visit_working_days = 5", "co_working_days = 10"):
        text = (
            (PROFILES_DIR / "york.toml").read_text(encoding="utf-8").replace("[transfers]\n", f"[transfers]\n{old}\n")
        )
        (tmp_path / "york.toml").write_text(text, encoding="utf-8")
        with pytest.raises(ProfileError, match=f"field transfers.{old.split()[0]}: Extra inputs are not permitted"):
            load_profile(tmp_path, "york")


def test_the_front_door_and_gap_clocks_are_rules_only() -> None:
    rochdale, york = PROFILES["rochdale"], PROFILES["york"]
    ehash = next(r for r in rochdale.deadlines if r.key == "ehash_decision")
    gaps = next(r for r in rochdale.deadlines if r.key == "readiness_gaps")
    mash = next(r for r in york.deadlines if r.key == "mash_decision")
    assert (ehash.span.amount, ehash.span.unit) == (24, HOURS)
    assert (gaps.span.amount, gaps.span.unit) == (3, WD)
    assert any(step.role is Role.HEAD_OF_SERVICE for step in gaps.escalate)
    assert (mash.span.amount, mash.span.unit) == (1, WD)
    # The old fields that looked enforced are gone: a profile setting one is refused.
    for old in ("front_door_decision_hours", "gap_fix_working_days", "gap_escalation_role"):
        assert old not in type(rochdale.transfers).model_fields


def test_a_fact_starts_only_the_rules_for_a_request_like_this_one() -> None:
    cheshire = PROFILES["cheshire_east"]

    def started(fact: Fact, direction: Direction, team: str, route: str | None = None) -> list[str]:
        service = cheshire.transfers.to_services[direction][0]
        found = rules_for(cheshire, fact, direction=direction, from_team=team, to_service=service, route=route)
        return [r.key for r in found]

    assessment, cin = "Children and Families assessment team", "Child in Need / Child Protection team"
    assert started(Fact.MEETING_AGREED, Direction.STEP_DOWN_EARLY_HELP, assessment) == [
        "worker_named_same_day",
        "joint_visit",
    ]
    assert started(Fact.MEETING_AGREED, Direction.STEP_DOWN_EARLY_HELP, cin) == [
        "worker_named_same_day",
        "final_cin_meeting",
    ]
    lead = "Early Help (Cheshire East Family Service)"
    # ChECS's hour is for a referral straight to it; a step up through the meeting has the meeting's 24 hours.
    assert started(Fact.REFERRAL_SUBMITTED, Direction.STEP_UP, lead, "direct") == ["checs_passes_within_hour"]
    assert started(Fact.REFERRAL_SUBMITTED, Direction.STEP_UP, lead, "weekly_meeting") == []
    assert started(Fact.REFERRAL_SUBMITTED, Direction.STEP_UP, lead) == []
    assert started(Fact.MEETING_AGREED, Direction.STEP_UP, lead, "weekly_meeting") == ["checs_referral_within_24_hours"]


def test_york_s_mash_day_is_for_a_partner_lead_professional_s_referral() -> None:
    york = PROFILES["york"]
    service = york.transfers.to_services[Direction.STEP_UP][0]
    for team, expected in (("Partner agency lead professional", ["mash_decision"]), ("Targeted Early Help", [])):
        found = rules_for(
            york, Fact.REFERRAL_SUBMITTED, direction=Direction.STEP_UP, from_team=team, to_service=service
        )
        assert [r.key for r in found] == expected


# In words


def test_spans_are_written_in_words_people_use() -> None:
    assert [Span(amount=a, unit=u).words() for a, u in ((5, WD), (1, WD), (24, HOURS), (4, WEEKS), (1, DAYS))] == [
        "5 working days",
        "1 working day",
        "24 hours",
        "4 weeks",
        "1 day",
    ]
    assert Span(amount=0, unit=WD).words() == "on the day"


def test_each_kind_of_rule_says_how_long_in_words() -> None:
    words = {r.key: r.how_long() for p in PROFILES.values() for r in p.deadlines}
    assert words["handover_visit"] == "within 5 working days of the meeting that agreed it"
    assert words["open_to_early_help_ten_days"] == "at least 10 days after allocation"
    assert words["lead_person_at_most_four_weeks"] == "at most 4 weeks from the lead person staying involved"
    assert words["permanence_meeting"] == "by 6 weeks before the final hearing"
    assert words["permanence_meeting_window_opens"] == "no earlier than 8 weeks before the final hearing"
    assert words["worker_named_same_day"] == "on the day of the meeting that agreed it"
    assert set(FACT_TITLES) == set(Fact)


# Invalid rules are refused, naming the field


def a_rule(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "key": "visit",
        "title": "Joint visit",
        "starts_on": "meeting_held",
        "stops_on": ["joint_visit_done"],
        "span": {"amount": 5, "unit": "working_days"},
        "owner": "requester",
        "remind": [{"amount": 2, "unit": "working_days"}, {"amount": 0, "unit": "working_days"}],
        "escalate": [{"to": "owners_manager", "after": {"amount": 0, "unit": "working_days"}}],
        "source": "000 Dorset, 3(i)",
    }
    return values | changes


def problems(**changes: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        DeadlineRule.model_validate(a_rule(**changes))
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in raised.value.errors()]


def profile_problems(*rules: dict[str, Any]) -> list[tuple[str, str]]:
    data = PROFILES["dorset"].model_dump(mode="json", exclude={"deadlines"}) | {"deadlines": list(rules)}
    with pytest.raises(ValidationError) as raised:
        PolicyProfile.model_validate(data)
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in raised.value.errors()]


def test_a_clock_settled_by_the_fact_that_starts_it_is_refused() -> None:
    assert problems(stops_on=["joint_visit_done", "meeting_held"]) == [
        ("stops_on.1", "a clock cannot be settled by the fact that starts it")
    ]


def test_an_escalation_to_a_role_must_name_the_role_and_never_the_administrator() -> None:
    assert problems(escalate=[{"to": "role", "after": {"amount": 0, "unit": "hours"}}])[0][0] == "escalate.0.role"
    administrator = [{"to": "role", "role": "administrator", "after": {"amount": 0, "unit": "hours"}}]
    assert "administrator" in problems(escalate=administrator)[0][1]
    assert Escalation(to=EscalateTo.ROLE, role=Role.HEAD_OF_SERVICE, after=Span(amount=0, unit=WD)).role


def test_an_earliest_date_has_no_reminder_before_it_and_no_escalation() -> None:
    found = problems(kind="earliest")
    assert ("remind.0.amount", "an earliest date is reminded on the day only (0)") in found
    assert ("escalate", "an earliest date never falls overdue: it has no escalation") in found


def test_a_reminder_as_long_as_the_clock_would_come_before_it_started_and_is_refused() -> None:
    assert problems(remind=[{"amount": 5, "unit": "working_days"}])[0][0] == "remind.0.amount"


def test_a_clock_in_hours_is_reminded_in_hours_and_cannot_start_from_a_date() -> None:
    in_hours = {"span": {"amount": 24, "unit": "hours"}}
    assert problems(**in_hours)[0] == ("remind.0.unit", "a clock in hours is reminded in hours")
    dated = problems(starts_on="decision_in_supervision", remind=[], **in_hours)
    assert dated == [("span.unit", "decision_in_supervision is recorded as a date: count it in days")]


def test_an_unknown_unit_is_refused_with_the_units_there_are() -> None:
    assert problems(span={"amount": 5, "unit": "fortnights"})[0][0] == "span.unit"


def test_a_profile_refuses_a_repeated_key_and_teams_services_and_routes_that_are_not_its_own() -> None:
    found = profile_problems(
        a_rule(),
        a_rule(from_teams=["Atlantis team"], to_services=["Atlantis service"], routes=["carrier_pigeon"]),
    )
    assert [where for where, _ in found] == [
        "deadlines.1.key",
        "deadlines.1.from_teams.0",
        "deadlines.1.to_services.0",
        "deadlines.1.routes.0",
    ]


def test_a_channel_has_no_manager_to_escalate_to_and_the_front_door_owns_step_ups_only() -> None:
    found = dict(profile_problems(a_rule(owner="front_door")))
    assert "deadlines.0.escalate.0.to" in found
    assert "deadlines.0.directions" in found


def test_a_rule_cites_the_profile_s_own_seed_and_an_assumed_one_is_listed_in_assumptions() -> None:
    found = dict(profile_problems(a_rule(source="003 Rochdale"), a_rule(key="guess", assumed=True)))
    assert set(found) == {"deadlines.0.source", "deadlines.1.assumed"}


def test_an_invalid_rule_stops_start_up_naming_the_file_the_field_and_the_rule(tmp_path: Path) -> None:
    text = (PROFILES_DIR / "dorset.toml").read_text(encoding="utf-8")
    broken = text.replace('span = { amount = 1, unit = "working_days" }', 'span = { amount = 1, unit = "fortnights" }')
    assert broken != text
    (tmp_path / "dorset.toml").write_text(broken, encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path, "dorset")
    message = str(raised.value)
    assert message.startswith(f'{tmp_path / "dorset.toml"}: field deadlines.1.span.unit (rule "dispute_resolved"): ')
    assert "'working_days', 'calendar_days', 'weeks' or 'hours'" in message


def test_a_rule_s_own_problem_is_reported_without_pydantic_s_prefix(tmp_path: Path) -> None:
    shutil.copy(PROFILES_DIR / "york.toml", tmp_path / "york.toml")
    with (tmp_path / "york.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[deadlines]]\nkey = "mash_decision"\ntitle = "Again"\nstarts_on = "allocated"\n')
        f.write('stops_on = ["allocated"]\nspan = { amount = 1, unit = "working_days" }\nowner = "requester"\n')
        f.write('remind = []\nescalate = []\nsource = "004 York"\n')
    with pytest.raises(ProfileError) as raised:
        load_profile(tmp_path, "york")
    assert 'field deadlines.4.stops_on.0 (rule "mash_decision"): a clock cannot be settled by the fact' in str(
        raised.value
    )


def test_closure_days_are_read_from_stepbot_closure_days_and_a_bad_date_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEPBOT_CLOSURE_DAYS", "2026-12-30, 2026-12-29,,2026-12-29")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.closure_dates == {date(2026, 12, 29), date(2026, 12, 30)}
    assert settings.closure_days == "2026-12-29,2026-12-30"
    for bad in ("2026-13-01", "29/12/2026", "20261229"):
        monkeypatch.setenv("STEPBOT_CLOSURE_DAYS", bad)
        with pytest.raises(ValidationError, match="not a date written YYYY-MM-DD"):
            Settings(_env_file=None)  # type: ignore[call-arg]


def test_closure_days_from_configuration_reach_the_profile_s_calendar() -> None:
    profile = load_profile(PROFILES_DIR, "redcar", closure_days=[date(2026, 12, 29)])
    assert not WorkingCalendar.from_profile(profile.working).is_working_day(date(2026, 12, 29))
    assert WorkingCalendar.from_profile(PROFILES["redcar"].working).is_working_day(date(2026, 12, 29))


# The README's tables


def readme_rows() -> set[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return {line for line in text.splitlines() if re.match(r"^\| `[a-z0-9_]+` \|", line)}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_the_readme_lists_every_rule_of_every_profile_as_the_profile_says_it(key: str) -> None:
    rows = readme_rows()
    for r in PROFILES[key].deadlines:
        row = f"| `{r.key}` | {r.title} | {r.how_long()} | {applies_to(r)} | {OWNER_WORDS[r.owner]} | {r.source} |"
        assert row in rows, row


def applies_to(r: DeadlineRule) -> str:
    """Which requests a rule is about, as the README's tables say it."""
    parts = [" or ".join(DIRECTION_TITLES[d].lower() for d in r.directions) or "any request"]
    parts += [f"from {' or '.join(r.from_teams)}"] if r.from_teams else []
    parts += [f"to {' or '.join(r.to_services)}"] if r.to_services else []
    parts += (
        [f"by the {' or '.join(ROUTE_TITLES[Route(route)].lower() for route in r.routes)} route"] if r.routes else []
    )
    return ", ".join(parts)


OWNER_WORDS = {
    Owner.REQUESTER: "requester",
    Owner.REQUESTERS_MANAGER: "requester's manager",
    Owner.RECEIVING_SIDE: "receiving side",
    Owner.ALLOCATED_WORKER: "allocated worker",
    Owner.ALLOCATED_WORKERS_MANAGER: "allocated worker's manager",
    Owner.CHAIR: "chair",
    Owner.FRONT_DOOR: "front door",
}
