"""`case <reference>`: a case's whole history on one paged card, for the people the case-access rule allows.

Each request for the reference is checked as a single view of it would be; the history holds only the
requests this person may see. Someone who may see none of them, and someone asking about a reference
that does not exist, get the same answer, so references can't be probed; the refusal is audited, and so
is every page opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cards.case_history import CaseHistory, CasePage, render_case_history
from cards.common import render_error
from cards.transfer_card import render_transfer_refused
from dialogs.audit_trail import audit
from dialogs.case_access import load_case
from dialogs.clinic_rules import calendar_of
from dialogs.router import RefusalRecord, Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.case_roles import CASE_ROLES
from domain.deadlines import Deadline
from domain.disputes import Dispute
from domain.messaging import OutboxMessage
from domain.outcomes import OutcomeVersion
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork

router = Router()

NOT_YOURS = (
    "I can't show you the history of {reference}. Only the people on a case see it: whoever asked for a request "
    "and their line manager, the side it was sent to, the allocated worker and the chair of its meeting. If you "
    "have just joined the channel a request was sent to, try again in a minute."
)


async def what_hangs_on(
    uow: UnitOfWork, transfers: Sequence[Transfer]
) -> tuple[dict[int, list[OutcomeVersion]], list[Dispute], list[Deadline]]:
    """Each request's outcome versions, and the disputes and deadlines of them all: for the history and the export."""
    outcomes = {t.id: await uow.outcomes.versions(t.id) for t in transfers}
    disputes = [d for t in transfers for d in await uow.disputes.for_transfer(t.id)]
    deadlines = [d for t in transfers for d in await uow.deadlines.for_transfer(t.id)]
    return outcomes, disputes, deadlines


def known_names(
    transfers: Iterable[Transfer], outcomes: Iterable[OutcomeVersion], disputes: Iterable[Dispute]
) -> dict[str, str]:
    """The names the records themselves carry, for the people the audit trail names only by object id."""
    names: dict[str, str] = {}
    for t in transfers:
        names[t.requester_object_id] = t.requester_name
        last, allocation = t.decision.last, t.decision.allocation
        if last is not None and last.by_object_id:
            names[last.by_object_id] = last.by_name
        if allocation is not None and allocation.worker_object_id:
            names[allocation.worker_object_id] = allocation.worker_name
    for v in outcomes:
        names[v.recorded_by_object_id] = v.recorded_by_name
    for d in disputes:
        names[d.raised_by_object_id] = d.raised_by_name
        if d.settled_by_object_id:
            names[d.settled_by_object_id] = d.settled_by_name
    return {k: v for k, v in names.items() if k and v}


async def _history(uow: UnitOfWork, services: Services, turn: Turn, reference: str, as_of: int | None) -> CaseHistory:
    seen: list[Transfer] = []
    roster_reads: tuple[OutboxMessage, ...] = ()
    for transfer in await uow.transfers.for_case(reference):
        if transfer.tenant_id != turn.actor.tenant_id:
            continue
        try:
            case = await load_case(uow, services, turn, transfer.id, "case.view")
        except Refused as refused:
            roster_reads = roster_reads or refused.queue
            continue
        seen.append(case.transfer)
    if not seen:
        why = "roster_unknown" if roster_reads else "no_relationship"
        raise Refused(
            Reply(cards=[render_transfer_refused(None, NOT_YOURS.format(reference=reference))]),
            RefusalRecord("case.refused", "case", reference, {"why": why, "conversation": turn.where.kind.value}),
            roster_reads,
        )
    outcomes, disputes, deadlines = await what_hangs_on(uow, seen)
    records = {
        "transfer": {str(t.id) for t in seen},
        "deadline": {str(d.id) for d in deadlines},
        "case": {reference},
    }
    events = await uow.audit.about(records, up_to=as_of)
    versions = [v for vs in outcomes.values() for v in vs]
    names = await uow.rosters.names_of(e.actor_object_id for e in events)
    names.update(known_names(seen, versions, disputes))
    return CaseHistory(
        reference=reference,
        transfers=seen,
        outcomes=outcomes,
        disputes=disputes,
        events=events,
        names=names,
        as_of=as_of if as_of is not None else (events[0].id if events else 0),
        consents=[c for t in seen for c in await uow.consents.entries(t.id)],
    )


async def show(turn: Turn, services: Services, reference: str, *, page: int, as_of: int | None) -> Reply:
    wanted = reference.strip().upper()
    profile = services.profile
    if not profile.is_case_reference(wanted):
        example = profile.case_reference_example
        return Reply(cards=[render_error("Which case?", f"Give the case reference, like {example}: case {example}.")])
    async with services.uow() as uow:
        history = await _history(uow, services, turn, wanted, as_of)
        card = render_case_history(history, profile, calendar_of(services), page=page)
        await audit(
            uow,
            turn,
            "case.viewed",
            "case",
            wanted,
            detail={"page": page, "requests": len(history.transfers), "conversation": turn.where.kind.value},
        )
    return Reply(cards=[card], private=True)


@router.command(
    "case",
    roles=CASE_ROLES,
    description="See a case's whole history: the request, consent, outcomes, disputes and who did what",
    title="Case history",
)
async def case_command(turn: Turn, services: Services, args: str) -> Reply:
    return await show(turn, services, args, page=1, as_of=None)


@router.action("case.page", payload=CasePage, roles=CASE_ROLES)
async def case_page(turn: Turn, services: Services, payload: CasePage) -> Reply:
    return await show(turn, services, payload.case_reference, page=payload.page, as_of=payload.as_of)
