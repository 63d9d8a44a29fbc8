"""The family's consent on cards: the choice of what to record, each status's short form, and how it reads.

`consent_summary` is the one line the request, outcome and details cards show; `consent_elements` the record
in full, entry by entry, for the people on the case (a case's history card reuses it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import Field

from cards.elements import Json, card, container, facts, heading, not_now, text
from cards.payloads import RecordAction
from cards.transfer_card import button, case_label
from domain.consent import RISK_REASON_MAX, WHO_STATUSES, ConsentRecord, consent_line, current_consent
from domain.consent_rules import SCOPE_WORDS
from domain.consent_terms import (
    GIVEN_STATUSES,
    METHOD_TITLES,
    SCOPE_TITLES,
    ConsentMethod,
    ConsentScope,
    ConsentStatus,
)
from domain.profiles import PolicyProfile
from domain.transfer_record import ConsentNote, Transfer
from domain.working_days import WorkingCalendar

ENTRIES_SHOWN = 6  # entries on one card; more would crowd it (a case's history pages the rest)

CHOICE_TITLES: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "Consent given",
    ConsentStatus.GIVEN_AGAIN: "Consent given again",
    ConsentStatus.REFUSED: "Consent refused",
    ConsentStatus.WITHDRAWN: "Consent withdrawn",
    ConsentStatus.NOT_SOUGHT_RISK: "Not sought (risk to the child)",
}
_HINTS: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "Who gave it, how, when and what it covers. The request stays where it is.",
    ConsentStatus.GIVEN_AGAIN: "The request goes on from the step it was paused at.",
    ConsentStatus.REFUSED: "Who refused it, how and when. The request stays where it is.",
    ConsentStatus.WITHDRAWN: (
        "The request pauses at its step: nothing moves until consent is given again or the request is withdrawn."
    ),
    ConsentStatus.NOT_SOUGHT_RISK: (
        "Only where seeking consent would increase the risk to the child: the reason and the manager who agreed."
    ),
}
_WHO_LABELS: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "Given by (relationship to the child)",
    ConsentStatus.GIVEN_AGAIN: "Given by (relationship to the child)",
    ConsentStatus.REFUSED: "Refused by (relationship to the child)",
    ConsentStatus.WITHDRAWN: "Withdrawn by (relationship to the child)",
}
_DATE_LABELS: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "Date consent was given",
    ConsentStatus.GIVEN_AGAIN: "Date consent was given again",
    ConsentStatus.REFUSED: "Date consent was refused",
    ConsentStatus.WITHDRAWN: "Date consent was withdrawn",
    ConsentStatus.NOT_SOUGHT_RISK: "Date of the decision not to seek it",
}


class StartConsent(RecordAction):
    """ "Record consent" on a request's card: asks what to record."""


class ConsentForm(RecordAction):
    """The short form for one status."""

    status: ConsentStatus


class RecordConsent(RecordAction):
    """A consent form sent back; `scopes` is the multi-select's comma-separated values."""

    status: ConsentStatus
    relationship: str = Field("", max_length=80)
    initials: str = Field("", max_length=16)
    method: str = Field("", max_length=40)
    on: str = Field("", max_length=10)
    scopes: str = Field("", max_length=400)
    risk_reason: str = Field("", max_length=RISK_REASON_MAX * 2)
    agreed_by: str = Field("", max_length=160)

    def scope_values(self) -> list[str]:
        return [s.strip() for s in self.scopes.split(",") if s.strip()]


def consent_summary(note: ConsentNote | None, profile: PolicyProfile, *, details: bool = False) -> str:
    """The current consent in one line; the person's initials only where the profile shows initials on cards,
    or on the details card (for the people on the case)."""
    if note is None:
        return "Not recorded"
    return consent_line(note, initials=details or profile.transfers.show_initials)


def consent_row(note: ConsentNote, profile: PolicyProfile, *, details: bool = False) -> tuple[str, str]:
    return ("Consent", consent_summary(note, profile, details=details))


def consent_elements(records: Sequence[ConsentRecord], profile: PolicyProfile, calendar: WorkingCalendar) -> list[Json]:
    """The consent record in full, the current entry first: who recorded each and when; the reason consent was
    not sought is here only (it describes the family)."""
    if not records:
        return [text("No consent recorded yet.", subtle=True)]
    items: list[Json] = []
    shown = list(reversed(records))[:ENTRIES_SHOWN]
    for i, record in enumerate(shown):
        entry = record.consent
        line = consent_line(record.note)
        who = record.recorded_by_name or "someone"
        lines: list[Json] = [
            text(("Current: " if i == 0 else "") + line, weight="Bolder" if i == 0 else None),
        ]
        if entry.status is ConsentStatus.NOT_SOUGHT_RISK and entry.risk_reason:
            lines.append(text(f"Why not sought: {entry.risk_reason}"))
        lines.append(
            text(f"Entry {record.entry}: recorded by {who}, {calendar.format_when(record.recorded_at)}.", subtle=True)
        )
        items.append(container(lines, style="emphasis" if i else None))
    if len(records) > ENTRIES_SHOWN:
        items.append(text(f"{len(records) - ENTRIES_SHOWN} earlier entries are kept in the record.", subtle=True))
    return items


# -- recording ----------------------------------------------------------------------------------------------
def render_consent_choice(
    transfer: Transfer, profile: PolicyProfile, statuses: Sequence[ConsentStatus], note: str = ""
) -> Json:
    """What is there to record? One button per entry this request can take now."""
    body: list[Json] = [heading(f"Record consent: {case_label(transfer, profile)}")]
    if note:
        body.append(text(note, weight="Bolder"))
    current = current_consent(transfer)
    body.append(
        facts([consent_row(current, profile)]) if current else text("No consent is recorded on this request yet.")
    )
    lines = [f"- **{CHOICE_TITLES[s]}**: {_HINTS[s]}" for s in statuses]
    body.append(text("\n".join(lines)))
    ids = {"record_id": transfer.id, "version": transfer.version}
    actions = [button(CHOICE_TITLES[s], "consent.form", {**ids, "status": s.value}) for s in statuses]
    return card(body, actions)


def _input_text(id_: str, label: str, max_length: int, value: str, *, required: bool, lines: bool = False) -> Json:
    out: Json = {"type": "Input.Text", "id": id_, "label": label, "maxLength": max_length}
    if value:
        out["value"] = value
    if required:
        out.update({"isRequired": True, "errorMessage": f"{label}: this is needed"})
    if lines:
        out["isMultiline"] = True
    return out


def _scope_default(transfer: Transfer, profile: PolicyProfile) -> list[ConsentScope]:
    current = current_consent(transfer)
    if current is not None and current.scopes:
        return [s for s in current.scopes if s in profile.consent.scopes]
    needed = {s for rule in profile.consent.rules_for(transfer.direction) for s in rule.needs}
    return [s for s in profile.consent.scopes if s in needed]


def scope_input(profile: PolicyProfile, chosen: Sequence[str], *, id_: str = "scopes") -> Json:
    """The consent's scope: a multi-select of what this profile's forms offer."""
    out: Json = {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": "What the family consented to",
        "isMultiSelect": True,
        "style": "expanded",
        "choices": [{"title": SCOPE_TITLES[s], "value": s.value} for s in profile.consent.scopes],
    }
    values = [v for v in chosen if v in {s.value for s in profile.consent.scopes}]
    if values:
        out["value"] = ",".join(values)
    return out


def method_input(value: str, *, id_: str = "method", label: str = "How") -> Json:
    out: Json = {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": label,
        "choices": [{"title": METHOD_TITLES[m].capitalize(), "value": m.value} for m in ConsentMethod],
        "isRequired": True,
        "errorMessage": f"Choose {label.lower()}",
    }
    if value in {m.value for m in ConsentMethod}:
        out["value"] = value
    return out


def _needs_line(transfer: Transfer, profile: PolicyProfile) -> str:
    needed = [s for rule in profile.consent.rules_for(transfer.direction) for s in rule.needs]
    if not needed:
        return ""
    words = "; ".join(dict.fromkeys(SCOPE_WORDS[s] for s in needed))
    return f"{profile.authority} needs the family's consent to: {words}."


def render_consent_form(
    transfer: Transfer,
    profile: PolicyProfile,
    status: ConsentStatus,
    *,
    today: date,
    note: str = "",
    values: dict[str, Any] | None = None,
) -> Json:
    """One status's short form: who, how, when and the scope; or, not sought, the reason and the manager."""
    given = {k: str(v) for k, v in (values or {}).items() if v is not None}
    body: list[Json] = [heading(f"{CHOICE_TITLES[status]}: {case_label(transfer, profile)}")]
    if note:
        body.append(container([text(note, weight="Bolder")], style="emphasis"))
    body.append(text(_HINTS[status], subtle=True))
    if status in WHO_STATUSES:
        body.append(text("Never enter the family's names: their relationship to the child and initials.", subtle=True))
        body.append(_input_text("relationship", _WHO_LABELS[status], 40, given.get("relationship", ""), required=True))
        body.append(_input_text("initials", "Their initials", 8, given.get("initials", ""), required=True))
        body.append(method_input(given.get("method", "")))
    day: Json = {
        "type": "Input.Date",
        "id": "on",
        "label": _DATE_LABELS[status],
        "value": given.get("on", today.isoformat()),
        "max": today.isoformat(),
        "isRequired": True,
        "errorMessage": "Choose the date",
    }
    body.append(day)
    if status in GIVEN_STATUSES:
        chosen = (
            given["scopes"].split(",") if "scopes" in given else [s.value for s in _scope_default(transfer, profile)]
        )
        body.append(scope_input(profile, chosen))
        needs = _needs_line(transfer, profile)
        if needs:
            body.append(text(needs, subtle=True))
    if status is ConsentStatus.NOT_SOUGHT_RISK:
        body.append(
            _input_text(
                "risk_reason",
                "Why seeking consent would increase the risk to the child",
                RISK_REASON_MAX,
                given.get("risk_reason", ""),
                required=True,
                lines=True,
            )
        )
        body.append(
            _input_text(
                "agreed_by", "The manager who agreed not to seek it", 80, given.get("agreed_by", ""), required=True
            )
        )
    ids = {"record_id": transfer.id, "version": transfer.version, "status": status.value}
    title = "Record the withdrawal" if status is ConsentStatus.WITHDRAWN else "Record consent"
    if status is ConsentStatus.NOT_SOUGHT_RISK:
        title = "Record: not sought"
    elif status is ConsentStatus.REFUSED:
        title = "Record the refusal"
    back = not_now("consent.start", {"record_id": transfer.id, "version": transfer.version}, title="Back")
    return card(body, [button(title, "consent.record", ids, style="positive"), back])
