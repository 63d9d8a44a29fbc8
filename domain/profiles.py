"""Policy profiles: one procedure's rules as validated data (the files live in profiles/)."""

from __future__ import annotations

import re
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    reminder_window_start: time = time(9, 0)
    reminder_window_end: time = time(17, 0)

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
    assumptions: Assumed = Assumed()

    @field_validator("case_reference_pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    def role_title(self, role: Role) -> str:
        return self.labels.roles.get(role, ROLE_TITLES[role])
