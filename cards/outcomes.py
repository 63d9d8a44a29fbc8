"""A meeting's outcome: choosing the decision, its short form, and how a recorded outcome reads on other cards.

The form is one per decision, so each stays short: "Record outcome" first asks what the meeting decided,
then shows only what that decision needs (an agreed move: the team, the lead practitioner, the actions, the
final meeting's date and what the profile adds; not agreed: the reason; and so on).
"""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from cards.elements import Json, card, container, facts, heading, not_now, text
from cards.payloads import ActionPayload, RecordAction
from cards.transfer_card import button, case_label
from domain.consent import consent_line, current_consent
from domain.outcome_terms import DECISION_TITLES, OutcomeDecision
from domain.outcomes import (
    EXTRA_MAX,
    OutcomeVersion,
    decisions_offered,
    extra_fields,
    final_meeting_due,
    meeting_kind_for,
    meeting_kinds,
    meeting_title,
    window_warning,
)
from domain.profiles import OutcomeField, PolicyProfile
from domain.transfer_record import Transfer
from domain.working_days import WorkingCalendar, format_date

EXTRA_PREFIX = "extra_"
ACTION_ROWS = 3  # the form's rows for actions; more go in the meeting's own notes
VIEW_RECORDED = "Your view of this outcome is recorded."
HISTORY_SHOWN = 3  # versions on one card: at their largest, more would pass Teams' message limit

_DECISION_HINTS: dict[OutcomeDecision, str] = {
    OutcomeDecision.AGREED: "The move goes ahead: name the receiving team and, if known, the lead practitioner.",
    OutcomeDecision.NOT_AGREED: "The request is declined, with the reason.",
    OutcomeDecision.DEFERRED: "The request waits for a later meeting.",
    OutcomeDecision.MORE_INFORMATION: "It goes back to the requester with what is missing.",
    OutcomeDecision.EXTERNAL_AGENCY: "The social worker completes that agency's own referral form; the request closes.",
}


class StartOutcome(RecordAction):
    """ "Record outcome" on a request's card: asks what the meeting decided."""


class StartOutcomeForCase(ActionPayload):
    """ "Record outcome" on a clinic agenda's booking: the open request for that case."""

    case_reference: str = Field(max_length=32)


class OutcomeForm(RecordAction):
    """The form for one decision, or (`correct`) the form correcting the latest outcome."""

    decision: OutcomeDecision
    correct: bool = False


class RecordOutcome(RecordAction):
    """An outcome form sent back; the profile's own fields arrive as `extra_<key>`."""

    model_config = RecordAction.model_config | {"extra": "allow"}
    extra_prefix: ClassVar[str] = EXTRA_PREFIX

    decision: OutcomeDecision
    correct: bool = False
    meeting_kind: str = Field("", max_length=24)
    meeting_on: str = Field("", max_length=10)
    reason: str = Field("", max_length=300)
    note: str = Field("", max_length=300)
    deferred_to: str = Field("", max_length=10)
    missing: str = Field("", max_length=1000)
    agency: str = Field("", max_length=80)
    team: str = Field("", max_length=160)
    lead_practitioner: str = Field("", max_length=160)
    lead_is_me: bool = False
    final_meeting_on: str = Field("", max_length=10)
    correction_reason: str = Field("", max_length=300)
    action_1_what: str = Field("", max_length=200)
    action_1_owner: str = Field("", max_length=80)
    action_1_due: str = Field("", max_length=10)
    action_2_what: str = Field("", max_length=200)
    action_2_owner: str = Field("", max_length=80)
    action_2_due: str = Field("", max_length=10)
    action_3_what: str = Field("", max_length=200)
    action_3_owner: str = Field("", max_length=80)
    action_3_due: str = Field("", max_length=10)

    @model_validator(mode="after")
    def _extras_are_text(self) -> RecordOutcome:
        extra = self.model_extra or {}
        key = re.compile(rf"^{EXTRA_PREFIX}[a-z][a-z0-9_]{{0,39}}$")
        if len(extra) > 8:
            raise PydanticCustomError("too_many_fields", "too many fields")
        for name, value in extra.items():
            if not key.match(name):
                raise PydanticCustomError("extra_forbidden", "{field} is not a field of this card", {"field": name})
            if not isinstance(value, str) or len(value) > EXTRA_MAX:
                raise PydanticCustomError("string_too_long", "{field} is too long", {"field": name})
        return self

    def extras(self) -> dict[str, str]:
        extra = self.model_extra or {}
        return {k[len(EXTRA_PREFIX) :]: str(v).strip() for k, v in extra.items() if str(v).strip()}

    def action_rows(self) -> list[tuple[str, str, str]]:
        rows = [
            (self.action_1_what, self.action_1_owner, self.action_1_due),
            (self.action_2_what, self.action_2_owner, self.action_2_due),
            (self.action_3_what, self.action_3_owner, self.action_3_due),
        ]
        return [row for row in rows if any(row)]


# -- choosing the decision ----------------------------------------------------------------------------------
def render_decision_choice(transfer: Transfer, profile: PolicyProfile, note: str = "") -> Json:
    """What did the meeting decide? One button per decision the profile's meetings make."""
    kind = meeting_kind_for(transfer, profile)
    body: list[Json] = [heading(f"Record the outcome: {case_label(transfer, profile)}")]
    if note:
        body.append(text(note, weight="Bolder"))
    body.append(text(f"What did the {meeting_title(kind, profile)} decide?"))
    lines = [f"- **{DECISION_TITLES[d]}**: {_DECISION_HINTS[d]}" for d in decisions_offered(profile)]
    body.append(text("\n".join(lines)))
    ids = {"record_id": transfer.id, "version": transfer.version}
    actions = [
        button(DECISION_TITLES[d], "outcome.form", {**ids, "decision": d.value}) for d in decisions_offered(profile)
    ]
    return card(body, actions)


# -- the form -------------------------------------------------------------------------------------------------
def _choice(id_: str, label: str, values: list[str], value: str = "", *, required: bool = True) -> Json:
    out: Json = {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": label,
        "choices": [{"title": v, "value": v} for v in values],
        "isRequired": required,
        "errorMessage": f"Choose the {label.lower()}",
    }
    if value in values:
        out["value"] = value
    return out


def _text(
    id_: str, label: str, max_length: int, value: str = "", *, required: bool = False, lines: bool = False
) -> Json:
    out: Json = {"type": "Input.Text", "id": id_, "label": label, "maxLength": max_length}
    if value:
        out["value"] = value
    if required:
        out["isRequired"] = True
        out["errorMessage"] = f"{label}: this is needed"
    if lines:
        out["isMultiline"] = True
    return out


def _date(id_: str, label: str, value: date | None, *, max_day: date | None = None, required: bool = False) -> Json:
    out: Json = {"type": "Input.Date", "id": id_, "label": label}
    if value is not None:
        out["value"] = value.isoformat()
    if max_day is not None:
        out["max"] = max_day.isoformat()
    if required:
        out["isRequired"] = True
        out["errorMessage"] = "Choose the date"
    return out


def _meeting_inputs(
    transfer: Transfer, profile: PolicyProfile, today: date, previous: OutcomeVersion | None
) -> tuple[list[Json], dict[str, str]]:
    """Which meeting and when; a profile with one kind of meeting sends it with the button instead."""
    kinds = meeting_kinds(profile)
    kind = previous.outcome.meeting_kind if previous else meeting_kind_for(transfer, profile)
    held = previous.outcome.meeting_on if previous else today
    inputs: list[Json] = []
    fixed: dict[str, str] = {}
    if len(kinds) > 1:
        choice = _choice("meeting_kind", "Meeting", [], required=True)
        choice["choices"] = [{"title": meeting_title(k, profile), "value": k.value} for k in kinds]
        choice["value"] = kind.value
        inputs.append(choice)
    else:
        fixed["meeting_kind"] = kinds[0].value
    inputs.append(
        _date("meeting_on", f"Date of the {meeting_title(kind, profile)}", held, max_day=today, required=True)
    )
    return inputs, fixed


def _action_inputs(previous: OutcomeVersion | None) -> list[Json]:
    shown = list(previous.outcome.actions) if previous else []
    rows: list[Json] = [text("Actions agreed (optional): what, whose, by when", weight="Bolder")]
    for i in range(1, ACTION_ROWS + 1):
        action = shown[i - 1] if i <= len(shown) else None
        rows.append(
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [_text(f"action_{i}_what", f"Action {i}", 200, action.what if action else "")],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [_text(f"action_{i}_owner", "Whose", 80, action.owner if action else "")],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [_date(f"action_{i}_due", "By", action.due if action else None)],
                    },
                ],
            }
        )
    return rows


def _extra_input(field: OutcomeField, value: str) -> Json:
    if field.kind == "choice":
        return _choice(EXTRA_PREFIX + field.key, field.label, field.choices, value, required=field.required)
    return _text(EXTRA_PREFIX + field.key, field.label, EXTRA_MAX, value, required=field.required, lines=True)


def _final_meeting_input(
    transfer: Transfer, profile: PolicyProfile, calendar: WorkingCalendar, today: date, previous: OutcomeVersion | None
) -> list[Json]:
    value = previous.outcome.final_meeting_on if previous else None
    label = "Date of the final Child in Need or handover meeting"
    window = final_meeting_due(transfer, profile, previous.outcome.meeting_on if previous else today, calendar)
    if window is not None:
        label += f" ({window[1]})"
    return [_date("final_meeting_on", label, value)]


def _decision_inputs(
    decision: OutcomeDecision,
    transfer: Transfer,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    today: date,
    previous: OutcomeVersion | None,
    correcting: bool,
) -> list[Json]:
    old = previous.outcome if previous else None
    inputs: list[Json] = []
    if decision is OutcomeDecision.AGREED:
        if not correcting:
            teams = profile.transfers.to_services.get(transfer.direction, []) or [transfer.to_service]
            inputs.append(_choice("team", "Receiving team", teams, transfer.to_service))
            inputs.append(_text("lead_practitioner", "Lead practitioner (leave empty if still to be named)", 80))
            inputs.append(
                {
                    "type": "Input.Toggle",
                    "id": "lead_is_me",
                    "label": "Or yourself",
                    "title": "I'm the lead practitioner",
                    "valueOn": "true",
                    "valueOff": "false",
                    "value": "false",
                }
            )
        inputs += _final_meeting_input(transfer, profile, calendar, today, previous)
        for field in extra_fields(profile, transfer.direction):
            inputs.append(_extra_input(field, old.extras.get(field.key, "") if old else ""))
    elif decision is OutcomeDecision.NOT_AGREED:
        inputs.append(_choice("reason", "Reason", profile.transfers.decline_reasons, old.reason if old else ""))
    elif decision is OutcomeDecision.DEFERRED:
        inputs.append(_date("deferred_to", "Deferred to", old.deferred_to if old else None, required=True))
    elif decision is OutcomeDecision.MORE_INFORMATION:
        inputs.append(
            _text("missing", "What information is missing", 1000, old.missing if old else "", required=True, lines=True)
        )
    else:
        inputs.append(_text("agency", "The external agency", 80, old.agency if old else "", required=True))
    return inputs


def render_outcome_form(
    transfer: Transfer,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    decision: OutcomeDecision,
    *,
    today: date,
    previous: OutcomeVersion | None = None,
    note: str = "",
) -> Json:
    """The short form for one decision; with `previous`, the form correcting it (the decision stays)."""
    correcting = previous is not None
    verb = "Correct" if correcting else "Record"
    body: list[Json] = [heading(f"{verb} the outcome: {case_label(transfer, profile)}")]
    if note:
        body.append(container([text(note, weight="Bolder")], style="attention"))
    kind = previous.outcome.meeting_kind if previous else meeting_kind_for(transfer, profile)
    decided = f"The {meeting_title(kind, profile)} decided: **{DECISION_TITLES[decision]}**."
    body.append(text(f"{decided} {_DECISION_HINTS[decision]}"))
    meeting, fixed = _meeting_inputs(transfer, profile, today, previous)
    body += meeting
    body += _decision_inputs(decision, transfer, profile, calendar, today, previous, correcting)
    if decision is not OutcomeDecision.EXTERNAL_AGENCY:
        body += _action_inputs(previous)
    old_note = previous.outcome.note if previous else ""
    body.append(_text("note", "Note (optional)", 300, old_note, lines=True))
    if correcting:
        body.append(_text("correction_reason", "Why you are correcting it", 300, required=True, lines=True))
    ids = {"record_id": transfer.id, "version": transfer.version, "decision": decision.value, **fixed}
    if correcting:
        ids["correct"] = True
    title = "Save the correction" if correcting else "Record the outcome"
    back = not_now("transfer.refresh", {"record_id": transfer.id})
    return card(body, [button(title, "outcome.record", ids, style="positive"), back])


# -- how a recorded outcome reads --------------------------------------------------------------------------
def outcome_elements(
    version: OutcomeVersion, transfer: Transfer, profile: PolicyProfile, calendar: WorkingCalendar
) -> list[Json]:
    """One version in full, for the people on the case (the details and history cards)."""
    outcome = version.outcome
    rows = [
        ("Meeting", f"{meeting_title(outcome.meeting_kind, profile)}, {format_date(outcome.meeting_on)}"),
        ("Decision", DECISION_TITLES[outcome.decision]),
    ]
    if outcome.decision is OutcomeDecision.AGREED:
        rows.append(("Receiving team", outcome.team))
        rows.append(("Lead practitioner", outcome.lead_practitioner or "To be named"))
    if outcome.reason:
        rows.append(("Reason", outcome.reason))
    if outcome.deferred_to is not None:
        rows.append(("Deferred to", format_date(outcome.deferred_to)))
    if outcome.agency:
        rows.append(("External agency", outcome.agency))
    if outcome.final_meeting_on is not None:
        rows.append(("Final Child in Need meeting", format_date(outcome.final_meeting_on)))
    consent = current_consent(transfer)
    if consent is not None:
        rows.append(("Consent", consent_line(consent)))
    fields = {f.key: f.label for f in profile.outcomes.fields}
    items: list[Json] = [facts(rows)]
    warning = window_warning(outcome, transfer, profile, calendar)
    if warning:
        items.append(container([text(warning, weight="Bolder")], style="attention"))
    if outcome.missing:
        items.append(text(f"Missing: {outcome.missing}"))
    for key, value in outcome.extras.items():
        items.append(text(f"**{fields.get(key, key)}**: {value}"))
    if outcome.actions:
        lines = [f"- {a.what} ({a.owner}, by {format_date(a.due)})" for a in outcome.actions]
        items.append(text("Actions:\n" + "\n".join(lines)))
    if outcome.note:
        items.append(text(f"Note: {outcome.note}"))
    when = calendar.format_when(version.recorded_at)
    who = version.recorded_by_name or "someone"
    if version.corrected:
        items.append(
            text(
                f"Version {version.version}: corrected by {who}, {when}. Why: {version.correction_reason}", subtle=True
            )
        )
    else:
        items.append(text(f"Version {version.version}: recorded by {who}, {when}.", subtle=True))
    return items


def render_outcome_history(
    versions: list[OutcomeVersion], transfer: Transfer, profile: PolicyProfile, calendar: WorkingCalendar
) -> Json:
    """The latest outcome first, then the versions it corrected."""
    body: list[Json] = [heading(f"Outcome: {case_label(transfer, profile)}")]
    if not versions:
        body.append(text("No outcome recorded yet."))
    for i, version in enumerate(reversed(versions[-HISTORY_SHOWN:])):
        if i == 0 and version.corrected:
            body.append(text("Corrected: this is the latest version.", weight="Bolder"))
        elif i == 1:
            body.append(text("Earlier versions", weight="Bolder"))
        body.append(container(outcome_elements(version, transfer, profile, calendar), style="emphasis" if i else None))
    if len(versions) > HISTORY_SHOWN:
        older = len(versions) - HISTORY_SHOWN
        everything = f"type **case {transfer.case_reference}** for them all"
        body.append(text(f"{older} older version(s): {everything}.", subtle=True))
    body.append(text(VIEW_RECORDED, subtle=True))
    return card(body)
