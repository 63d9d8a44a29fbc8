"""Policy profiles: one procedure's rules as validated data (the files live in profiles/)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.consent_terms import ConsentScope
from domain.deadline_rules import DeadlineRule, Fact, check_deadlines
from domain.directions import Direction
from domain.roles import ROLE_TITLES, Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Assumed(_Strict):
    """Marks which values no procedure sets: they are the product's assumptions."""

    fields: list[str] = Field(default_factory=list)
    note: str = ""


class Working(_Strict):
    """How this authority counts working days and when a deadline falls due."""

    time_zone: str = "Europe/London"
    holiday_calendar: str = "GB-ENG"
    end_of_day: time = time(17, 0)
    # Working hours for reminders and escalations (domain.deadline_times.next_working_moment): from the start,
    # up to but not including the end.
    reminder_window_start: time = time(9, 0)
    reminder_window_end: time = time(17, 0)
    # The council's own days off; bot/ adds STEPBOT_CLOSURE_DAYS here at start-up (bot.profile_files).
    closure_days: frozenset[date] = frozenset()

    @model_validator(mode="after")
    def _window_is_a_window(self) -> Working:
        if self.reminder_window_end <= self.reminder_window_start:
            raise ValueError("reminder_window_end must be after reminder_window_start")
        return self

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"not a known IANA time zone: {value!r}") from exc
        return value

    @field_validator("holiday_calendar")
    @classmethod
    def _known_holiday_calendar(cls, value: str) -> str:
        # "GB-ENG" is the holidays package's country "GB", subdivision "ENG"; an unknown one must stop start-up,
        # not surface at the first deadline.
        country, _, subdivision = value.partition("-")
        try:
            holidays.country_holidays(country, subdiv=subdivision or None, years=2026)
        except NotImplementedError as exc:
            raise ValueError(f"not a holiday calendar the holidays package knows: {value!r} ({exc})") from exc
        return value


class Clinic(_Strict):
    """The step-down clinic (Redcar): a Teams meeting every N weeks.

    The series is the anchor plus whole multiples of `interval_weeks`; a clinic that falls on a bank holiday
    is skipped or held on the next working day (`on_bank_holiday`), without moving the rest of the series.
    The Teams join link is deployment configuration, not profile.
    """

    enabled: bool = True
    anchor: date = Field(description="one clinic day of the series; it must fall on `weekday`")
    interval_weeks: int = Field(4, ge=1, le=12)
    # Clinics are held on working days: a Saturday or Sunday series would be moved every time.
    weekday: int = Field(3, ge=0, le=4, description="Monday is 0; Thursday is 3")
    session_start: time = time(9, 30)
    session_end: time = time(12, 30)
    slot_minutes: int = Field(30, ge=5, le=240)
    capacity_per_slot: int = Field(1, ge=1, le=20)
    cutoff_time: time = time(12, 0)
    cutoff_working_days_before: int = Field(1, ge=0, le=10)
    on_bank_holiday: str = Field("next_working_day", pattern="^(skip|next_working_day)$")
    clinics_shown: int = Field(3, ge=1, le=10)
    standard_days: int = Field(
        28,
        ge=1,
        le=365,
        description="Redcar: a field-team step down takes no longer than 28 (calendar) days from the decision",
    )
    late_margin_days: int = Field(
        7,
        ge=0,
        le=60,
        description="a clinic later than standard_days minus this after the decision puts the standard at risk",
    )
    waitlist_hold_hours: int = Field(24, ge=1, le=168, description="how long a freed slot is held for the next waiting")
    agenda_hours_before: int = Field(24, ge=1, le=168, description="when the coordinators get the clinic agenda")
    reminder_working_days_before: int = Field(
        1, ge=0, le=10, description="when a booked social worker is reminded of their slot"
    )

    @field_validator("session_end")
    @classmethod
    def _end_after_start(cls, value: time, info: object) -> time:
        data = getattr(info, "data", {})
        start = data.get("session_start")
        if start is not None and value <= start:
            raise ValueError("session_end must be after session_start")
        return value

    @model_validator(mode="after")
    def _series_is_consistent(self) -> Clinic:
        if self.anchor.weekday() != self.weekday:
            raise ValueError(f"anchor {self.anchor.isoformat()} is not on weekday {self.weekday} (Monday is 0)")
        session_minutes = (self.session_end.hour - self.session_start.hour) * 60 + (
            self.session_end.minute - self.session_start.minute
        )
        if session_minutes < self.slot_minutes:
            raise ValueError(f"no {self.slot_minutes}-minute slot fits between session_start and session_end")
        if self.late_margin_days >= self.standard_days:
            raise ValueError("late_margin_days must be less than standard_days")
        return self


class Labels(_Strict):
    """What this authority calls each role and service."""

    roles: dict[Role, str] = Field(default_factory=dict)
    front_door: str = "Front door"
    coordinators: str = "Early Help Coordinators"


# The routes a request can take; domain.transfers.Route names the same values (a test holds them together).
KNOWN_ROUTES = ("clinic", "weekly_meeting", "panel", "manager_agreement", "direct")
# A request's team and service fields take at most this many characters, so a longer name could never be chosen.
SERVICE_NAME_MAX = 80
_KEY_PATTERN = "^[a-z][a-z0-9_]*$"


class ChecklistItem(_Strict):
    """One readiness item the requester ticks and the receiving side confirms or marks as a gap."""

    key: str = Field(pattern=_KEY_PATTERN, max_length=40)
    label: str = Field(min_length=3, max_length=200)
    source: str = Field("", description="which seed says so")


# The roles that may decide a request on the receiving side (domain.transfer_events.DECIDERS names the same).
ROUTE_DECIDERS = frozenset({Role.COORDINATOR, Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER})
# Who may authorise a request before the receiving side accepts it (Redcar: the MACH manager; Cheshire East:
# the Step Up/Step Down meeting, through its chair).
AUTHORISERS = frozenset({Role.FRONT_DOOR, Role.MEETING_CHAIR})


class RouteRule(_Strict):
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
        if self.channel and not re.fullmatch(_KEY_PATTERN, self.channel):
            raise ValueError(f"channel key {self.channel!r} must match {_KEY_PATTERN}")
        return self

    def matches(self, direction: Direction, from_team: str, to_service: str) -> bool:
        return (
            self.direction is direction
            and (not self.from_teams or from_team in self.from_teams)
            and (not self.to_services or to_service in self.to_services)
        )


class NextStep(_Strict):
    """What the requester does once the request is accepted and allocated (York: tell the team around the child)."""

    label: str = Field(min_length=3, max_length=200)
    directions: list[Direction] = Field(default_factory=list, description="empty: every direction")
    to_services: list[str] = Field(default_factory=list, description="empty: any receiving service")
    source: str = Field(min_length=3, max_length=200, description="which seed says so")

    def applies_to(self, direction: Direction, to_service: str) -> bool:
        return (not self.directions or direction in self.directions) and (
            not self.to_services or to_service in self.to_services
        )


class Transfers(_Strict):
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
        return _distinct_names(value)

    @field_validator("to_services")
    @classmethod
    def _services_are_named(cls, value: dict[Direction, list[str]]) -> dict[Direction, list[str]]:
        for direction, services in value.items():
            if not services:
                raise ValueError(f"{direction.value}: name at least one receiving service")
            _distinct_names(services)
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
            if not re.fullmatch(_KEY_PATTERN, channel):
                raise ValueError(f"{service!r}: channel key {channel!r} must match {_KEY_PATTERN}")
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


class OutcomeField(_Strict):
    """Something a profile's outcome records beyond the decision (Redcar: the critical worry statement)."""

    key: str = Field(pattern=_KEY_PATTERN, max_length=40)
    label: str = Field(min_length=3, max_length=120)
    kind: Literal["text", "choice"] = "text"
    choices: list[str] = Field(default_factory=list, description="for a choice: what may be picked")
    required: bool = False
    directions: list[Direction] = Field(default_factory=list, description="empty: every direction")
    source: str = Field(min_length=3, max_length=200, description="which seed says so")

    @model_validator(mode="after")
    def _choices_iff_choice(self) -> OutcomeField:
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"{self.key}: a choice field lists its choices, and only a choice field does")
        _distinct_names(self.choices)
        return self

    def applies_to(self, direction: Direction) -> bool:
        return not self.directions or direction in self.directions


class Outcomes(_Strict):
    """What a meeting's outcome records in this profile, beyond the decision every profile records."""

    # Redcar: the clinic decides the service and pathway, internal or external (002, 1.1).
    external_pathway: bool = False
    external_source: str = Field("", max_length=200)
    # What this authority calls its meetings, by route ("Locality Step Up/Step Down Meeting").
    meeting_titles: dict[str, str] = Field(default_factory=dict)
    fields: list[OutcomeField] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _consistent(self) -> Outcomes:
        if self.external_pathway and not self.external_source:
            raise ValueError("external_pathway cites the seed that offers it (external_source)")
        unknown = sorted(set(self.meeting_titles) - {"clinic", "weekly_meeting", "panel"})
        if unknown:
            raise ValueError(f"meeting_titles names routes that are no meeting: {unknown}")
        keys = [f.key for f in self.fields]
        if len(set(keys)) != len(keys):
            raise ValueError("an outcome field key is listed twice")
        return self


_CONSENT_SOURCE = re.compile(r"^(?P<seed>\d{3}) lines? \d+")


class ConsentRule(_Strict):
    """The consent a request in these directions needs before it is sent, as the seed's line says."""

    directions: list[Direction] = Field(min_length=1)
    needs: list[ConsentScope] = Field(min_length=1, description="every scope the family's consent must cover")
    # "except where seeking it would increase the risk": consent not sought (with the reason and the manager
    # who agreed) is accepted instead.
    unless_risk: bool = False
    source: str = Field(min_length=12, max_length=300, description='the seed and its line: "003 line 52: ..."')

    @field_validator("source")
    @classmethod
    def _cites_a_line(cls, value: str) -> str:
        if not _CONSENT_SOURCE.match(value):
            raise ValueError(f'a consent rule cites its seed and line, like "003 line 52: ...", not {value[:40]!r}')
        return value

    @property
    def seed(self) -> str:
        found = _CONSENT_SOURCE.match(self.source)
        return found.group("seed") if found else ""


class ConsentPolicy(_Strict):
    """What the family's consent may cover here (the form's scope choices) and what each direction needs."""

    scopes: list[ConsentScope] = Field(
        default_factory=lambda: [
            ConsentScope.SHARE_INFORMATION,
            ConsentScope.EARLY_HELP_OFFER,
            ConsentScope.SOCIAL_CARE_REFERRAL,
        ],
        min_length=1,
    )
    rules: list[ConsentRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _needs_are_offered(self) -> ConsentPolicy:
        if len(set(self.scopes)) != len(self.scopes):
            raise ValueError("consent.scopes lists a scope twice")
        for rule in self.rules:
            missing = sorted(s.value for s in set(rule.needs) - set(self.scopes))
            if missing:
                raise ValueError(f"a consent rule needs scopes the form does not offer (consent.scopes): {missing}")
        return self

    def rules_for(self, direction: Direction) -> list[ConsentRule]:
        return [rule for rule in self.rules if direction in rule.directions]


def _distinct_names(names: list[str]) -> list[str]:
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


class PolicyProfile(_Strict):
    """One procedure's rules; loaded from a profile file and validated at start-up."""

    key: str = Field(pattern="^[a-z][a-z0-9_-]*$")
    authority: str
    source: str = Field(description="which seed procedure this profile follows")
    case_reference_pattern: str = r"^[A-Z]{2,6}-\d{4,8}$"
    case_reference_example: str = "DEMO-0001"
    working: Working = Working()
    labels: Labels = Labels()
    clinic: Clinic | None = None
    transfers: Transfers = Field(default_factory=default_transfers)
    deadlines: list[DeadlineRule] = Field(default_factory=list, description="the procedure's clocks")
    outcomes: Outcomes = Outcomes()
    consent: ConsentPolicy = ConsentPolicy()
    assumptions: Assumed = Assumed()

    @field_validator("case_reference_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _clinic_route_needs_a_clinic(self) -> PolicyProfile:
        if "clinic" in self.transfers.routes and self.clinic is None:
            raise ValueError("transfers.routes offers the clinic but this profile has no [clinic]")
        return self

    @model_validator(mode="after")
    def _route_rules_cite_the_seed(self) -> PolicyProfile:
        seed = self.source[:3]
        for i, rule in enumerate(self.transfers.route_rules):
            if not rule.source.startswith(seed):
                raise ValueError(f"transfers.route_rules[{i}]: source must cite this profile's seed ({seed!r} ...)")
        for i, step in enumerate(self.transfers.after_allocation):
            if not step.source.startswith(seed):
                raise ValueError(
                    f"transfers.after_allocation[{i}]: source must cite this profile's seed ({seed!r} ...)"
                )
            offered = {
                s
                for d in step.directions or list(self.transfers.to_services)
                for s in self.transfers.to_services.get(d, [])
            }
            if set(step.to_services) - offered:
                raise ValueError(f"transfers.after_allocation[{i}]: to_services not offered: {step.to_services}")
        if self.transfers.meeting_cadence and "weekly_meeting" not in self.transfers.routes:
            raise ValueError("transfers.meeting_cadence is set but no route is a meeting")
        return self

    @model_validator(mode="after")
    def _deadlines_fit_the_profile(self) -> PolicyProfile:
        check_deadlines(
            self.deadlines,
            from_teams=self.transfers.from_teams,
            services=self.transfers.to_services,
            routes=self.transfers.routes,
            assumed_fields=self.assumptions.fields,
            seed=self.source[:3],
        )
        return self

    @model_validator(mode="after")
    def _consent_rules_fit_the_profile(self) -> PolicyProfile:
        seed = self.source[:3]
        for rule in self.consent.rules:
            offered = [d.value for d in rule.directions if not self.transfers.offers(d)]
            if offered:
                raise ValueError(f"a consent rule names directions this profile does not offer: {offered}")
            if seed.isdigit() and rule.seed != seed:
                raise ValueError(f"a consent rule cites seed {rule.seed}, but this profile follows seed {seed}")
        return self

    def is_case_reference(self, value: str) -> bool:
        """Whether `value` is written as this authority's case references are: plain ASCII, matching the pattern.

        re.ASCII: without it `\\d` also matches other scripts' digits (full-width ones, say), which would slip past
        the one-booking-per-case rule and every lookup by case.
        """
        return value.isascii() and re.fullmatch(self.case_reference_pattern, value, flags=re.ASCII) is not None

    def role_title(self, role: Role) -> str:
        return self.labels.roles.get(role, ROLE_TITLES[role])
