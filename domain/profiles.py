"""Policy profiles: one procedure's rules as validated data (the files live in profiles/)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import Field, field_validator, model_validator

from domain.consent_terms import ConsentScope
from domain.deadline_rules import DeadlineRule, check_deadlines
from domain.directions import Direction
from domain.roles import ROLE_TITLES, Role
from domain.transfer_policy import KEY_PATTERN, StrictModel, Transfers, default_transfers, distinct_names


class Assumed(StrictModel):
    """Marks which values no procedure sets: they are the product's assumptions."""

    fields: list[str] = Field(default_factory=list)
    note: str = ""


class Working(StrictModel):
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


class Clinic(StrictModel):
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


class Labels(StrictModel):
    """What this authority calls each role and service."""

    roles: dict[Role, str] = Field(default_factory=dict)
    front_door: str = "Front door"
    coordinators: str = "Early Help Coordinators"


class OutcomeField(StrictModel):
    """Something a profile's outcome records beyond the decision (Redcar: the critical worry statement)."""

    key: str = Field(pattern=KEY_PATTERN, max_length=40)
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
        distinct_names(self.choices)
        return self

    def applies_to(self, direction: Direction) -> bool:
        return not self.directions or direction in self.directions


class Outcomes(StrictModel):
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


class ConsentRule(StrictModel):
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


class ConsentPolicy(StrictModel):
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


class PolicyProfile(StrictModel):
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
