"""The facts a transfer's events record, with when: what the profile's deadline clocks start and stop from.

The event table names the facts each event records (domain/transfer_events.py); this module adds those a
form chooses (what happened: an assessment completed, a meeting held) and the dates they carry, and says
which such facts a person may record on a request under its profile.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.deadline_rules import Fact
from domain.directions import Direction
from domain.profiles import PolicyProfile
from domain.transfer_events import EventRule
from domain.transfer_record import Transfer

# Facts nothing else records: a person records them from the request's card, with the date they happened.
RECORDABLE: tuple[Fact, ...] = (
    Fact.ASSESSMENT_COMPLETED,
    Fact.EARLY_HELP_ASSESSMENT_COMPLETED,
    Fact.CF_ASSESSMENT_COMPLETED,
    Fact.FINAL_CIN_MEETING_HELD,
    Fact.CIN_MEETING_HELD,
    Fact.CIN_PLAN_MADE,
    Fact.CHILD_PROTECTION_PLAN_ENDED,
    Fact.PASSED_TO_AREA_TEAM,
    Fact.LEAD_PERSON_ENDED,
    Fact.EARLY_HELP_CLOSED,
    Fact.WINDOW_DATE,
)

# How a person picks what happened, in the words of the form.
RECORD_TITLES: dict[Fact, str] = {
    Fact.ASSESSMENT_COMPLETED: "The assessment was completed",
    Fact.EARLY_HELP_ASSESSMENT_COMPLETED: "The early help assessment was completed",
    Fact.CF_ASSESSMENT_COMPLETED: "The Child and Family assessment was completed",
    Fact.FINAL_CIN_MEETING_HELD: "The final Child in Need meeting was held",
    Fact.CIN_MEETING_HELD: "The Child in Need meeting was held",
    Fact.CIN_PLAN_MADE: "The Child in Need plan was made",
    Fact.CHILD_PROTECTION_PLAN_ENDED: "The child protection plan ended",
    Fact.PASSED_TO_AREA_TEAM: "The case was passed to the area team",
    Fact.LEAD_PERSON_ENDED: "The lead person's involvement ended",
    Fact.EARLY_HELP_CLOSED: "The early help case was closed",
    Fact.WINDOW_DATE: "A date was set",
}

# A fact that may be dated ahead (a final hearing); every other one has happened already.
MAY_BE_AHEAD = frozenset({Fact.WINDOW_DATE})

When = datetime | date


def recordable_facts(transfer: Transfer, profile: PolicyProfile) -> list[Fact]:
    """The facts a person may record on this request: those the profile's rules for it start or stop from."""
    used: set[Fact] = set()
    for rule in profile.deadlines:
        if rule.applies_to(
            direction=transfer.direction,
            from_team=transfer.from_team,
            to_service=transfer.to_service,
            route=transfer.route.value,
        ):
            used.add(rule.starts_on)
            used.update(rule.stops_on)
    return [fact for fact in RECORDABLE if fact in used]


def window_title(transfer: Transfer, profile: PolicyProfile) -> str:
    """What a WINDOW_DATE is for this request ("the final hearing"), from the rule that counts from it."""
    for rule in profile.deadlines:
        if rule.starts_on is Fact.WINDOW_DATE and rule.window_title:
            return rule.window_title
    return "the date"


def event_facts(rule: EventRule, direction: Direction) -> frozenset[Fact]:
    """The facts the event records by itself on a request in this direction."""
    extra = rule.step_up_records if direction is Direction.STEP_UP else frozenset()
    return rule.records | extra


def dated(facts: frozenset[Fact], at: When) -> tuple[tuple[Fact, When], ...]:
    """Facts with when they happened, in a stable order."""
    return tuple((fact, at) for fact in sorted(facts))
