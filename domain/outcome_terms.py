"""The words a meeting's outcome is recorded in: which meeting, and what it decided.

Kept apart from domain/outcomes.py (the outcome's fields and checks) so the transfer's own record can name
the latest outcome without depending on the rules that check one.
"""

from __future__ import annotations

from enum import StrEnum


class MeetingKind(StrEnum):
    """Where a request was discussed: the step-down clinic, the weekly (or locality) meeting, or a panel."""

    CLINIC = "clinic"
    WEEKLY_MEETING = "weekly_meeting"
    PANEL = "panel"


class OutcomeDecision(StrEnum):
    AGREED = "agreed"
    NOT_AGREED = "not_agreed"
    DEFERRED = "deferred"
    MORE_INFORMATION = "more_information"
    EXTERNAL_AGENCY = "external_agency"


MEETING_TITLES: dict[MeetingKind, str] = {
    MeetingKind.CLINIC: "Step-down clinic",
    MeetingKind.WEEKLY_MEETING: "Weekly meeting",
    MeetingKind.PANEL: "Panel",
}

DECISION_TITLES: dict[OutcomeDecision, str] = {
    OutcomeDecision.AGREED: "Agreed",
    OutcomeDecision.NOT_AGREED: "Not agreed",
    OutcomeDecision.DEFERRED: "Deferred",
    OutcomeDecision.MORE_INFORMATION: "More information needed",
    OutcomeDecision.EXTERNAL_AGENCY: "Handed to an external agency",
}
