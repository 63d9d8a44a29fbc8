"""A meeting's outcome: which meeting, what it decided and what that decision carries, and the checks on it.

The chair, or the coordinators who run the meeting, record one from a card; it moves the request through the
life cycle (the decision's event, `DECISION_EVENTS`) and is kept as versions: a correction is a new version
with its reason, never an edit, and keeps the decision itself (a different decision is a dispute for a
manager to settle). What each profile adds (Redcar's critical worry statement, York's time frame) is the
profile's `[outcomes]` fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field

from domain.deadline_rules import Fact
from domain.deadline_times import due_at
from domain.directions import Direction
from domain.outcome_terms import MEETING_TITLES, MeetingKind, OutcomeDecision
from domain.profiles import OutcomeField, PolicyProfile
from domain.roles import Person
from domain.transfer_access import OWN_REQUEST_REFUSAL, access_refusal, doing, granted, own_request
from domain.transfer_events import EVENTS, Relation
from domain.transfer_machine import Event
from domain.transfer_record import NAME_MAX, Transfer
from domain.transfers import REASON_MAX, Route
from domain.working_days import WorkingCalendar, format_date

ACTIONS_MAX = 6
EXTRA_MAX = 1000
CORRECTION_MIN = 3

DECISION_EVENTS: dict[OutcomeDecision, Event] = {
    OutcomeDecision.AGREED: Event.OUTCOME_AGREED,
    OutcomeDecision.NOT_AGREED: Event.OUTCOME_NOT_AGREED,
    OutcomeDecision.DEFERRED: Event.OUTCOME_DEFERRED,
    OutcomeDecision.MORE_INFORMATION: Event.MORE_INFORMATION_NEEDED,
    OutcomeDecision.EXTERNAL_AGENCY: Event.REFER_EXTERNALLY,
}

_MEETING_ROUTES: dict[Route, MeetingKind] = {
    Route.CLINIC: MeetingKind.CLINIC,
    Route.WEEKLY_MEETING: MeetingKind.WEEKLY_MEETING,
    Route.PANEL: MeetingKind.PANEL,
}


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


class OutcomeAction(_Input):
    """One action the meeting agreed: what, whose, by when."""

    what: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=NAME_MAX)
    due: date


class Outcome(_Input):
    """What the meeting decided, as the form sends it and the outcomes table keeps it."""

    meeting_kind: MeetingKind
    meeting_on: date
    decision: OutcomeDecision
    reason: str = Field("", max_length=300)  # not agreed: one of the profile's reasons
    note: str = Field("", max_length=300)
    deferred_to: date | None = None
    missing: str = Field("", max_length=REASON_MAX)  # more information: what is missing
    agency: str = Field("", max_length=NAME_MAX)  # external: to whom
    team: str = Field("", max_length=NAME_MAX)  # agreed: the receiving team
    lead_practitioner: str = Field("", max_length=NAME_MAX)  # agreed: empty is "to be named"
    lead_is_me: bool = False
    actions: tuple[OutcomeAction, ...] = Field((), max_length=ACTIONS_MAX)
    final_meeting_on: date | None = None  # the final Child in Need or handover meeting
    extras: dict[str, str] = Field(default_factory=dict, max_length=8)

    @property
    def event(self) -> Event:
        return DECISION_EVENTS[self.decision]


@dataclass(frozen=True)
class OutcomeVersion:
    """One recorded version of a request's outcome; the highest version is the one that stands."""

    transfer_id: int
    version: int
    outcome: Outcome
    correction_reason: str
    recorded_by_name: str
    recorded_by_object_id: str
    recorded_at: datetime

    @property
    def corrected(self) -> bool:
        return bool(self.correction_reason)


def meeting_kinds(profile: PolicyProfile) -> list[MeetingKind]:
    """The meetings this profile's requests go to; a profile with none still has the meeting a request is
    scheduled for, which is its weekly meeting."""
    kinds = [kind for route, kind in _MEETING_ROUTES.items() if route.value in profile.transfers.routes]
    return kinds or [MeetingKind.WEEKLY_MEETING]


def meeting_kind_for(transfer: Transfer, profile: PolicyProfile) -> MeetingKind:
    """The meeting a request is on: its route's, or the profile's first."""
    return _MEETING_ROUTES.get(transfer.route) or meeting_kinds(profile)[0]


def meeting_title(kind: MeetingKind, profile: PolicyProfile) -> str:
    """What this authority calls the meeting ("Locality Step Up/Step Down Meeting")."""
    return profile.outcomes.meeting_titles.get(kind.value) or MEETING_TITLES[kind]


def decisions_offered(profile: PolicyProfile) -> list[OutcomeDecision]:
    """The decisions a meeting may record here: the external pathway only where the profile has one."""
    return [d for d in OutcomeDecision if d is not OutcomeDecision.EXTERNAL_AGENCY or profile.outcomes.external_pathway]


def extra_fields(profile: PolicyProfile, direction: Direction) -> list[OutcomeField]:
    """The profile's own outcome fields for a request in this direction."""
    return [f for f in profile.outcomes.fields if f.applies_to(direction)]


def final_meeting_due(
    transfer: Transfer, profile: PolicyProfile, meeting_on: date, calendar: WorkingCalendar
) -> tuple[date, str] | None:
    """The last day the profile allows for the final Child in Need (handover) meeting after this meeting, and
    the rule in words ("within 5 working days of the meeting that agreed it"); None where it sets none."""
    for rule in profile.deadlines:
        if (
            Fact.FINAL_CIN_MEETING_HELD in rule.stops_on
            and rule.starts_on in (Fact.MEETING_AGREED, Fact.MEETING_HELD)
            and rule.applies_to(
                direction=transfer.direction,
                from_team=transfer.from_team,
                to_service=transfer.to_service,
                route=transfer.route.value,
            )
        ):
            started = datetime.combine(meeting_on, time(12), tzinfo=calendar.zone)
            return calendar.local_date(due_at(rule, started, calendar, profile.working)), rule.how_long()
    return None


def window_warning(
    outcome: Outcome, transfer: Transfer, profile: PolicyProfile, calendar: WorkingCalendar
) -> str | None:
    """The sentence that flags a final meeting dated outside the profile's window, or None when it is inside."""
    if outcome.final_meeting_on is None:
        return None
    window = final_meeting_due(transfer, profile, outcome.meeting_on, calendar)
    if window is None or outcome.final_meeting_on <= window[0]:
        return None
    return (
        f"The final Child in Need meeting on {format_date(outcome.final_meeting_on)} is outside "
        f"{profile.authority}'s window: {window[1]}, by {format_date(window[0])}."
    )


def outcome_problems(
    outcome: Outcome,
    transfer: Transfer,
    profile: PolicyProfile,
    today: date,
    *,
    corrects: OutcomeVersion | None = None,
    correction_reason: str = "",
) -> list[str]:
    """What is wrong with this outcome for this request, in the words the form shows; empty when it may stand.

    `corrects` is the version a correction replaces: it needs a reason and keeps the decision.
    """
    problems: list[str] = []
    if outcome.meeting_kind not in meeting_kinds(profile):
        problems.append("Choose the meeting from the list.")
    if outcome.meeting_on > today:
        problems.append("The meeting's date can't be in the future: record the outcome once it has been held.")
    if outcome.decision not in decisions_offered(profile):
        problems.append(f"In {profile.authority} a meeting does not hand a request to an external agency.")
    problems += _decision_problems(outcome, transfer, profile, today)
    for action in outcome.actions:
        if action.due < outcome.meeting_on:
            problems.append(f"The action “{action.what[:40]}” is due before the meeting: check its date.")
            break
    if outcome.final_meeting_on is not None and outcome.final_meeting_on < outcome.meeting_on:
        problems.append("The final Child in Need meeting can't be before this meeting.")
    problems += _extra_problems(outcome, transfer, profile)
    if corrects is not None:
        if len(correction_reason.strip()) < CORRECTION_MIN:
            problems.append("Say why you are correcting the outcome.")
        if outcome.decision is not corrects.outcome.decision:
            problems.append(
                "A correction keeps the decision. To change the decision itself, raise a dispute: a manager settles it."
            )
    return problems


def _decision_problems(outcome: Outcome, transfer: Transfer, profile: PolicyProfile, today: date) -> list[str]:
    decision = outcome.decision
    if decision is OutcomeDecision.AGREED:
        teams = profile.transfers.to_services.get(transfer.direction, []) or [transfer.to_service]
        if outcome.team not in teams:
            return ["Choose the receiving team from the list."]
    elif decision is OutcomeDecision.NOT_AGREED:
        if outcome.reason not in profile.transfers.decline_reasons:
            return ["Choose the reason it was not agreed from the list."]
    elif decision is OutcomeDecision.DEFERRED:
        if outcome.deferred_to is None:
            return ["Give the date it is deferred to."]
        if outcome.deferred_to <= outcome.meeting_on or outcome.deferred_to < today:
            return ["The date it is deferred to comes after the meeting, and not in the past."]
    elif decision is OutcomeDecision.MORE_INFORMATION:
        if len(outcome.missing) < 3:
            return ["Say what information is missing: it goes back to the requester."]
    elif decision is OutcomeDecision.EXTERNAL_AGENCY and len(outcome.agency) < 2:
        return ["Name the external agency the case is handed to."]
    return []


def _extra_problems(outcome: Outcome, transfer: Transfer, profile: PolicyProfile) -> list[str]:
    fields = {f.key: f for f in extra_fields(profile, transfer.direction)}
    if set(outcome.extras) - set(fields):
        return ["The card sent a field this outcome does not have."]
    problems: list[str] = []
    for key, field in fields.items():
        value = outcome.extras.get(key, "")
        if len(value) > EXTRA_MAX:
            problems.append(f"{field.label}: at most {EXTRA_MAX} characters.")
        elif field.kind == "choice" and value and value not in field.choices:
            problems.append(f"{field.label}: choose from the list.")
        elif field.required and not value and outcome.decision is OutcomeDecision.AGREED:
            problems.append(f"{field.label}: this is needed when the move is agreed.")
    return problems


def correct_refusal(
    transfer: Transfer, person: Person, relations: frozenset[Relation], profile: PolicyProfile
) -> str | None:
    """Why this person may not correct the request's outcome, or None: whoever may record that decision may
    correct it, whatever the request has done since (a correction changes the record, not the request)."""
    note = transfer.decision.outcome
    if note is None:
        return "No outcome is recorded on this request yet: record one first."
    rule = EVENTS[DECISION_EVENTS[note.decision]]
    if not granted(rule, person, relations, transfer, profile):
        return access_refusal(rule, transfer, profile).replace(doing(rule.event), "correct its outcome")
    if own_request(rule, person, relations):
        return OWN_REQUEST_REFUSAL
    return None
