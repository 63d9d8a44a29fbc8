"""Retention: how long each kind of record is kept once its case has closed, and which cases are past it.

A period is written as an ISO 8601 duration of years, months, weeks and days ("P6Y", "P18M", "P30D") or as
a whole number of days. A case closes when every request for its reference is in a final state (declined,
closed, withdrawn, referred externally; a transferred request is still open, as its handover and closing
tasks are not done); its closure is counted from the last change to any of them, so a dispute or a
correction after closure counts the period again from there.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.transfer_machine import FINAL_STATES
from domain.transfer_record import Transfer

_DURATION = re.compile(r"^P(?=\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
REMOVED = "This record was removed under the retention policy."


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    @staticmethod
    def parse(value: object) -> Period:
        """ "P6Y", "P1Y6M", "P2W", "P30D", or a number of days (30 or "30")."""
        if isinstance(value, Period):
            return value
        if isinstance(value, bool):
            raise ValueError("a retention period is a duration like P6Y or a number of days")
        if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
            days = int(value)
            if days < 1:
                raise ValueError("a retention period is at least one day")
            return Period(days=days)
        if isinstance(value, str):
            found = _DURATION.match(value.strip().upper())
            if found:
                years, months, weeks, days = (int(g) if g else 0 for g in found.groups())
                period = Period(years, months, weeks * 7 + days)
                if period == Period():
                    raise ValueError("a retention period is at least one day")
                return period
        raise ValueError(f"not a retention period (P6Y, P18M, P30D or a number of days): {str(value)[:40]!r}")

    def after(self, start: datetime) -> datetime:
        """The moment this long after `start` (a month on from 31 January is the end of February)."""
        return _shift(start, self.years * 12 + self.months) + timedelta(days=self.days)

    def before(self, end: datetime) -> datetime:
        """The moment this long before `end`: what was counted from then or earlier has passed its period."""
        return _shift(end - timedelta(days=self.days), -(self.years * 12 + self.months))

    def __str__(self) -> str:
        parts = [f"{n}{unit}" for n, unit in ((self.years, "Y"), (self.months, "M"), (self.days, "D")) if n]
        return "P" + "".join(parts)


def _shift(moment: datetime, months: int) -> datetime:
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


class RetentionPeriods(BaseModel):
    """The period of each kind of record (STEPBOT_RETENTION); the defaults are assumptions to confirm locally."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    # A request with its outcome versions, disputes, deadlines and the consent it recorded.
    transfers: Period = Field(default_factory=lambda: Period(years=6))
    # Clinic bookings for the case (one with no request at all: counted from its clinic date).
    bookings: Period = Field(default_factory=lambda: Period(years=6))
    # The audit events about the case (a case's tombstone is never removed); events about no case, from
    # their own date.
    audit_events: Period = Field(default_factory=lambda: Period(years=7))
    # The bot's own messages: rows that mention the case go with its requests; other rows settled
    # (sent, dropped or dead) this long ago.
    outbox: Period = Field(default_factory=lambda: Period(years=1))

    @field_validator("*", mode="before")
    @classmethod
    def _period(cls, value: object) -> Period:
        return Period.parse(value)

    def __str__(self) -> str:
        return ", ".join(f"{name} {getattr(self, name)}" for name in type(self).model_fields)


@dataclass(frozen=True)
class ClosedCase:
    reference: str
    closed_at: datetime
    transfers: tuple[Transfer, ...]


def closed_cases(transfers: Iterable[Transfer]) -> list[ClosedCase]:
    """Every case reference whose requests are all in a final state, with when it closed."""
    by_case: dict[str, list[Transfer]] = {}
    for transfer in transfers:
        by_case.setdefault(transfer.case_reference, []).append(transfer)
    closed = []
    for reference, found in sorted(by_case.items()):
        if all(t.state in FINAL_STATES for t in found):
            moments = [t.updated_at or t.created_at for t in found]
            known = [m for m in moments if m is not None]
            if known:
                closed.append(ClosedCase(reference, max(known), tuple(found)))
    return closed


def past(period: Period, since: datetime, now: datetime) -> bool:
    """Whether a record counted from `since` has passed its period by `now`."""
    return period.after(since) <= now
