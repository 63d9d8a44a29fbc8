"""A dispute about a decision: the form a party raises it with, and its card in the managers' channel."""

from __future__ import annotations

from pydantic import Field

from cards.elements import Json, card, container, facts, heading, not_now, text
from cards.payloads import RecordAction
from cards.transfer_card import button, case_label
from domain.directions import DIRECTION_TITLES
from domain.disputes import ABOUT_MAX, SETTLEMENT_TITLES, Dispute, Settlement
from domain.profiles import PolicyProfile
from domain.transfer_machine import EVENT_TITLES
from domain.transfer_record import Transfer
from domain.working_days import WorkingCalendar


class StartDispute(RecordAction):
    """ "Dispute this decision" on a request's card (the request's id and version)."""


class RaiseDispute(RecordAction):
    about: str = Field("", max_length=ABOUT_MAX + 200)


class SettleDispute(RecordAction):
    """Settling from the managers' channel card (the dispute's id and version)."""

    settlement: Settlement | None = None
    note: str = Field("", max_length=300)


def render_dispute_form(transfer: Transfer, profile: PolicyProfile, note: str = "") -> Json:
    last = transfer.decision.last
    decision = EVENT_TITLES[last.event] if last else "The decision"
    by = f" by {last.by_name}" if last and last.by_name else ""
    body: list[Json] = [heading(f"Dispute the decision: {case_label(transfer, profile)}")]
    if note:
        body.append(container([text(note, weight="Bolder")], style="attention"))
    body.append(text(f"Decision: **{decision}**{by}."))
    body.append(
        text("Your dispute goes to the managers' channel, and a manager settles it there. Both sides are told.")
    )
    body.append(
        {
            "type": "Input.Text",
            "id": "about",
            "label": "What you dispute, and why",
            "maxLength": ABOUT_MAX,
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "Say what you dispute",
        }
    )
    ids = {"record_id": transfer.id, "version": transfer.version}
    back = not_now("transfer.refresh", {"record_id": transfer.id})
    return card(body, [button("Send to the managers", "dispute.raise", ids, style="positive"), back])


def render_dispute_card(
    dispute: Dispute,
    transfer: Transfer,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    *,
    due: str = "",
    note: str = "",
) -> Json:
    """The managers' channel card: what is disputed and, until it is settled, the form to settle it."""
    rows = [
        ("Case reference", case_label(transfer, profile)),
        ("Direction", DIRECTION_TITLES[transfer.direction]),
        ("Decision disputed", EVENT_TITLES[dispute.decision_event]),
        ("Raised by", f"{dispute.raised_by_name or 'A colleague'}, {calendar.format_when(dispute.raised_at)}"),
    ]
    if dispute.outcome_version is not None:
        rows.append(("Outcome version", str(dispute.outcome_version)))
    if due and dispute.open:
        rows.append(("To settle", due))
    body: list[Json] = [heading(f"Dispute: {case_label(transfer, profile)}")]
    if note:
        body.append(container([text(note, weight="Bolder")], style="attention"))
    body += [facts(rows), text("What is disputed", weight="Bolder"), text(dispute.about)]
    actions: list[Json] = [button("Open the request", "transfer.refresh", {"record_id": transfer.id})]
    if dispute.open:
        settle = card(
            [
                {
                    "type": "Input.ChoiceSet",
                    "id": "settlement",
                    "label": "Your decision",
                    "style": "expanded",
                    "choices": [{"title": SETTLEMENT_TITLES[s], "value": s.value} for s in Settlement],
                    "isRequired": True,
                    "errorMessage": "Choose whether the decision stands",
                },
                {
                    "type": "Input.Text",
                    "id": "note",
                    "label": "Note for both sides",
                    "maxLength": 300,
                    "isMultiline": True,
                    "isRequired": True,
                    "errorMessage": "Add a note",
                },
            ],
            [
                button(
                    "Settle the dispute",
                    "dispute.settle",
                    {"record_id": dispute.id, "version": dispute.version},
                    style="positive",
                )
            ],
        )
        settle.pop("msteams", None)
        actions.insert(0, {"type": "Action.ShowCard", "title": "Settle it", "card": settle})
    else:
        settled = SETTLEMENT_TITLES[dispute.settlement] if dispute.settlement else "Settled"
        when = calendar.format_when(dispute.settled_at) if dispute.settled_at else ""
        body.append(
            container(
                [
                    text(f"{settled}: settled by {dispute.settled_by_name or 'a manager'}, {when}.", weight="Bolder"),
                    text(dispute.settlement_note),
                ],
                style="good" if dispute.settlement is Settlement.UPHELD else "warning",
            )
        )
    return card(body, actions)
