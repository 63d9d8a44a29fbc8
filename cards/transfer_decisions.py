"""A transfer's details (for the people on the case) and the forms its events need before they happen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.consent import consent_elements, consent_summary
from cards.elements import Json, card, heading, not_now, text
from cards.outcomes import outcome_elements
from cards.transfer_card import BUTTON_TITLES, GAP_PREFIX, button, case_label
from domain.consent import ConsentRecord, current_consent
from domain.deadline_rules import Fact
from domain.disputes import SETTLEMENT_TITLES, Dispute
from domain.outcomes import OutcomeVersion
from domain.profiles import PolicyProfile
from domain.transfer_events import EVENTS, Form
from domain.transfer_facts import RECORD_TITLES, recordable_facts, window_title
from domain.transfer_machine import Event
from domain.transfer_record import Transfer
from domain.transfers import CONSENT_TITLES, route_title
from domain.working_days import WorkingCalendar, format_date

_CONFIRM_SENTENCES: dict[Event, str] = {
    Event.WITHDRAW: "The request is withdrawn for everyone, and the receiving side is told.",
    Event.WITHDRAW_CONSENT: "The request pauses at its step until the family's consent is given again.",
    Event.GIVE_CONSENT_AGAIN: "The request goes on from the step it was paused at.",
    Event.CLOSE: "The case is closed: the handover and closing tasks are done.",
    Event.COMPLETE_TRANSFER: "The case is marked transferred to the receiving team.",
}


_CONFIRM_TITLES: dict[Event, str] = {
    Event.WITHDRAW: "Yes, withdraw it",
    Event.CLOSE: "Yes, close the case",
    Event.COMPLETE_TRANSFER: "Yes, it is transferred",
}


def render_transfer_details(
    transfer: Transfer,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    *,
    outcome: OutcomeVersion | None = None,
    disputes: Sequence[Dispute] = (),
    consents: Sequence[ConsentRecord] = (),
) -> Json:
    """The reason and the family's circumstances: for the people on the case; every opening is audited.

    With the latest meeting outcome in full, the disputes about its decisions (the settling notes included)
    and the consent record, entry by entry.
    """
    details = transfer.details
    consent = details.consent
    current = current_consent(transfer)
    if current is not None:
        consent_line = consent_summary(current, profile, details=True)
    else:
        consent_line = CONSENT_TITLES[consent.status]
        if consent.relationship:
            consent_line += f" by {consent.relationship} ({consent.initials})"
        if consent.on:
            consent_line += f", {format_date(consent.on)}"
    rows = [
        ("Case reference", case_label(transfer, profile)),
        ("Children", str(details.children_count)),
        ("Route", route_title(details, profile)),
        ("Consent", consent_line),
        ("Manager", f"{details.manager.manager}, {format_date(details.manager.decided_on)}"),
    ]
    if details.level_of_need:
        rows.append(("Level of need", details.level_of_need))
    if details.discussed_with:
        rows.append(("Discussed with", details.discussed_with))
    body: list[Json] = [heading(f"Details: {case_label(transfer, profile)}"), _facts(rows)]
    body.append(text("Reason", weight="Bolder"))
    body.append(text(details.reason))
    if details.outstanding_needs:
        body.append(text("Outstanding needs", weight="Bolder"))
        body.append(text(details.outstanding_needs))
    if consents:
        body.append(text("The family's consent", weight="Bolder"))
        body += consent_elements(consents, profile, calendar)
    elif consent.risk_reason:
        body.append(text(f"Consent not sought because: {consent.risk_reason} (agreed by {consent.agreed_by})"))
    allocation = transfer.decision.allocation
    if allocation is not None and allocation.reason:
        body.append(text("Why the threshold is met", weight="Bolder"))
        body.append(text(allocation.reason))
    items = profile.transfers.checklist(transfer.direction)
    if items:
        lines = []
        for item in items:
            mark = "gap" if item.key in transfer.gaps else ("done" if details.checklist.get(item.key) else "not ticked")
            lines.append(f"- {item.label}: {mark}")
        body.append(text("Readiness checklist", weight="Bolder"))
        body.append(text("\n".join(lines)))
    if transfer.wording:
        body.append(text(f"“{transfer.wording}”", weight="Bolder"))
    decision = transfer.decision
    if decision.information_asked is not None:
        body.append(text(f"Information asked for: {decision.information_asked.asked}"))
    if decision.information_added is not None:
        body.append(text(f"Information added: {decision.information_added.added}"))
    if decision.decline is not None:
        body.append(text(f"Decision reason: {decision.decline.reason}"))
    if outcome is not None:
        title = "Meeting outcome (corrected)" if outcome.corrected else "Meeting outcome"
        body.append(text(title, weight="Bolder"))
        body += outcome_elements(outcome, transfer, profile, calendar)
    for dispute in list(disputes)[-3:]:
        body.append(text(f"Dispute raised by {dispute.raised_by_name or 'a colleague'}", weight="Bolder"))
        body.append(text(dispute.about))
        if dispute.settlement is not None:
            who = dispute.settled_by_name or "a manager"
            body.append(text(f"{SETTLEMENT_TITLES[dispute.settlement]} ({who}): {dispute.settlement_note}"))
        else:
            body.append(text("Open: a manager is settling it.", subtle=True))
    body.append(text("Your view of these details is recorded.", subtle=True))
    return card(body)


def _facts(rows: list[tuple[str, str]]) -> Json:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in rows]}


def _allocation_inputs(transfer: Transfer, profile: PolicyProfile, suggested_worker: str) -> list[Json]:
    teams = profile.transfers.to_services.get(transfer.direction, []) or [transfer.to_service]
    return [
        {
            "type": "Input.ChoiceSet",
            "id": "team",
            "label": "Team",
            "choices": [{"title": t, "value": t} for t in teams],
            "value": transfer.to_service if transfer.to_service in teams else teams[0],
            "isRequired": True,
            "errorMessage": "Choose the team",
        },
        {
            "type": "Input.Text",
            "id": "worker",
            "label": "Allocated worker (leave empty if not yet named)",
            "maxLength": 80,
            "value": suggested_worker,
        },
        {
            "type": "Input.Toggle",
            "id": "allocate_to_me",
            "label": "Allocate to me",
            "title": "I'll take it",
            "valueOn": "true",
            "valueOff": "false",
            "value": "false",
        },
        {"type": "Input.Date", "id": "joint_visit_on", "label": "Planned joint visit"},
    ]


def _name_worker_inputs(suggested_worker: str) -> list[Json]:
    return [
        {
            "type": "Input.Text",
            "id": "worker",
            "label": "Lead practitioner",
            "maxLength": 80,
            "value": suggested_worker,
        },
        {
            "type": "Input.Toggle",
            "id": "allocate_to_me",
            "label": "Or take it yourself",
            "title": "I'm taking it myself",
            "valueOn": "true",
            "valueOff": "false",
            "value": "false",
        },
    ]


def _reason_inputs(profile: PolicyProfile) -> list[Json]:
    return [
        {
            "type": "Input.ChoiceSet",
            "id": "reason",
            "label": "Reason",
            "choices": [{"title": r, "value": r} for r in profile.transfers.decline_reasons],
            "isRequired": True,
            "errorMessage": "Choose a reason",
        },
        {"type": "Input.Text", "id": "note", "label": "Note (optional)", "maxLength": 300, "isMultiline": True},
    ]


def _note_input(label: str) -> Json:
    return {
        "type": "Input.Text",
        "id": "note",
        "label": label,
        "maxLength": 1000,
        "isMultiline": True,
        "isRequired": True,
        "errorMessage": "Say what is needed",
    }


def _gap_inputs(transfer: Transfer, profile: PolicyProfile) -> list[Json]:
    ticked = transfer.details.checklist
    return [
        {
            "type": "Input.Toggle",
            "id": f"{GAP_PREFIX}{item.key}",
            "label": item.label,
            "title": "Missing",
            "valueOn": "true",
            "valueOff": "false",
            "value": "false" if ticked.get(item.key) else "true",
        }
        for item in profile.transfers.checklist(transfer.direction)
    ]


def _date_input(id_: str, label: str, *, today: date | None, ahead: bool = False) -> Json:
    out: Json = {"type": "Input.Date", "id": id_, "label": label, "isRequired": True, "errorMessage": "Choose the date"}
    if today is not None and not ahead:
        out["max"] = today.isoformat()  # it has happened: no date in the future
    return out


def _joint_visit_inputs(profile: PolicyProfile, today: date | None) -> list[Json]:
    inputs = [_date_input("on", "The day of the joint visit", today=today)]
    if profile.transfers.virtual_introduction:
        inputs.append(
            {
                "type": "Input.Toggle",
                "id": "virtual",
                "title": "It was a virtual introduction (the family met the new worker online)",
                "label": "How it happened",
                "valueOn": "true",
                "valueOff": "false",
                "value": "false",
            }
        )
    return inputs


def _what_happened_inputs(
    transfer: Transfer, profile: PolicyProfile, today: date | None, fact: Fact | None
) -> list[Json]:
    facts = recordable_facts(transfer, profile)
    titles = {f: RECORD_TITLES[f] for f in facts}
    if Fact.WINDOW_DATE in titles:
        titles[Fact.WINDOW_DATE] = f"The date of {window_title(transfer, profile)}"
    choice: Json = {
        "type": "Input.ChoiceSet",
        "id": "fact",
        "label": "What happened",
        "choices": [{"title": titles[f], "value": f.value} for f in facts],
        "isRequired": True,
        "errorMessage": "Choose what happened",
    }
    if fact in titles:
        choice["value"] = fact.value if fact else ""
    # A window date (a final hearing) may be ahead; everything else has happened.
    ahead = facts == [Fact.WINDOW_DATE]
    return [choice, _date_input("on", "When", today=today, ahead=ahead)]


def _not_possible_inputs() -> list[Json]:
    return [
        {
            "type": "Input.Text",
            "id": "reason",
            "label": "Why the joint visit is not possible in time",
            "maxLength": 300,
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "Say why it is not possible",
        },
        {
            "type": "Input.Toggle",
            "id": "explained_to_family",
            "title": "The reason has been explained to the family",
            "label": "The family",
            "valueOn": "true",
            "valueOff": "false",
            "value": "false",
            "isRequired": True,
            "errorMessage": "Explain the reason to the family first",
        },
    ]


def render_decision_form(
    transfer: Transfer,
    profile: PolicyProfile,
    event: Event,
    *,
    suggested_worker: str = "",
    note: str = "",
    today: date | None = None,
    fact: Fact | None = None,
) -> Json:
    """The inputs the event's form needs (the event table says which), or a confirmation when it needs none."""
    ids = {"record_id": transfer.id, "version": transfer.version, "event": event.value}
    form = EVENTS[event].form
    body: list[Json] = [heading(f"{BUTTON_TITLES[event]}: {transfer.case_reference}")]
    if note:
        body.append(text(note, weight="Bolder"))
    if form is Form.ALLOCATION:
        if event is Event.THRESHOLD_MET:
            body.append(
                {
                    "type": "Input.Text",
                    "id": "reason",
                    "label": "Why the threshold for social care is met",
                    "maxLength": 300,
                    "isMultiline": True,
                    "isRequired": True,
                    "errorMessage": "Say why the threshold is met",
                }
            )
        body += _allocation_inputs(transfer, profile, suggested_worker)
    elif form is Form.REASON:
        body += _reason_inputs(profile)
    elif form is Form.INFORMATION_ASKED:
        body.append(_note_input("What information is needed"))
    elif form is Form.INFORMATION_ADDED:
        body.append(_note_input("The information you've added"))
    elif form is Form.GAPS:
        body.append(text("Mark what is missing from the record. Acceptance waits until the gaps are fixed."))
        body += _gap_inputs(transfer, profile)
    elif form is Form.JOINT_VISIT:
        body += _joint_visit_inputs(profile, today)
    elif form is Form.WHAT_HAPPENED:
        body.append(text("Record the date it happened: the procedure's deadlines count from it."))
        body += _what_happened_inputs(transfer, profile, today, fact)
    elif form is Form.NOT_POSSIBLE:
        body += _not_possible_inputs()
    elif form is Form.NAME_WORKER:
        allocation = transfer.decision.allocation
        team = allocation.team if allocation else transfer.to_service
        body.append(text(f"Accepted by {team} with the practitioner still to be named: name them now."))
        body += _name_worker_inputs(suggested_worker)
    else:
        body.append(text(_CONFIRM_SENTENCES.get(event, "The request moves on for everyone on it.")))
        style = "destructive" if event is Event.WITHDRAW else "positive"
        back = not_now("transfer.refresh", {"record_id": transfer.id})
        yes = _CONFIRM_TITLES.get(event, BUTTON_TITLES[event])
        return card(body, [button(yes, "transfer.act", ids, style=style), back])
    back = not_now("transfer.refresh", {"record_id": transfer.id})
    return card(body, [button(BUTTON_TITLES[event], "transfer.decide", ids, style="positive"), back])
