"""The transfer request's card in the receiving side's channel, its role views, details and decision forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cards.elements import Json, card, container, facts, heading, text
from cards.payloads import ActionPayload, RecordAction
from domain.directions import DIRECTION_TITLES
from domain.profiles import PolicyProfile
from domain.transfer_machine import EVENT_TITLES, STATE_TITLES, Event, State
from domain.transfer_record import Transfer
from domain.transfers import CONSENT_TITLES, ROUTE_TITLES
from domain.working_days import WorkingCalendar, format_date

# Events whose button opens a form first (the rest act at once).
FORM_EVENTS = frozenset(
    {
        Event.ACCEPT,
        Event.THRESHOLD_MET,
        Event.DECLINE,
        Event.NO_FURTHER_ACTION,
        Event.ROUTE_TO_EARLY_HELP,
        Event.ASK_FOR_INFORMATION,
        Event.MARK_GAPS,
        Event.RESUBMIT,
        Event.OUTCOME_AGREED,
        Event.OUTCOME_NOT_AGREED,
        Event.MORE_INFORMATION_NEEDED,
    }
)


# A button says what it does; the machine's event titles stay short for the diagram.
BUTTON_TITLES = {
    **EVENT_TITLES,
    Event.ACCEPT: "Accept and allocate",
    Event.THRESHOLD_MET: "Threshold met",
    Event.WITHDRAW: "Withdraw the request",
    Event.RECORD_JOINT_VISIT: "Joint visit done",
}


class TransferEvent(RecordAction):
    """A button on the card: an event of the machine, acted at once or after its form."""

    event: Event


class DecideTransfer(RecordAction):
    """A decision form sent back, with its inputs (those the event needs)."""

    model_config = RecordAction.model_config | {"extra": "allow"}  # gap_<item> toggles

    event: Event
    team: str = Field("", max_length=160)
    worker: str = Field("", max_length=160)
    allocate_to_me: bool = False
    joint_visit_on: str = Field("", max_length=10)
    reason: str = Field("", max_length=300)
    note: str = Field("", max_length=1000)

    def gap_keys(self) -> list[str]:
        extra = self.model_extra or {}
        return sorted(k[4:] for k, v in extra.items() if k.startswith("gap_") and str(v).lower() == "true")

    def unexpected(self) -> list[str]:
        return [k for k in (self.model_extra or {}) if not k.startswith("gap_") or len(k) > 64]


class ViewTransfer(ActionPayload):
    record_id: int = Field(ge=1)


def _button(title: str, verb: str, data: dict[str, Any], *, style: str | None = None) -> Json:
    """Action.Execute for Teams, falling back to Action.Submit on clients without Universal Actions."""
    full = {"verb": verb, **data}
    out: Json = {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": full,
        "fallback": {"type": "Action.Submit", "title": title, "data": full},
    }
    if style:
        out["style"] = style
    return out


def _case_label(transfer: Transfer, profile: PolicyProfile) -> str:
    initials = str(transfer.details.get("child_initials", "")) if profile.transfers.show_initials else ""
    return f"{transfer.case_reference} ({initials})" if initials else transfer.case_reference


def _deadline(transfer: Transfer, calendar: WorkingCalendar) -> str:
    if transfer.state is State.GAPS_OPEN and transfer.gaps_due_at:
        return "Gaps to fix by " + calendar.format_when(transfer.gaps_due_at)
    if transfer.decision_due_at and transfer.state in (State.SUBMITTED, State.SCHEDULED):
        return "Decision due by " + calendar.format_when(transfer.decision_due_at)
    joint = transfer.decision.get("joint_visit_on")
    if joint and transfer.state in (State.ACCEPTED, State.CO_WORKING):
        return "Joint visit planned for " + format_date(datetime.fromisoformat(str(joint)).date())
    return "—"


def render_transfer_card(
    transfer: Transfer,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    *,
    events: list[Event],
    refresh_for_viewers: bool = True,
    note: str = "",
) -> Json:
    """Case reference, direction, services, requester, status and deadline: never the reason or the family.

    `events` are the buttons this viewer's roles allow (none on the view everyone sees first).
    """
    rows = [
        ("Case reference", _case_label(transfer, profile)),
        ("Direction", DIRECTION_TITLES[transfer.direction]),
        ("Services", f"{transfer.from_team} → {transfer.to_service}"),
        ("Requested by", transfer.requester_name or "—"),
        ("Status", STATE_TITLES[transfer.state]),
        ("Deadline", _deadline(transfer, calendar)),
    ]
    if transfer.allocated_worker:
        rows.append(("Allocated to", transfer.allocated_worker))
    if transfer.last_actor_name and transfer.state is not State.SUBMITTED:
        rows.append(("Last change by", transfer.last_actor_name))
    body: list[Json] = [heading(f"Transfer request: {_case_label(transfer, profile)}")]
    if note:
        body.append(text(note, weight="Bolder", color="Attention"))
    body.append(facts(rows))
    if transfer.state is State.GAPS_OPEN and transfer.gaps:
        body.append(text(f"{len(transfer.gaps)} readiness gap(s) open: acceptance waits for them.", color="Warning"))
    ids = {"record_id": transfer.id, "version": transfer.version}
    actions: list[Json] = []
    for event in events[:8]:
        verb = "transfer.form" if event in FORM_EVENTS else "transfer.act"
        style = "destructive" if event in (Event.WITHDRAW, Event.DECLINE) else None
        actions.append(_button(BUTTON_TITLES[event], verb, {**ids, "event": event.value}, style=style))
    actions.append(_button("View details", "transfer.details", {"record_id": transfer.id}))
    if not events:
        actions.append(_button("Show my actions", "transfer.refresh", {"record_id": transfer.id}))
    body.append({"type": "ActionSet", "actions": actions[:5]})
    if len(actions) > 5:
        body.append({"type": "ActionSet", "actions": actions[5:10]})
    refresh = None
    if refresh_for_viewers:
        refresh = {
            "action": {"type": "Action.Execute", "verb": "transfer.refresh", "data": {"record_id": transfer.id}},
            "userIds": [],
        }
    return card(body, refresh=refresh)


def render_transfer_details(transfer: Transfer, profile: PolicyProfile, calendar: WorkingCalendar) -> Json:
    """The reason and the family's circumstances: for roles that may see them; every opening is audited."""
    details = transfer.request()
    consent = details.consent
    consent_line = CONSENT_TITLES[consent.status]
    if consent.relationship:
        consent_line += f" by {consent.relationship} ({consent.initials})"
    if consent.on:
        consent_line += f", {format_date(consent.on)}"
    rows = [
        ("Case reference", _case_label(transfer, profile)),
        ("Children", str(details.children_count)),
        ("Route", ROUTE_TITLES[details.route]),
        ("Consent", consent_line),
        ("Manager", f"{details.manager.manager}, {format_date(details.manager.decided_on)}"),
    ]
    if details.level_of_need:
        rows.append(("Level of need", details.level_of_need))
    if details.discussed_with:
        rows.append(("Discussed with", details.discussed_with))
    body: list[Json] = [heading(f"Details: {_case_label(transfer, profile)}"), facts(rows)]
    body.append(text("Reason", weight="Bolder"))
    body.append(text(details.reason))
    if details.outstanding_needs:
        body.append(text("Outstanding needs", weight="Bolder"))
        body.append(text(details.outstanding_needs))
    if consent.risk_reason:
        body.append(text(f"Consent not sought because: {consent.risk_reason} (agreed by {consent.agreed_by})"))
    items = profile.transfers.checklists.get(transfer.direction, [])
    if items:
        lines = []
        for item in items:
            mark = "gap" if item.key in transfer.gaps else ("done" if details.checklist.get(item.key) else "not ticked")
            lines.append(f"- {item.label}: {mark}")
        body.append(text("Readiness checklist", weight="Bolder"))
        body.append(text("\n".join(lines)))
    wording = transfer.details.get("wording")
    if wording:
        body.append(text(f"“{wording}”", weight="Bolder"))
    information = transfer.decision.get("information")
    if information:
        body.append(text(f"Information asked for: {information}"))
    reason = transfer.decision.get("reason")
    if reason:
        body.append(text(f"Decision reason: {reason}"))
    body.append(text("Your view of these details is recorded.", subtle=True))
    return card(body)


def render_decision_form(
    transfer: Transfer,
    profile: PolicyProfile,
    event: Event,
    *,
    suggested_worker: str = "",
    note: str = "",
) -> Json:
    """The inputs an event needs: allocation, a reason from the profile's list, the question, the gaps."""
    ids = {"record_id": transfer.id, "version": transfer.version, "event": event.value}
    body: list[Json] = [heading(f"{BUTTON_TITLES[event]}: {transfer.case_reference}")]
    if note:
        body.append(text(note, color="Warning"))
    if event in (Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED):
        teams = profile.transfers.to_services.get(transfer.direction, []) or [transfer.to_service]
        body += [
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
    elif event in (Event.DECLINE, Event.NO_FURTHER_ACTION, Event.ROUTE_TO_EARLY_HELP, Event.OUTCOME_NOT_AGREED):
        reasons = profile.transfers.decline_reasons
        body.append(
            {
                "type": "Input.ChoiceSet",
                "id": "reason",
                "label": "Reason",
                "choices": [{"title": r, "value": r} for r in reasons],
                "isRequired": True,
                "errorMessage": "Choose a reason",
            }
        )
        body.append(
            {"type": "Input.Text", "id": "note", "label": "Note (optional)", "maxLength": 300, "isMultiline": True}
        )
    elif event in (Event.ASK_FOR_INFORMATION, Event.MORE_INFORMATION_NEEDED, Event.RESUBMIT):
        label = "The information you've added" if event is Event.RESUBMIT else "What information is needed"
        body.append(
            {
                "type": "Input.Text",
                "id": "note",
                "label": label,
                "maxLength": 1000,
                "isMultiline": True,
                "isRequired": True,
                "errorMessage": "Say what is needed",
            }
        )
    elif event is Event.MARK_GAPS:
        body.append(text("Mark what is missing from the record. Acceptance waits until the gaps are fixed."))
        ticked = dict(transfer.details.get("checklist", {}))
        for item in profile.transfers.checklists.get(transfer.direction, []):
            body.append(
                {
                    "type": "Input.Toggle",
                    "id": f"gap_{item.key}",
                    "label": item.label,
                    "title": "Missing",
                    "valueOn": "true",
                    "valueOff": "false",
                    "value": "false" if ticked.get(item.key) else "true",
                }
            )
    return card(body, [_button(BUTTON_TITLES[event], "transfer.decide", ids, style="positive")])


def render_transfer_list(
    title: str, transfers: list[Transfer], calendar: WorkingCalendar, profile: PolicyProfile
) -> Json:
    body: list[Json] = [heading(title)]
    if not transfers:
        body.append(text("Nothing here."))
    for transfer in transfers[:15]:
        body.append(
            container(
                [
                    text(f"{_case_label(transfer, profile)} · {DIRECTION_TITLES[transfer.direction]}", weight="Bolder"),
                    text(f"{STATE_TITLES[transfer.state]} · {_deadline(transfer, calendar)}", subtle=True),
                    {
                        "type": "ActionSet",
                        "actions": [_button("Open", "transfer.refresh", {"record_id": transfer.id})],
                    },
                ],
                style="emphasis",
            )
        )
    return card(body)


def render_transfer_notice(transfer: Transfer, profile: PolicyProfile, headline: str, lines: list[str]) -> Json:
    """A personal-chat notice: the reference and what happened, never the family's circumstances."""
    return card(
        [
            heading(headline),
            facts(
                [
                    ("Case reference", _case_label(transfer, profile)),
                    ("Direction", DIRECTION_TITLES[transfer.direction]),
                    ("Status", STATE_TITLES[transfer.state]),
                ]
            ),
            *[text(line) for line in lines],
        ],
        [_button("Open the request", "transfer.refresh", {"record_id": transfer.id})],
    )


def render_transfer_refused(transfer: Transfer | None, reason: str) -> Json:
    body: list[Json] = [
        container([text("That can't be done", weight="Bolder", color="Attention"), text(reason)], style="attention"),
        text("Nothing was saved.", subtle=True),
    ]
    return card(body)
