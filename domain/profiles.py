"""Policy profiles: one procedure's rules as validated data (the files live in profiles/)."""

from __future__ import annotations

import re
from datetime import date, time

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class Clinic(_Strict):
    """The step-down clinic (Redcar): a Teams meeting every N weeks."""

    enabled: bool = True
    anchor: date
    interval_weeks: int = Field(4, ge=1, le=12)
    weekday: int = Field(3, ge=0, le=6, description="Monday is 0; Thursday is 3")
    session_start: time = time(9, 30)
    session_end: time = time(12, 30)
    slot_minutes: int = Field(30, ge=5, le=240)
    capacity_per_slot: int = Field(1, ge=1, le=20)
    cutoff_time: time = time(12, 0)
    cutoff_working_days_before: int = Field(1, ge=0, le=10)
    on_bank_holiday: str = Field("next_working_day", pattern="^(skip|next_working_day)$")
    clinics_shown: int = Field(3, ge=1, le=10)

    @field_validator("session_end")
    @classmethod
    def _end_after_start(cls, value: time, info: object) -> time:
        data = getattr(info, "data", {})
        start = data.get("session_start")
        if start is not None and value <= start:
            raise ValueError("session_end must be after session_start")
        return value


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
