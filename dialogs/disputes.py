"""Disputing a decision and settling the dispute: from the request's card to the managers' channel and back.

A party raises a dispute from the request's card; it is posted to the managers' channel as a new message
that @mentions the managers of the people involved, and starts the profile's clock for settling it (Dorset:
1 working day). A manager settles it from that card with the decision (it stands, or it is changed) and a
note; both sides hear in personal chat, and the card updates for everyone in the channel.
"""

from __future__ import annotations

from datetime import datetime

from cards.disputes import RaiseDispute, SettleDispute, StartDispute, render_dispute_card, render_dispute_form
from cards.transfer_card import render_transfer_notice, render_transfer_refused
from dialogs.audit_trail import audit
from dialogs.case_access import Case, case_facts, load_case
from dialogs.clinic_rules import calendar_of
from dialogs.deadlines import record_facts
from dialogs.notices import notify_person, post_to_conversation, update_card
from dialogs.router import RefusalRecord, Refused, Router
from dialogs.tracking import track_key, tracker
from dialogs.transfer_decisions import stale_card
from dialogs.transfer_effects import refresh_channel_card, viewer_card
from dialogs.turn import Card, Reply, Services, Turn
from domain.case_roles import CASE_ROLES, LINE_MANAGERS
from domain.deadline_rules import Fact
from domain.deadlines import standing_line
from domain.disputes import (
    SETTLEMENT_TITLES,
    Dispute,
    about_problem,
    disputed_event,
    note_problem,
    raise_refusal,
    settle_refusal,
)
from domain.outcomes import DECISION_EVENTS
from domain.transfer_access import relations_of
from domain.transfer_record import DisputeNote, Transfer
from storage.uow import UnitOfWork

router = Router()

DISPUTE_CLOCK_FACT = Fact.DISPUTE_RAISED


async def _current(uow: UnitOfWork, services: Services, turn: Turn, record_id: int, version: int, action: str) -> Case:
    case = await load_case(uow, services, turn, record_id, action)
    if case.transfer.version != version:
        raise stale_card(turn, services, case)
    return case


@router.action("dispute.form", payload=StartDispute, roles=CASE_ROLES)
async def form(turn: Turn, services: Services, payload: StartDispute) -> Reply:
    async with services.uow() as uow:
        case = await _current(uow, services, turn, payload.record_id, payload.version, "dispute.form")
        why = raise_refusal(case.transfer, turn.actor, case.relations)
        if why is not None:
            raise case.refused(turn, "dispute.form", why, "state")
    return Reply(cards=[render_dispute_form(case.transfer, services.profile)])


async def _due_words(uow: UnitOfWork, services: Services, transfer: Transfer, now: datetime) -> str:
    """The settling clock's standing, where the profile has one ("due by 3 Dec, 17:00")."""
    for deadline in await uow.deadlines.for_transfer(transfer.id, open_only=True):
        rule = next((r for r in services.profile.deadlines if r.key == deadline.rule_key), None)
        if rule is not None and rule.starts_on is DISPUTE_CLOCK_FACT:
            return standing_line(deadline, now, calendar_of(services))
    return ""


async def _managers_of(services: Services, transfer: Transfer, *people: str) -> list[str]:
    """The line managers of the people involved: whom the managers' channel card @mentions."""
    found: set[str] = set()
    for person in {p for p in people if p}:
        found |= await services.line_managers.managers_of(transfer.tenant_id, person)
    return sorted(found)


@router.change("dispute.raise", payload=RaiseDispute, roles=CASE_ROLES)
async def raise_dispute(turn: Turn, services: Services, payload: RaiseDispute, uow: UnitOfWork) -> Reply:
    case = await _current(uow, services, turn, payload.record_id, payload.version, "dispute.raise")
    transfer = case.transfer
    why = raise_refusal(transfer, turn.actor, case.relations)
    if why is not None:
        raise case.refused(turn, "dispute.raise", why, "state")
    problem = about_problem(payload.about)
    event = disputed_event(transfer)
    if problem is not None or event is None:
        raise Refused(Reply(cards=[render_dispute_form(transfer, services.profile, note=problem or "")]))
    note = transfer.decision.outcome
    from_outcome = note is not None and DECISION_EVENTS[note.decision] is event
    dispute = await uow.disputes.add(
        transfer.id,
        decision_event=event,
        outcome_version=note.version if note is not None and from_outcome else None,
        about=payload.about.strip(),
        by_object_id=turn.actor.object_id,
        by_name=turn.actor.name,
        now=turn.now,
    )
    calendar = calendar_of(services)
    marked = DisputeNote(
        dispute_id=dispute.id, open=True, raised_on=calendar.local_date(turn.now), raised_by_name=turn.actor.name[:80]
    )
    after = await uow.transfers.annotate(
        transfer,
        transfer.decision.model_copy(update={"dispute": marked}),
        actor_object_id=turn.actor.object_id,
        actor_name=turn.actor.name,
        now=turn.now,
    )
    if after is None:
        raise stale_card(turn, services, await load_case(uow, services, turn, transfer.id, "dispute.raise"))
    await record_facts(uow, services, after, [(Fact.DISPUTE_RAISED, turn.now)], turn.now)
    await audit(
        uow, turn, "dispute.raised", "transfer", str(after.id), detail={"dispute": dispute.id, "decision": event.value}
    )
    decided_by = transfer.decision.last.by_object_id if transfer.decision.last else ""
    mention = await _managers_of(
        services, after, turn.actor.object_id, after.requester_object_id, after.worker_object_id, decided_by
    )
    card = render_dispute_card(
        dispute, after, services.profile, calendar, due=await _due_words(uow, services, after, turn.now)
    )
    managers = services.channels.get("managers")
    where = "the managers' channel"
    if managers:
        await post_to_conversation(
            uow,
            conversation_id=managers,
            card=card,
            now=turn.now,
            summary=f"Dispute about {after.case_reference}",
            track=track_key("dispute", dispute.id, dispute.version),
            extra={"mention": mention},
        )
    else:
        # No managers' channel configured: the managers hear in personal chat, with the same card.
        where = "the managers"
        for manager in mention:
            await notify_person(
                uow,
                tenant_id=after.tenant_id,
                object_id=manager,
                card=card,
                now=turn.now,
                summary=f"Dispute about {after.case_reference}",
            )
    await refresh_channel_card(uow, services, after, turn.now)
    moved = case.after(after, services, turn, await uow.deadlines.for_transfer(after.id))
    note_text = f"Your dispute went to {where}: a manager settles it, and both sides are told."
    return Reply(cards=[viewer_card(services, moved, turn, note=note_text)])


def _settle_refused(turn: Turn, dispute: Dispute, reason: str, kind: str) -> Refused:
    return Refused(
        Reply(cards=[render_transfer_refused(None, reason)]),
        RefusalRecord("dispute.refused", "dispute", str(dispute.id), {"why": kind}),
    )


async def _dispute_card(
    uow: UnitOfWork, services: Services, dispute: Dispute, transfer: Transfer, now: datetime, note: str = ""
) -> Card:
    due = await _due_words(uow, services, transfer, now)
    return render_dispute_card(dispute, transfer, services.profile, calendar_of(services), due=due, note=note)


@router.change("dispute.settle", payload=SettleDispute, roles=LINE_MANAGERS)
async def settle(turn: Turn, services: Services, payload: SettleDispute, uow: UnitOfWork) -> Reply:
    """A manager's settlement, from the managers' channel card (or by a manager on the case from anywhere)."""
    dispute = await uow.disputes.get(payload.record_id)
    transfer = await uow.transfers.get(dispute.transfer_id) if dispute is not None else None
    if dispute is None or transfer is None or transfer.tenant_id != turn.actor.tenant_id:
        raise Refused(Reply(cards=[render_transfer_refused(None, "That dispute is not one I can find.")]))
    if dispute.version != payload.version and dispute.open:
        return Reply(
            cards=[await _dispute_card(uow, services, dispute, transfer, turn.now, "This card was out of date.")]
        )
    facts, _ = await case_facts(uow, services, turn, transfer)
    relations = relations_of(turn.actor, transfer, facts, services.profile)
    on_channel = bool(services.channels.get("managers")) and turn.where.conversation_id == services.channels["managers"]
    why = settle_refusal(dispute, transfer, turn.actor, relations, on_managers_channel=on_channel)
    if why is not None:
        raise _settle_refused(turn, dispute, why, "access")
    problem = note_problem(payload.settlement, payload.note)
    if problem is not None or payload.settlement is None:
        card = await _dispute_card(uow, services, dispute, transfer, turn.now, problem or "")
        raise Refused(Reply(cards=[card]))
    settled = await uow.disputes.settle(
        dispute,
        payload.settlement,
        payload.note.strip(),
        by_object_id=turn.actor.object_id,
        by_name=turn.actor.name,
        now=turn.now,
    )
    if settled is None:
        current = await uow.disputes.get(dispute.id)
        assert current is not None
        return Reply(
            cards=[await _dispute_card(uow, services, current, transfer, turn.now, "Another manager settled it first.")]
        )
    note = transfer.decision.dispute
    after = transfer
    if note is not None and note.dispute_id == dispute.id:
        marked = note.model_copy(update={"open": False, "settlement": payload.settlement.value})
        annotated = await uow.transfers.annotate(
            transfer,
            transfer.decision.model_copy(update={"dispute": marked}),
            actor_object_id=turn.actor.object_id,
            actor_name=turn.actor.name,
            now=turn.now,
        )
        after = annotated or transfer
    await record_facts(uow, services, after, [(Fact.DISPUTE_SETTLED, turn.now)], turn.now)
    await audit(
        uow,
        turn,
        "dispute.settled",
        "transfer",
        str(after.id),
        detail={"dispute": dispute.id, "settlement": payload.settlement.value},
    )
    card = await _dispute_card(uow, services, settled, after, turn.now)
    if settled.channel_activity_id and settled.channel_conversation_id:
        await update_card(
            uow,
            conversation_id=settled.channel_conversation_id,
            activity_id=settled.channel_activity_id,
            card=card,
            now=turn.now,
        )
    await refresh_channel_card(uow, services, after, turn.now)
    await _tell_both_sides(uow, services, settled, after, turn)
    return Reply(cards=[card])


async def _tell_both_sides(
    uow: UnitOfWork, services: Services, dispute: Dispute, transfer: Transfer, turn: Turn
) -> None:
    """Whoever raised it, whoever made the decision, and the requester: the settlement, not the note's words."""
    decided_by = transfer.decision.last.by_object_id if transfer.decision.last else ""
    people = {dispute.raised_by_object_id, transfer.requester_object_id, decided_by} - {"", turn.actor.object_id}
    settled = SETTLEMENT_TITLES[dispute.settlement] if dispute.settlement else "Settled"
    lines = [f"{settled}: settled by {turn.actor.name or 'a manager'}.", "Open the request to read the manager's note."]
    for person in sorted(people):
        await notify_person(
            uow,
            tenant_id=transfer.tenant_id,
            object_id=person,
            card=render_transfer_notice(
                transfer, services.profile, f"Dispute settled: {transfer.case_reference}", lines
            ),
            now=turn.now,
            summary=f"Dispute settled: {transfer.case_reference}",
        )


@tracker("dispute")
async def dispute_posted(
    services: Services, dispute_id: int, version: int, conversation_id: str, activity_id: str, now: datetime
) -> None:
    """Keep where the dispute's card landed; if it was settled meanwhile, bring the card up to date."""
    async with services.uow() as uow:
        await uow.disputes.set_channel_post(dispute_id, conversation_id, activity_id)
        dispute = await uow.disputes.get(dispute_id)
        transfer = await uow.transfers.get(dispute.transfer_id) if dispute is not None else None
        if dispute is not None and transfer is not None and dispute.version != version:
            await update_card(
                uow,
                conversation_id=conversation_id,
                activity_id=activity_id,
                card=await _dispute_card(uow, services, dispute, transfer, now),
                now=now,
            )
