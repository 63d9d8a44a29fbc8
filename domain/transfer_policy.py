"""A profile's [transfers] section: the requesting teams and receiving services, the routes and their rules,
the checklists and what each direction needs (domain/profiles.py holds the rest of a profile)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.deadline_rules import Fact
from domain.directions import Direction
from domain.roles import Role


class StrictModel(BaseModel):
    """A profile section: every field known (a typo fails at start-up), and nothing changes after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# The routes a request can take; domain.transfers.Route names the same values (a test holds them together).
KNOWN_ROUTES = ("clinic", "weekly_meeting", "panel", "manager_agreement", "direct")
# A request's team and service fields take at most this many characters, so a longer name could never be chosen.
SERVICE_NAME_MAX = 80
KEY_PATTERN = "^[a-z][a-z0-9_]*$"


class ChecklistItem(StrictModel):
    """One readiness item the requester ticks and the receiving side confirms or marks as a gap."""

    key: str = Field(pattern=KEY_PATTERN, max_length=40)
    label: str = Field(min_length=3, max_length=200)
    source: str = Field("", description="which seed says so")


# The roles that may decide a request on the receiving side (domain.transfer_events.DECIDERS names the same).
ROUTE_DECIDERS = frozenset({Role.COORDINATOR, Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER})
# Who may authorise a request before the receiving side accepts it (Redcar: the MACH manager; Cheshire East:
# the Step Up/Step Down meeting, through its chair).
AUTHORISERS = frozenset({Role.FRONT_DOOR, Role.MEETING_CHAIR})


class RouteRule(StrictModel):
    """Which route a request takes, given its direction and answers, and who decides it there.

    The first rule whose direction, requesting team and receiving service match names the route; where
    several routes match the same answers (Cheshire East's two step up pathways), the requester chooses
    between them on the form. Empty `from_teams` or `to_services` match any.
    """

    direction: Direction
    from_teams: list[str] = Field(default_factory=list)
    to_services: list[str] = Field(default_factory=list)
    route: str
    title: str = Field("", max_length=120, description="how the form and cards name this route")
    # The channel key the request card goes to; empty: the direction's usual one (domain.transfers.receiving_channel).
    channel: str = Field("", max_length=40)
    # The receiving side's deciding roles on this route; empty: the direction's usual ones.
    deciders: list[Role] = Field(default_factory=list)
    # Who decides: the meeting (its outcome is authoritative; the receiving side schedules but does not accept or
    # decline) or the receiving side. None: the profile's decision_authority, step ups with the front door.
    decided_by: Literal["meeting", "receiving_side"] | None = None
    # A role that authorises the request before anyone accepts it (Redcar's MACH manager).
    authorised_by: Role | None = None
    authorisation: str = Field("", max_length=80, description="what the authorisation is called on cards")
    authorisation_needs_wording: bool = False
    authorisation_records: list[Fact] = Field(default_factory=list)
    # False: a meeting on this route agrees but does not accept (Cheshire East: ChECS accepts what it agreed).
    meeting_outcome_accepts: bool = True
    source: str = Field(min_length=3, max_length=200, description="which seed line says so")

    @model_validator(mode="after")
    def _roles_fit(self) -> RouteRule:
        wrong = sorted(r.value for r in set(self.deciders) - ROUTE_DECIDERS)
        if wrong:
            raise ValueError(f"deciders must be roles that decide a request: {wrong}")
        if self.authorised_by is not None:
            if self.authorised_by not in AUTHORISERS:
                raise ValueError(f"authorised_by must be one of {sorted(r.value for r in AUTHORISERS)}")
            if not self.authorisation:
                raise ValueError("an authorisation is named (authorisation)")
        elif self.authorisation or self.authorisation_needs_wording or self.authorisation_records:
            raise ValueError("authorisation settings need authorised_by")
        if self.channel and not re.fullmatch(KEY_PATTERN, self.channel):
            raise ValueError(f"channel key {self.channel!r} must match {KEY_PATTERN}")
        return self

    def matches(self, direction: Direction, from_team: str, to_service: str) -> bool:
        return (
            self.direction is direction
            and (not self.from_teams or from_team in self.from_teams)
            and (not self.to_services or to_service in self.to_services)
        )


class NextStep(StrictModel):
    """What the requester does once the request is accepted and allocated (York: tell the team around the child)."""

    label: str = Field(min_length=3, max_length=200)
    directions: list[Direction] = Field(default_factory=list, description="empty: every direction")
    to_services: list[str] = Field(default_factory=list, description="empty: any receiving service")
    source: str = Field(min_length=3, max_length=200, description="which seed says so")

    def applies_to(self, direction: Direction, to_service: str) -> bool:
        return (not self.directions or direction in self.directions) and (
            not self.to_services or to_service in self.to_services
        )


class Transfers(StrictModel):
    """What a transfer request offers and checks in this profile: lists for the card, consent, clocks, channels."""

    from_teams: list[str] = Field(min_length=1, description="the requester's teams")
    to_services: dict[Direction, list[str]] = Field(
        min_length=1, description="the receiving services per direction; a direction not here is not offered"
    )
    decline_reasons: list[str] = Field(min_length=1)
    capacity_is_never_a_reason: bool = False
    checklists: dict[Direction, list[ChecklistItem]]
    consent_required: list[Direction] = Field(description="directions that need the family's consent given to submit")
    level_of_need: list[str] = Field(default_factory=list, description="empty: the profile doesn't ask")
    wording: str = Field("", max_length=300, description="what the receiving side expects to read on a step down")
    decision_authority: Literal["receiving_side", "meeting"] = "receiving_side"
    routes: list[str] = Field(min_length=1)
    step_across_channels: dict[str, str] = Field(
        default_factory=dict, description="receiving service -> channel key, for a step across or co-work request"
    )
    show_initials: bool = False
    return_to_previous_worker_months: int | None = Field(None, ge=1, le=24)
    return_from_teams: list[str] = Field(
        default_factory=list,
        description="the teams whose accepted step downs a quick step up returns to (York: CiN / CP); empty: any",
    )
    named_worker_nudge: bool = False
    # The joint visit may be a virtual introduction instead (Redcar: step down standard 5, step up standard 6).
    virtual_introduction: bool = False
    # The handover visit may be recorded as not possible, "the reasons ... explained to the family" (Dorset).
    joint_visit_not_possible: bool = False
    # Which route each request takes, from its direction and answers (see RouteRule); a direction with no rule
    # offers the requester every one of `routes`.
    route_rules: list[RouteRule] = Field(default_factory=list)
    # How often the meeting meets, where the procedure says so or the profile assumes it (then listed in
    # [assumptions] as "transfers.meeting_cadence"); empty: not said.
    meeting_cadence: str = Field("", max_length=40)
    # What follows allocation, told to the requester with it (not on the checklist before it).
    after_allocation: list[NextStep] = Field(default_factory=list, max_length=6)

    @field_validator("from_teams", "decline_reasons", "level_of_need")
    @classmethod
    def _names_are_distinct_and_fit(cls, value: list[str]) -> list[str]:
        return distinct_names(value)

    @field_validator("to_services")
    @classmethod
    def _services_are_named(cls, value: dict[Direction, list[str]]) -> dict[Direction, list[str]]:
        for direction, services in value.items():
            if not services:
                raise ValueError(f"{direction.value}: name at least one receiving service")
            distinct_names(services)
        return value

    @field_validator("routes")
    @classmethod
    def _known_routes(cls, value: list[str]) -> list[str]:
        unknown = [route for route in value if route not in KNOWN_ROUTES]
        if unknown:
            raise ValueError(f"unknown route(s) {unknown}; known: {', '.join(KNOWN_ROUTES)}")
        if len(set(value)) != len(value):
            raise ValueError("a route is listed twice")
        return value

    @field_validator("step_across_channels")
    @classmethod
    def _channel_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for service, channel in value.items():
            if not re.fullmatch(KEY_PATTERN, channel):
                raise ValueError(f"{service!r}: channel key {channel!r} must match {KEY_PATTERN}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Transfers:
        if self.capacity_is_never_a_reason:
            for reason in self.decline_reasons:
                if "capacity" in reason.lower():
                    raise ValueError(f"capacity is never a reason to decline in this profile: {reason!r}")
        allowed = set(self.to_services)
        if set(self.checklists) != allowed:
            missing = sorted(d.value for d in allowed - set(self.checklists))
            extra = sorted(d.value for d in set(self.checklists) - allowed)
            raise ValueError(
                f"checklists must name the same directions as to_services (missing: {missing}, not offered: {extra})"
            )
        for direction, items in self.checklists.items():
            keys = [item.key for item in items]
            if len(set(keys)) != len(keys):
                raise ValueError(f"{direction.value}: a checklist key is listed twice")
        across = {
            service for d in (Direction.STEP_ACROSS, Direction.CO_WORK) for service in self.to_services.get(d, [])
        }
        unknown = sorted(set(self.step_across_channels) - across)
        if unknown:
            raise ValueError(f"step_across_channels names services no step across or co-work offers: {unknown}")
        self._route_rules_fit()
        if self.return_from_teams and self.return_to_previous_worker_months is None:
            raise ValueError("return_from_teams needs return_to_previous_worker_months")
        unknown_teams = sorted(set(self.return_from_teams) - set(self.from_teams))
        if unknown_teams:
            raise ValueError(f"return_from_teams names teams that are not in from_teams: {unknown_teams}")
        return self

    def _route_rules_fit(self) -> None:
        """Every rule names this profile's routes, teams and services; every answer of a ruled direction has a route."""
        for i, rule in enumerate(self.route_rules):
            at = f"route_rules[{i}] ({rule.direction.value})"
            if rule.route not in self.routes:
                raise ValueError(f"{at}: route {rule.route!r} is not one of transfers.routes")
            if not self.offers(rule.direction):
                raise ValueError(f"{at}: the profile does not offer this direction")
            unknown = sorted(set(rule.from_teams) - set(self.from_teams))
            if unknown:
                raise ValueError(f"{at}: from_teams not in transfers.from_teams: {unknown}")
            unknown = sorted(set(rule.to_services) - set(self.to_services[rule.direction]))
            if unknown:
                raise ValueError(f"{at}: to_services not offered for this direction: {unknown}")
        for direction in {rule.direction for rule in self.route_rules}:
            for team in self.from_teams:
                for service in self.to_services[direction]:
                    if not self.route_choices(direction, team, service):
                        raise ValueError(
                            f"route_rules give a {direction.value} request from {team!r} to {service!r} no route"
                        )

    def route_choices(self, direction: Direction, from_team: str, to_service: str) -> list[RouteRule]:
        """The rules a request with these answers may take, one per route, in the profile's order."""
        found: dict[str, RouteRule] = {}
        for rule in self.route_rules:
            if rule.matches(direction, from_team, to_service):
                found.setdefault(rule.route, rule)
        return list(found.values())

    def ruled(self, direction: Direction) -> bool:
        """Whether the profile's route rules pick this direction's route (else the requester picks any route)."""
        return any(rule.direction is direction for rule in self.route_rules)

    def offers(self, direction: Direction) -> bool:
        return direction in self.to_services

    def checklist(self, direction: Direction) -> list[ChecklistItem]:
        return self.checklists.get(direction, [])


def distinct_names(names: list[str]) -> list[str]:
    for name in names:
        if not name.strip():
            raise ValueError("a name is blank")
        if len(name) > SERVICE_NAME_MAX:
            raise ValueError(f"{name!r} is longer than {SERVICE_NAME_MAX} characters")
    if len(set(names)) != len(names):
        raise ValueError("a name is listed twice")
    return names


def _generic_checklist() -> list[ChecklistItem]:
    return [
        ChecklistItem(key="assessment", label="Assessment completed and up to date"),
        ChecklistItem(key="plan", label="Current plan"),
        ChecklistItem(key="chronology", label="Chronology up to date"),
        ChecklistItem(key="case_summary", label="Case summary"),
        ChecklistItem(key="supervision", label="Decision recorded in supervision"),
    ]


def default_transfers() -> Transfers:
    """What a profile without a [transfers] section offers: the three directions every procedure has, generic lists.

    Every shipped profile sets its own; this keeps a hand-written or test profile usable.
    """
    directions = (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL, Direction.STEP_UP)
    return Transfers(
        from_teams=["Social work team", "Early help team"],
        to_services={
            Direction.STEP_DOWN_EARLY_HELP: ["Early help"],
            Direction.STEP_DOWN_UNIVERSAL: ["Universal services"],
            Direction.STEP_UP: ["Children's social care"],
        },
        decline_reasons=[
            "The level of need does not meet the receiving service's threshold",
            "Another service is better placed to meet the child's needs",
        ],
        checklists={direction: _generic_checklist() for direction in directions},
        consent_required=[Direction.STEP_DOWN_EARLY_HELP],
        routes=["weekly_meeting", "manager_agreement", "direct"],
    )
