"""Finding out how the person in a turn stands to a case (rosters, line management), and refusing in one way."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from cards.transfer_card import render_transfer_refused
from dialogs.router import RefusalRecord, Refused
from dialogs.turn import Reply, Services, Turn
from domain.case_roles import CHAIRS, ESCALATION_ROLES, LINE_MANAGERS
from domain.deadlines import Deadline
from domain.directions import Direction
from domain.messaging import OutboxKind, OutboxMessage
from domain.roles import Role
from domain.transfer_access import CaseFacts, deciders, may_view, meeting_decides, relations_of
from domain.transfer_events import Relation
from domain.transfer_machine import State
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork

ROSTER_UNKNOWN = (
    "I don't know yet who is in the channel this request was sent to, so I can't tell whether you are on its "
    "receiving side. I've asked Teams for its members: try again in a minute."
)


NOT_YOURS = (
    "That request is not one you are on. Only the people on a case see it: whoever asked for it and their line "
    "manager, the side it was sent to, the allocated worker and the chair of its meeting."
)


def roster_sync(scope: str, conversation_id: str, now: datetime) -> OutboxMessage:
    """Read a roster from Teams (at most once an hour per scope, however many turns ask)."""
    return OutboxMessage(
        kind=OutboxKind.SYNC_ROSTER,
        payload={"scope": scope, "conversation_id": conversation_id},
        due_at=now,
        dedupe_key=f"roster:{scope[:180]}:{now:%Y%m%d%H}",
    )


async def receiving_scope(uow: UnitOfWork, transfer: Transfer) -> str:
    """The roster that decides who is the receiving side: the channel's team, or the chat itself."""
    conversation_id = transfer.channel_conversation_id
    if not conversation_id:
        return ""
    ref = await uow.conversations.conversation(conversation_id)
    return ref.team_id if ref is not None and ref.team_id else conversation_id


async def _on_roster(uow: UnitOfWork, turn: Turn, transfer: Transfer) -> tuple[bool, OutboxMessage | None]:
    """Whether the person is on the receiving channel's roster; an unread roster counts as no (fail closed),
    with the read it calls for."""
    scope = await receiving_scope(uow, transfer)
    if not scope:
        return False, None
    member = await uow.rosters.is_member(scope, turn.actor.object_id)
    if member is None:
        return False, roster_sync(scope, transfer.channel_conversation_id, turn.now)
    return member, None


async def case_facts(
    uow: UnitOfWork, services: Services, turn: Turn, transfer: Transfer
) -> tuple[CaseFacts, OutboxMessage | None]:
    """What the record doesn't say: roster membership (only for deciding roles) and line management, and the
    roster read to queue when the receiving channel's roster is not known yet."""
    actor = turn.actor
    on_roster, unknown = False, None
    if actor.roles & deciders(transfer, services.profile):
        on_roster, unknown = await _on_roster(uow, turn, transfer)
    manages_requester = manages_worker = False
    if actor.roles & LINE_MANAGERS:
        managers = services.line_managers
        tenant = transfer.tenant_id
        manages_requester = actor.object_id in await managers.managers_of(tenant, transfer.requester_object_id)
        if transfer.worker_object_id:
            manages_worker = actor.object_id in await managers.managers_of(tenant, transfer.worker_object_id)
    facts = CaseFacts(on_receiving_roster=on_roster, manages_requester=manages_requester, manages_worker=manages_worker)
    return facts, unknown


def refusal(turn: Turn, transfer: Transfer | None, record_id: int, action: str, reason: str, kind: str) -> Refused:
    """The one way to refuse an action on a transfer: the card says why, nothing changes, the attempt is audited."""
    return Refused(
        Reply(cards=[render_transfer_refused(transfer, reason)]),
        RefusalRecord(
            "transfer.refused",
            "transfer",
            str(record_id),
            {"attempt": action, "why": kind, "conversation": turn.where.kind.value},
        ),
    )


@dataclass(frozen=True)
class Case:
    """A transfer as one person stands to it in this turn."""

    transfer: Transfer
    facts: CaseFacts
    relations: frozenset[Relation]
    roster_read: OutboxMessage | None = None  # set when the receiving channel's roster is not known yet
    deadlines: tuple[Deadline, ...] = ()

    def after(self, moved: Transfer, services: Services, turn: Turn, deadlines: Sequence[Deadline]) -> Case:
        """The same person's standing once the request moved on (allocating to oneself adds a relationship)."""
        relations = relations_of(turn.actor, moved, self.facts, services.profile)
        return Case(moved, self.facts, relations, deadlines=tuple(deadlines))

    def refused(self, turn: Turn, action: str, reason: str, kind: str) -> Refused:
        """Refuse an action on this case; when the roster was unknown, say so and read it instead."""
        if self.roster_read is not None and kind == "access":
            return _roster_unknown(turn, self.transfer.id, action, self.roster_read)
        return refusal(turn, self.transfer, self.transfer.id, action, reason, kind)


def _roster_unknown(turn: Turn, record_id: int, action: str, read: OutboxMessage) -> Refused:
    refused = refusal(turn, None, record_id, action, ROSTER_UNKNOWN, "roster_unknown")
    return Refused(refused.reply, refused.record, (read,))


async def load_case(uow: UnitOfWork, services: Services, turn: Turn, record_id: int, action: str) -> Case:
    """The transfer and how this person stands to it; refused (and audited) when it is not theirs to see.

    A request that does not exist and one the person may not see get the same answer, so ids can't be probed.
    """
    transfer = await uow.transfers.get(record_id)
    if transfer is None:
        raise refusal(turn, None, record_id, action, NOT_YOURS, "no_such_request")
    facts, roster_read = await case_facts(uow, services, turn, transfer)
    relations = relations_of(turn.actor, transfer, facts, services.profile)
    if not may_view(turn.actor, relations):
        if roster_read is not None:
            raise _roster_unknown(turn, record_id, action, roster_read)
        raise refusal(turn, None, record_id, action, NOT_YOURS, "no_relationship")
    deadlines = tuple(await uow.deadlines.for_transfer(transfer.id))
    return Case(transfer, facts, relations, roster_read, deadlines)


async def visible(
    uow: UnitOfWork,
    services: Services,
    turn: Turn,
    *,
    states: Collection[State] | None,
    mine_only: bool,
) -> list[Transfer]:
    """The requests this person stands in a relationship to, each checked as a single view would be.

    `mine_only` (my transfers): the ones they asked for, hold or are handed back. Otherwise (open transfers)
    also those sent to their channels, on their meeting, escalated to them, and their reports' cases: a manager
    sees their own teams' cases, not the whole authority's.
    """
    actor = turn.actor
    reports: frozenset[str] = frozenset()
    sent_to: set[str] = set()
    chair: list[Direction] | None = None
    escalated: set[Role] = set()
    if not mine_only:
        if actor.roles & LINE_MANAGERS:
            reports = await services.line_managers.reports_of(actor.tenant_id, actor.object_id)
        for scope in await uow.rosters.scopes_of(actor.object_id):
            sent_to |= await uow.conversations.in_scope(scope)
        if actor.roles & CHAIRS:
            chair = [d for d in services.profile.transfers.to_services if meeting_decides(services.profile, d)]
        escalated = set(actor.roles & ESCALATION_ROLES)
    found = await uow.transfers.candidates(
        actor.tenant_id,
        people={actor.object_id, *reports},
        sent_to=sent_to,
        meeting_directions=chair,
        escalated_to=escalated,
        states=states,
    )
    shown = []
    for transfer in found:
        # The same facts a single view finds, from what was looked up once for the whole list.
        facts = CaseFacts(
            on_receiving_roster=transfer.channel_conversation_id in sent_to,
            manages_requester=transfer.requester_object_id in reports,
            manages_worker=bool(transfer.worker_object_id) and transfer.worker_object_id in reports,
        )
        if may_view(actor, relations_of(actor, transfer, facts, services.profile)):
            shown.append(transfer)
    return shown
