"""Deadline rules as profile data: which recorded fact starts a clock, how long it runs, who owns it, who hears.

Each profile's `[[deadlines]]` list holds its procedure's rules; every rule cites the seed it comes from
(`source`), and a rule no procedure sets is `assumed` (and listed in the profile's [assumptions]). The
arithmetic that turns a rule and a fact into due, reminder and escalation times is domain/deadline_times.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from domain.directions import Direction
from domain.roles import Role

if TYPE_CHECKING:
    from domain.profiles import PolicyProfile


class Fact(StrEnum):
    """A recorded fact a clock starts or stops from (the event table of transfers says which event records which)."""

    DECISION_IN_SUPERVISION = "decision_in_supervision"  # TransferDetails.manager.decided_on: a date
    REQUEST_SUBMITTED = "request_submitted"
    REFERRAL_SUBMITTED = "referral_submitted"  # a step up sent to the front door
    FRONT_DOOR_DECIDED = "front_door_decided"  # threshold met / early help / no further action / accepted
    PASSED_TO_AREA_TEAM = "passed_to_area_team"  # Cheshire East: ChECS passes the case to the area team
    READINESS_GAPS_MARKED = "readiness_gaps_marked"
    READINESS_GAPS_RESOLVED = "readiness_gaps_resolved"
    MEETING_HELD = "meeting_held"  # the clinic, weekly meeting or panel discussed it
    MEETING_AGREED = "meeting_agreed"  # ... and agreed the move (a deferral is held, not agreed)
    OUTCOME_RECORDED = "outcome_recorded"
    OUTCOME_TOLD = "outcome_told"  # the social worker told of the outcome
    ALLOCATED = "allocated"  # accepted and allocated to a receiving team/worker
    WORKER_NAMED = "worker_named"
    ASSESSMENT_COMPLETED = "assessment_completed"  # the assessment a procedure counts from (York's joint handover)
    EARLY_HELP_ASSESSMENT_COMPLETED = "early_help_assessment_completed"
    CF_ASSESSMENT_COMPLETED = "cf_assessment_completed"  # Cheshire East's Child and Family assessment
    JOINT_VISIT_DONE = "joint_visit_done"  # includes a virtual introduction where the profile allows (Redcar)
    JOINT_VISIT_NOT_POSSIBLE = "joint_visit_not_possible"  # Dorset: not possible in time, reason told the family
    FINAL_CIN_MEETING_HELD = "final_cin_meeting_held"  # also York's CiN review / RCPC step-down meeting
    CIN_MEETING_HELD = "cin_meeting_held"  # Rochdale: the CiN meeting after a child protection plan ends
    CIN_PLAN_MADE = "cin_plan_made"
    CHILD_PROTECTION_PLAN_ENDED = "child_protection_plan_ended"
    DISPUTE_RAISED = "dispute_raised"
    DISPUTE_SETTLED = "dispute_settled"
    LEAD_PERSON_INVOLVED = "lead_person_involved"
    LEAD_PERSON_ENDED = "lead_person_ended"
    TRANSFER_COMPLETED = "transfer_completed"
    EARLY_HELP_CLOSED = "early_help_closed"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    REFERRED_EXTERNALLY = "referred_externally"  # Redcar: the clinic chose an external agency's pathway
    WINDOW_DATE = "window_date"  # a date a person recorded for a window (Dorset: the final hearing)


# How a card or the README says "of <fact>": "within 5 working days of the meeting".
FACT_TITLES: dict[Fact, str] = {
    Fact.DECISION_IN_SUPERVISION: "the decision in supervision",
    Fact.REQUEST_SUBMITTED: "the request",
    Fact.REFERRAL_SUBMITTED: "the referral",
    Fact.FRONT_DOOR_DECIDED: "the front door's decision",
    Fact.PASSED_TO_AREA_TEAM: "the case passing to the area team",
    Fact.READINESS_GAPS_MARKED: "the gaps being marked",
    Fact.READINESS_GAPS_RESOLVED: "the gaps being fixed",
    Fact.MEETING_HELD: "the meeting",
    Fact.MEETING_AGREED: "the meeting that agreed it",
    Fact.OUTCOME_RECORDED: "the outcome",
    Fact.OUTCOME_TOLD: "the social worker being told the outcome",
    Fact.ALLOCATED: "allocation",
    Fact.WORKER_NAMED: "a worker being named",
    Fact.ASSESSMENT_COMPLETED: "the assessment's completion",
    Fact.EARLY_HELP_ASSESSMENT_COMPLETED: "the early help assessment's completion",
    Fact.CF_ASSESSMENT_COMPLETED: "the C&F assessment's completion",
    Fact.JOINT_VISIT_DONE: "the joint visit",
    Fact.JOINT_VISIT_NOT_POSSIBLE: "the joint visit found not possible",
    Fact.FINAL_CIN_MEETING_HELD: "the final Child in Need meeting",
    Fact.CIN_MEETING_HELD: "the Child in Need meeting",
    Fact.CIN_PLAN_MADE: "the Child in Need plan",
    Fact.CHILD_PROTECTION_PLAN_ENDED: "the child protection plan ending",
    Fact.DISPUTE_RAISED: "the dispute being raised",
    Fact.DISPUTE_SETTLED: "the dispute being settled",
    Fact.LEAD_PERSON_INVOLVED: "the lead person staying involved",
    Fact.LEAD_PERSON_ENDED: "the lead person's involvement ending",
    Fact.TRANSFER_COMPLETED: "the transfer's completion",
    Fact.EARLY_HELP_CLOSED: "the early help case closing",
    Fact.CLOSED: "closure",
    Fact.WITHDRAWN: "withdrawal",
    Fact.DECLINED: "the decline",
    Fact.REFERRED_EXTERNALLY: "the referral to an external agency",
    Fact.WINDOW_DATE: "the date recorded",
}

# Facts recorded as a calendar date, not an instant: a clock counted in hours cannot start from them.
DATE_FACTS = frozenset({Fact.DECISION_IN_SUPERVISION, Fact.WINDOW_DATE})
# These stop every clock of the request, so a rule need not list them, and none may start a clock.
ENDING_FACTS = frozenset({Fact.CLOSED, Fact.WITHDRAWN, Fact.DECLINED, Fact.REFERRED_EXTERNALLY})


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WEEKS = "weeks"
    HOURS = "hours"


_UNIT_WORDS: dict[Unit, tuple[str, str]] = {
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.CALENDAR_DAYS: ("day", "days"),
    Unit.WEEKS: ("week", "weeks"),
    Unit.HOURS: ("hour", "hours"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Span(_Strict):
    """A length of time, counted as the procedure counts it."""

    amount: int = Field(ge=0, le=400)
    unit: Unit

    def words(self) -> str:
        """In words people use: "5 working days", "24 hours", "4 weeks", "on the day" for 0."""
        if self.amount == 0:
            return "on the day"
        one, many = _UNIT_WORDS[self.unit]
        return f"{self.amount} {one if self.amount == 1 else many}"


class Kind(StrEnum):
    LATEST = "latest"  # done by the due time
    EARLIEST = "earliest"  # not before it (York: open to early help at least 10 days after allocation)
    MAXIMUM = "maximum"  # a duration that started with the fact ends by then (Cheshire East: lead person 4 weeks)


class Owner(StrEnum):
    """Whose job it is; the deadlines engine resolves each to people or a channel for the case."""

    REQUESTER = "requester"
    REQUESTERS_MANAGER = "requesters_manager"
    RECEIVING_SIDE = "receiving_side"
    ALLOCATED_WORKER = "allocated_worker"
    ALLOCATED_WORKERS_MANAGER = "allocated_workers_manager"
    CHAIR = "chair"
    FRONT_DOOR = "front_door"


# Owners who are one person and so have a line manager; the receiving side and the front door are channels.
PERSON_OWNERS = frozenset(
    {Owner.REQUESTER, Owner.REQUESTERS_MANAGER, Owner.ALLOCATED_WORKER, Owner.ALLOCATED_WORKERS_MANAGER, Owner.CHAIR}
)


class EscalateTo(StrEnum):
    OWNERS_MANAGER = "owners_manager"
    MANAGERS_CHANNEL = "managers_channel"
    ROLE = "role"  # whoever holds `role` (Rochdale: the head of service)


class _Problems:
    """Every problem with one model, each at its own location, so start-up names the field (deadlines.2.span)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.found: list[InitErrorDetails] = []

    def add(self, loc: tuple[str | int, ...], message: str, value: object) -> None:
        self.found.append(InitErrorDetails(type=PydanticCustomError("deadline_rule", message), loc=loc, input=value))

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError.from_exception_data(self.title, self.found)


class Escalation(_Strict):
    """One step of the chain that takes over once a deadline is overdue: to whom, and how long after the due time."""

    to: EscalateTo
    role: Role | None = None
    after: Span

    @model_validator(mode="after")
    def _role_iff_role(self) -> Escalation:
        problems = _Problems("Escalation")
        if self.to is EscalateTo.ROLE and self.role is None:
            problems.add(("role",), "an escalation to a role names the role", None)
        if self.to is not EscalateTo.ROLE and self.role is not None:
            problems.add(("role",), f"only an escalation to a role names one (this goes to {self.to})", self.role)
        if self.role is Role.ADMINISTRATOR:
            # The administrator configures the bot and sees no case content (DESIGN.md).
            problems.add(("role",), "nothing escalates to the administrator, who sees no case", self.role)
        problems.raise_any()
        return self


class DeadlineRule(_Strict):
    """One clock of a procedure: `starts_on` a fact, runs `span`, settled by any of `stops_on`.

    For an EARLIEST rule `stops_on` names the step it holds back: recorded before the due time it is early,
    at or after it the rule is met. `counts_back` counts the span back from a date recorded ahead (Dorset: the
    meeting 6 to 8 weeks before the final hearing, a WINDOW_DATE named by `window_title`).
    """

    key: str = Field(pattern="^[a-z][a-z0-9_]*$", max_length=40)
    title: str = Field(min_length=3, max_length=80, description="what is due, for a card")
    starts_on: Fact
    stops_on: list[Fact] = Field(min_length=1)
    span: Span
    kind: Kind = Kind.LATEST
    owner: Owner
    remind: list[Span] = Field(description="before the due time; 0 is on the day")
    escalate: list[Escalation]
    directions: list[Direction] = Field(default_factory=list, description="empty: every direction")
    from_teams: list[str] = Field(default_factory=list, description="empty: any requesting team")
    to_services: list[str] = Field(default_factory=list, description="empty: any receiving service")
    routes: list[str] = Field(default_factory=list, description="empty: any route")
    extendable: bool = Field(False, description="an extension needs a reason and the manager who agreed")
    counts_back: bool = False
    window_title: str = Field("", max_length=80, description="what the WINDOW_DATE is: 'the final hearing'")
    source: str = Field(min_length=3, max_length=200, description="which seed and where: '000 Dorset, 3(i)'")
    assumed: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> DeadlineRule:
        problems = _Problems("DeadlineRule")
        for i, fact in enumerate(self.stops_on):
            if fact is self.starts_on:
                problems.add(("stops_on", i), "a clock cannot be settled by the fact that starts it", fact)
        if len(set(self.stops_on)) != len(self.stops_on):
            problems.add(("stops_on",), "a fact is listed twice", self.stops_on)
        if self.starts_on in ENDING_FACTS:
            problems.add(("starts_on",), "closure, withdrawal and decline stop every clock: none starts one", None)
        hours = self.span.unit is Unit.HOURS
        if hours and self.starts_on in DATE_FACTS:
            problems.add(("span", "unit"), f"{self.starts_on} is recorded as a date: count it in days", "hours")
        if (self.starts_on is Fact.WINDOW_DATE) != bool(self.window_title):
            problems.add(("window_title",), "a rule from a window date says what the date is, and only it", None)
        if self.counts_back and (self.starts_on is not Fact.WINDOW_DATE or self.kind is Kind.MAXIMUM or hours):
            # A duration cannot end before it starts, and only a date recorded ahead has time before it.
            problems.add(("counts_back",), "only an earliest or latest rule in days from a window date", True)
        self._check_reminders(problems)
        if self.kind is Kind.EARLIEST:
            # Nothing falls overdue when a step may not happen *before* a time: breaking it is caught when the
            # step is recorded early, so there is nobody to chase and nothing to extend.
            if self.escalate:
                problems.add(("escalate",), "an earliest date never falls overdue: it has no escalation", None)
            if self.extendable:
                problems.add(("extendable",), "an earliest date is not extended", True)
        if len(set(self.directions)) != len(self.directions):
            problems.add(("directions",), "a direction is listed twice", self.directions)
        problems.raise_any()
        return self

    def _check_reminders(self, problems: _Problems) -> None:
        if len(set(self.remind)) != len(self.remind):
            problems.add(("remind",), "a reminder is listed twice", None)
        for i, span in enumerate(self.remind):
            where = ("remind", i)
            if self.kind is Kind.EARLIEST and span.amount:
                # A reminder before an earliest date would prompt the very step it holds back; on the day it
                # says the step may now happen.
                problems.add((*where, "amount"), "an earliest date is reminded on the day only (0)", span.amount)
            elif self.span.unit is Unit.HOURS and span.unit is not Unit.HOURS:
                # A reminder at the start of a day could come before a clock counted in hours even started.
                problems.add((*where, "unit"), "a clock in hours is reminded in hours", span.unit)
            elif self.counts_back:
                continue  # due before a date ahead: a reminder of any lead comes after the date was recorded
            elif span.unit is self.span.unit and span.amount and span.amount >= self.span.amount:
                problems.add((*where, "amount"), f"{span.words()} before comes before the clock starts", span.amount)
            elif not span.amount and not self.span.amount:
                # "On the day" goes at the start of working hours: for a same-day rule, before the fact itself.
                problems.add(where, "a same-day rule has no reminder on the day: it would come first", None)

    def applies_to(self, *, direction: Direction, from_team: str, to_service: str, route: str | None) -> bool:
        """Whether this rule is about a request like this one (an empty list matches anything)."""
        return (
            (not self.directions or direction in self.directions)
            and (not self.from_teams or from_team in self.from_teams)
            and (not self.to_services or to_service in self.to_services)
            and (not self.routes or (route is not None and route in self.routes))
        )

    def how_long(self) -> str:
        """The rule in words: "within 5 working days of the meeting", "at least 10 days after allocation"."""
        fact = self.window_title if self.starts_on is Fact.WINDOW_DATE else FACT_TITLES[self.starts_on]
        words = self.span.words()
        if self.counts_back:
            return (
                f"no earlier than {words} before {fact}" if self.kind is Kind.EARLIEST else f"by {words} before {fact}"
            )
        if self.kind is Kind.EARLIEST:
            return f"at least {words} after {fact}"
        if self.kind is Kind.MAXIMUM:
            return f"at most {words} from {fact}"
        return f"{words} of {fact}" if not self.span.amount else f"within {words} of {fact}"


def check_deadlines(
    rules: Sequence[DeadlineRule],
    *,
    from_teams: Iterable[str],
    services: Mapping[Direction, Sequence[str]],
    routes: Iterable[str],
    assumed_fields: Iterable[str],
    seed: str,
) -> None:
    """Refuse rules that do not fit their profile, each problem at `deadlines.<i>.<field>`.

    Keys are unique; teams, services, directions and routes are the profile's own; the front door owns step
    ups only; every rule cites the profile's seed (`seed`, its number: "003"), and an assumed rule is listed in
    [assumptions] as `deadlines.<key>`.
    """
    teams, known_routes, assumed = set(from_teams), set(routes), set(assumed_fields)
    problems = _Problems("PolicyProfile")
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        at: tuple[str | int, ...] = ("deadlines", i)
        if rule.key in seen:
            problems.add((*at, "key"), f"{rule.key!r} is the key of an earlier rule: keys are unique", rule.key)
        seen.add(rule.key)
        for j, direction in enumerate(rule.directions):
            if direction not in services:
                problems.add((*at, "directions", j), f"this profile does not offer {direction}", direction)
        for j, team in enumerate(rule.from_teams):
            if team not in teams:
                problems.add((*at, "from_teams", j), f"{team!r} is not one of transfers.from_teams", team)
        offered = {s for d, names in services.items() if not rule.directions or d in rule.directions for s in names}
        for j, service in enumerate(rule.to_services):
            if service not in offered:
                problems.add((*at, "to_services", j), f"{service!r} is not received in its directions", service)
        for j, route in enumerate(rule.routes):
            if route not in known_routes:
                problems.add((*at, "routes", j), f"{route!r} is not one of transfers.routes", route)
        if rule.owner is Owner.FRONT_DOOR and rule.directions != [Direction.STEP_UP]:
            problems.add((*at, "directions"), 'the front door owns step ups only: directions = ["step_up"]', None)
        for j, step in enumerate(rule.escalate):
            if step.to is EscalateTo.OWNERS_MANAGER and rule.owner not in PERSON_OWNERS:
                problems.add((*at, "escalate", j, "to"), f"the owner ({rule.owner}) is a channel: no manager", step.to)
        if not rule.assumed and not rule.source.startswith(seed):
            problems.add((*at, "source"), f"cite this profile's seed: start with {seed!r}", rule.source)
        if rule.assumed and f"deadlines.{rule.key}" not in assumed:
            problems.add((*at, "assumed"), f"list it in [assumptions] fields as 'deadlines.{rule.key}'", True)
    problems.raise_any()


def rules_for(
    profile: PolicyProfile,
    fact: Fact,
    *,
    direction: Direction,
    from_team: str,
    to_service: str,
    route: str | None = None,
) -> list[DeadlineRule]:
    """The rules `fact` starts for this request, in the profile's order.

    A rule limited to some routes (Cheshire East: ChECS's hour on a direct referral) applies only when the
    request's `route` is given and among them.
    """
    return [
        rule
        for rule in profile.deadlines
        if rule.starts_on is fact
        and rule.applies_to(direction=direction, from_team=from_team, to_service=to_service, route=route)
    ]
