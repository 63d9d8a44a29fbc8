"""A case's history as people read it: the audit events about it, in words, with no detail a family gave."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.transfer_machine import EVENT_TITLES, Event

SYSTEM_ACTOR = "system"


@dataclass(frozen=True)
class AuditEntry:
    """One audit event about a case: who did what, when, to which record (its detail is never shown)."""

    id: int
    at: datetime
    actor_object_id: str
    action: str
    record_type: str
    record_id: str
    detail: Mapping[str, Any] = field(default_factory=dict)  # for the export; no card shows it


_TITLES: dict[str, str] = {
    "transfer.submitted": "Sent the request",
    "transfer.details_viewed": "Viewed the request's details",
    "transfer.refused": "Was refused an action on the request",
    "transfer.urgent_call_recorded": "Recorded an urgent call",
    "outcome.recorded": "Recorded the meeting's outcome",
    "outcome.corrected": "Corrected the meeting's outcome",
    "outcome.history_viewed": "Viewed the outcome's versions",
    "dispute.raised": "Raised a dispute about a decision",
    "dispute.settled": "Settled a dispute",
    "dispute.refused": "Was refused an action on a dispute",
    "case.viewed": "Opened the case's history",
    "case.refused": "Was refused the case's history",
    "case.exported": "Exported the case's record",
    "case.purged": "Removed the case under the retention policy",
    "deadline.overdue": "A deadline passed",
    "deadline.snoozed": "Snoozed a reminder",
    "deadline.reassigned": "Reassigned a deadline",
    "deadline.extended": "Extended a deadline",
    "access.refused": "Was refused an action",
    "booking.assessment_discussed": "Recorded the Assessment Team's discussion",
}


def audit_title(action: str) -> str:
    """What an audit event's action means in words; an action this table does not know, in its own words."""
    if action in _TITLES:
        return _TITLES[action]
    area, _, verb = action.partition(".")
    if area == "transfer":
        try:
            return EVENT_TITLES[Event(verb)]
        except ValueError:
            pass
    words = f"{area} {verb}".replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def actor_name(object_id: str, names: Mapping[str, str]) -> str:
    """Who did it, by the name the bot knows them by; the bot's own jobs are "The bot"."""
    if object_id == SYSTEM_ACTOR:
        return "The bot"
    if names.get(object_id):
        return names[object_id]
    if object_id.startswith("console:"):
        return "An administrator at the console"
    return "A colleague"
