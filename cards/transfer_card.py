"""The transfer request's card in the receiving side's channel, its role views, details and decision forms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import Field

from cards.elements import Json, card, container, facts, heading, text
from cards.payloads import ID_MAX, ActionPayload, RecordAction, WithToggles
from domain.consent import consent_line, current_consent
from domain.deadline_rules import Fact
from domain.deadlines import Deadline, soonest_first, standing_line
from domain.directions import DIRECTION_TITLES
from domain.disputes import SETTLEMENT_TITLES, Settlement
from domain.outcome_terms import DECISION_TITLES
from domain.outcomes import meeting_title
from domain.profiles import PolicyProfile
from domain.transfer_events import EVENTS, Form
from domain.transfer_machine import EVENT_TITLES, STATE_TITLES, Event, State
from domain.transfer_record import OutcomeNote, Transfer
from domain.transfers import route_rule
from domain.working_days import WorkingCalendar, format_date

_SETTLEMENTS = {s.value for s in Settlement}

# A button says what it does; the machine's event titles stay short for the diagram.
BUTTON_TITLES = {
    **EVENT_TITLES,
    Event.ACCEPT: "Accept and allocate",
    Event.THRESHOLD_MET: "Threshold met",
    Event.WITHDRAW: "Withdraw the request",
    Event.RECORD_JOINT_VISIT: "Joint visit done",
}
# How many buttons show before the rest go under "More actions".
SHOWN_ACTIONS = 4
GAP_PREFIX = "gap_"


# Events with nothing to fill in that still change the case for good: their button asks once more, saying what
# it will do, before the confirmation's own button acts.
ASKS_AGAIN = frozenset({Event.WITHDRAW, Event.CLOSE, Event.COMPLETE_TRANSFER})


def needs_form(event: Event) -> bool:
    """Whether the event's button opens a form first (the rest act at once)."""
    return EVENTS[event].form is not Form.CONFIRM


class TransferEvent(RecordAction):
    """A button on the card: an event of the machine, acted at once or after its form."""

    event: Event
    # A reminder's "Record it" opens the form on the fact that settles its clock.
    fact: Fact | None = None


class DecideTransfer(RecordAction, WithToggles):
    """A decision form sent back, with its inputs (those the event needs)."""

    toggle_prefix: ClassVar[str] = GAP_PREFIX  # gap_<item> toggles

    event: Event
    team: str = Field("", max_length=160)
    worker: str = Field("", max_length=160)
    allocate_to_me: bool = False
    joint_visit_on: str = Field("", max_length=10)
    reason: str = Field("", max_length=300)
    note: str = Field("", max_length=1000)
    on: str = Field("", max_length=10)  # the date something happened: a joint visit, an assessment completed
    virtual: bool = False
    fact: Fact | None = None
    explained_to_family: bool = False

    def gap_keys(self) -> list[str]:
        return sorted(key for key, missing in self.toggled().items() if missing)


class ViewTransfer(ActionPayload):
    record_id: int = Field(ge=1, le=ID_MAX)


def button(title: str, verb: str, data: Mapping[str, object], *, style: str | None = None) -> Json:
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


def case_label(transfer: Transfer, profile: PolicyProfile) -> str:
    initials = transfer.details.child_initials if profile.transfers.show_initials else ""
    return f"{transfer.case_reference} ({initials})" if initials else transfer.case_reference


NO_DEADLINE = "No deadline yet"
CLOCKS_SHOWN = 4


def next_deadline(deadlines: Sequence[Deadline], now: datetime, calendar: WorkingCalendar) -> str:
    """A list's one line: the soonest open clock, or the planned joint visit, or none yet."""
    running = soonest_first([d for d in deadlines if d.open])
    if running:
        return f"{running[0].title}: {standing_line(running[0], now, calendar)}"
    return NO_DEADLINE


def _clock_rows(
    transfer: Transfer, deadlines: Sequence[Deadline], now: datetime, calendar: WorkingCalendar
) -> list[tuple[str, str]]:
    """Each clock of the request with its due date and whether it is met, due or overdue (open ones first)."""
    shown = soonest_first(list(deadlines))[:CLOCKS_SHOWN]
    rows = [(d.title, standing_line(d, now, calendar)) for d in shown]
    allocation = transfer.decision.allocation
    if allocation and allocation.joint_visit_on and transfer.state in (State.ACCEPTED, State.CO_WORKING):
        rows.append(("Joint visit planned", format_date(allocation.joint_visit_on)))
    return rows or [("Deadlines", NO_DEADLINE)]


RECORD_OUTCOME = "Record outcome"
RECORD_CONSENT = "Record consent"


def _event_buttons(transfer: Transfer, events: list[Event]) -> list[Json]:
    """One button per event; a meeting's outcomes share one "Record outcome" (it asks what was decided)."""
    buttons: list[Json] = []
    outcome_shown = consent_shown = False
    for event in events:
        if EVENTS[event].form is Form.CONSENT:
            # Withdrawn and given again are entries of the consent record: its form asks who, when and how.
            if not consent_shown:
                ids = {"record_id": transfer.id, "version": transfer.version}
                buttons.append(button(RECORD_CONSENT, "consent.start", ids))
            consent_shown = True
            continue
        if EVENTS[event].form is Form.OUTCOME:
            if not outcome_shown:
                ids = {"record_id": transfer.id, "version": transfer.version}
                buttons.append(button(RECORD_OUTCOME, "outcome.start", ids, style="positive"))
            outcome_shown = True
            continue
        buttons.append(_event_button(transfer, event))
    return buttons


def _event_button(transfer: Transfer, event: Event) -> Json:
    ids = {"record_id": transfer.id, "version": transfer.version, "event": event.value}
    verb = "transfer.form" if needs_form(event) or event in ASKS_AGAIN else "transfer.act"
    style = "destructive" if event in (Event.WITHDRAW, Event.DECLINE) else None
    return button(BUTTON_TITLES[event], verb, ids, style=style)


HELD_STATES = frozenset({State.ACCEPTED, State.CO_WORKING, State.JOINT_VISIT_DONE, State.TRANSFERRED})


def outcome_row(note: OutcomeNote, profile: PolicyProfile) -> tuple[str, str]:
    """The request card's one line: what was decided, where and when, and whether it was corrected."""
    where = f"{meeting_title(note.meeting_kind, profile)}, {format_date(note.meeting_on)}"
    words = f"{DECISION_TITLES[note.decision]} · {where}"
    if note.deferred_to is not None:
        words += f" · deferred to {format_date(note.deferred_to)}"
    if note.final_meeting_outside_window:
        words += " · final meeting outside the window"
    if note.corrected:
        words += f" · corrected (version {note.version})"
    return ("Outcome", words)


def _authorisation_rows(transfer: Transfer, profile: PolicyProfile, calendar: WorkingCalendar) -> list[tuple[str, str]]:
    """Where the route asks for an authorisation before acceptance (Redcar's MACH manager): whether it is given."""
    rule = route_rule(transfer.details, profile)
    if rule is None or rule.authorised_by is None:
        return []
    given = transfer.decision.authorised
    if given is None:
        return [("Before acceptance", f"{rule.authorisation}: not yet")]
    who = f" by {given.by_name}" if given.by_name else ""
    return [("Before acceptance", f"{rule.authorisation}{who}, {format_date(calendar.local_date(given.at))}")]


def render_transfer_card(
    transfer: Transfer,
    profile: PolicyProfile,
    calendar: WorkingCalendar,
    *,
    events: list[Event],
    deadlines: Sequence[Deadline] = (),
    now: datetime | None = None,
    refresh_for_viewers: bool = True,
    note: str = "",
    more: Sequence[Json] = (),
) -> Json:
    """Case reference, direction, services, requester, status and deadline: never the reason or the family.

    `events` are exactly the buttons this viewer may press (none on the view everyone sees first), in order;
    `more` the buttons beside the life cycle this viewer may use (correct the outcome, dispute a decision).
    Past the first few they go under "More actions", none is cut.
    """
    rows = [
        ("Case reference", case_label(transfer, profile)),
        ("Direction", DIRECTION_TITLES[transfer.direction]),
        ("Services", f"{transfer.from_team} → {transfer.to_service}"),
        ("Requested by", transfer.requester_name or "Not recorded"),
        ("Status", STATE_TITLES[transfer.state]),
        *_clock_rows(transfer, deadlines, now or transfer.updated_at or datetime.now(UTC), calendar),
    ]
    rows += _authorisation_rows(transfer, profile, calendar)
    if transfer.allocated_worker:
        rows.append(("Allocated to", transfer.allocated_worker))
    elif transfer.decision.allocation is not None and transfer.state in HELD_STATES:
        rows.append(("Allocated to", "To be named"))
    outcome = transfer.decision.outcome
    if outcome is not None:
        rows.append(outcome_row(outcome, profile))
    if transfer.decision.external is not None:
        rows.append(("Referred to", transfer.decision.external.agency))
    consent = current_consent(transfer)
    if consent is not None:
        # The person's initials only where the profile shows initials on cards; the details card has them.
        rows.append(("Consent", consent_line(consent, initials=profile.transfers.show_initials)))
    dispute = transfer.decision.dispute
    if dispute is not None:
        who = f" by {dispute.raised_by_name}" if dispute.raised_by_name else ""
        settled = SETTLEMENT_TITLES.get(Settlement(dispute.settlement)) if dispute.settlement in _SETTLEMENTS else None
        state = "open, a manager is settling it" if dispute.open else f"settled: {settled or 'see its card'}"
        rows.append(("Dispute", f"Raised{who} on {format_date(dispute.raised_on)}, {state}"))
    if transfer.last_actor_name and transfer.state is not State.SUBMITTED:
        rows.append(("Last change by", transfer.last_actor_name))
    body: list[Json] = [heading(f"Transfer request: {case_label(transfer, profile)}")]
    if note:
        body.append(text(note, weight="Bolder"))
    body.append(facts(rows))
    if transfer.state is State.GAPS_OPEN and transfer.gaps:
        body.append(text(f"{len(transfer.gaps)} readiness gap(s) open: acceptance waits for them.", weight="Bolder"))
    buttons = [*_event_buttons(transfer, events), *more]
    details = button("View details", "transfer.details", {"record_id": transfer.id})
    if not buttons:
        buttons = [details, button("Show my actions", "transfer.refresh", {"record_id": transfer.id})]
    elif len(buttons) > SHOWN_ACTIONS:
        overflow = card(
            [text("More actions on this request", weight="Bolder")], [*buttons[SHOWN_ACTIONS - 1 :], details]
        )
        overflow.pop("msteams", None)
        shown = buttons[: SHOWN_ACTIONS - 1]
        buttons = [*shown, {"type": "Action.ShowCard", "title": "More actions", "card": overflow}]
    else:
        buttons.append(details)
    body.append({"type": "ActionSet", "actions": buttons})
    refresh = None
    if refresh_for_viewers:
        refresh = {
            "action": {"type": "Action.Execute", "verb": "transfer.refresh", "data": {"record_id": transfer.id}},
            "userIds": [],
        }
    return card(body, refresh=refresh)


def render_transfer_list(
    title: str,
    transfers: list[Transfer],
    calendar: WorkingCalendar,
    profile: PolicyProfile,
    *,
    deadlines: Mapping[int, Sequence[Deadline]] | None = None,
    now: datetime | None = None,
) -> Json:
    """Each request with its status and its soonest deadline."""
    at = now or datetime.now(UTC)
    body: list[Json] = [heading(title)]
    if not transfers:
        body.append(text("Nothing here."))
    for transfer in transfers[:15]:
        soonest = next_deadline((deadlines or {}).get(transfer.id, ()), at, calendar)
        body.append(
            container(
                [
                    text(f"{case_label(transfer, profile)} · {DIRECTION_TITLES[transfer.direction]}", weight="Bolder"),
                    text(f"{STATE_TITLES[transfer.state]} · {soonest}", subtle=True),
                    {
                        "type": "ActionSet",
                        "actions": [button("Open", "transfer.refresh", {"record_id": transfer.id})],
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
                    ("Case reference", case_label(transfer, profile)),
                    ("Direction", DIRECTION_TITLES[transfer.direction]),
                    ("Status", STATE_TITLES[transfer.state]),
                ]
            ),
            *[text(line) for line in lines],
        ],
        [button("Open the request", "transfer.refresh", {"record_id": transfer.id})],
    )


def render_transfer_refused(transfer: Transfer | None, reason: str) -> Json:
    body: list[Json] = [
        container([text("That can't be done", weight="Bolder"), text(reason)], style="attention"),
        text("Nothing was saved.", subtle=True),
    ]
    return card(body)
