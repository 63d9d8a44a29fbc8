"""A dispute about a decision on a request: who may raise one, who settles it, and what a settlement says.

Any party to the case may dispute the decision that stands (Dorset 7: "transfer issues" are resolved within 1
working day, a clock of the profile's deadlines). It goes to the managers' channel; a manager settles it
there, upholding the decision or changing it, with a note, and both sides are told. Nobody settles a dispute
they raised, or one about a decision they made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.case_roles import CASE_ROLES, LINE_MANAGERS
from domain.roles import Person
from domain.transfer_events import EVENTS, Relation
from domain.transfer_machine import Event
from domain.transfer_record import Transfer

ABOUT_MIN = 10
ABOUT_MAX = 300
NOTE_MIN = 3


class DisputeState(StrEnum):
    OPEN = "open"
    SETTLED = "settled"


class Settlement(StrEnum):
    UPHELD = "upheld"
    CHANGED = "changed"


SETTLEMENT_TITLES: dict[Settlement, str] = {
    Settlement.UPHELD: "The decision stands",
    Settlement.CHANGED: "The decision is changed",
}

# The parties to a case: whoever asked, the side it went to, whoever holds it, and the chair.
PARTIES = frozenset(
    {
        Relation.REQUESTER,
        Relation.REQUESTERS_MANAGER,
        Relation.RECEIVING_SIDE,
        Relation.ALLOCATED_WORKER,
        Relation.ALLOCATED_WORKERS_MANAGER,
        Relation.CHAIR,
    }
)
# A manager on the case by line management or escalation settles from anywhere; another manager from the
# managers' channel, where the dispute is posted.
_MANAGING = frozenset({Relation.REQUESTERS_MANAGER, Relation.ALLOCATED_WORKERS_MANAGER, Relation.ESCALATION})


@dataclass(frozen=True)
class Dispute:
    id: int
    version: int
    transfer_id: int
    state: DisputeState
    decision_event: Event
    outcome_version: int | None
    about: str
    raised_by_object_id: str
    raised_by_name: str
    raised_at: datetime
    settlement: Settlement | None = None
    settlement_note: str = ""
    settled_by_object_id: str = ""
    settled_by_name: str = ""
    settled_at: datetime | None = None
    channel_conversation_id: str = ""
    channel_activity_id: str = ""

    @property
    def open(self) -> bool:
        return self.state is DisputeState.OPEN


def disputed_event(transfer: Transfer) -> Event | None:
    """The decision a dispute would be about: the latest move, when it was a decision."""
    last = transfer.decision.last
    if last is None or not EVENTS[last.event].decides:
        return None
    return last.event


def raise_refusal(transfer: Transfer, person: Person, relations: frozenset[Relation]) -> str | None:
    """Why this person may not raise a dispute on this request now, or None when they may."""
    if not (relations & PARTIES) or not (person.roles & CASE_ROLES):
        return "Only the people on this case can dispute a decision on it."
    if disputed_event(transfer) is None:
        return "There is no decision on this request to dispute yet."
    note = transfer.decision.dispute
    if note is not None and note.open:
        who = note.raised_by_name or "Someone"
        return f"{who} has already raised a dispute about this decision: a manager is settling it."
    return None


def about_problem(about: str) -> str | None:
    if len(about.strip()) < ABOUT_MIN:
        return "Say what you dispute about the decision, in a sentence."
    if len(about) > ABOUT_MAX:
        return f"Keep it to {ABOUT_MAX} characters: the managers' channel card shows it in full."
    return None


def settle_refusal(
    dispute: Dispute,
    transfer: Transfer,
    person: Person,
    relations: frozenset[Relation],
    *,
    on_managers_channel: bool,
) -> str | None:
    """Why this person may not settle this dispute, or None when they may."""
    if not dispute.open:
        who = dispute.settled_by_name or "a manager"
        return f"This dispute is settled already, by {who}."
    if not (person.roles & LINE_MANAGERS) or not (relations & _MANAGING or on_managers_channel):
        return "Only a manager settles a dispute: the parties' line managers, or a manager in the managers' channel."
    if person.object_id == dispute.raised_by_object_id:
        return "You raised this dispute, so another manager settles it."
    last = transfer.decision.last
    if last is not None and last.by_object_id == person.object_id:
        return "You made the decision in dispute, so another manager settles it."
    return None


def note_problem(settlement: Settlement | None, note: str) -> str | None:
    if settlement is None:
        return "Choose whether the decision stands or is changed."
    if len(note.strip()) < NOTE_MIN:
        return "Add a note: both sides read it."
    return None
