"""Acting on a transfer from its card: each viewer's own view, the audited details, the forms and the moves.

Every handler loads the case as this person stands to it (dialogs/case_access.py), lets domain/ decide,
saves what it decided and queues the effects; a refusal says why, changes nothing and is audited.
"""

from __future__ import annotations

from collections.abc import Callable

from cards.consent import render_consent_choice
from cards.outcomes import render_decision_choice
from cards.payloads import ActionPayload, form_date
from cards.transfer_card import DecideTransfer, TransferEvent, ViewTransfer, needs_form, render_transfer_list
from cards.transfer_decisions import render_decision_form, render_transfer_details
from dialogs import transfer_effects
from dialogs.audit_trail import audit
from dialogs.case_access import Case, load_case, visible
from dialogs.clinic_rules import calendar_of
from dialogs.router import Refused, Router, StaleCard
from dialogs.transfer_effects import base_card, viewer_card
from dialogs.turn import Card, Reply, Services, Turn
from domain.case_roles import CASE_ROLES, CHAIRS, DECIDERS, LINE_MANAGERS
from domain.consent import statuses_offered
from domain.deadline_rules import Fact
from domain.transfer_decide import Refusal, RefusalKind, admissible, decide
from domain.transfer_events import EVENTS, Form
from domain.transfer_inputs import (
    AllocationInput,
    GapsInput,
    Inputs,
    JointVisitInput,
    NameWorkerInput,
    NoInput,
    NoteInput,
    NotPossibleInput,
    ReasonInput,
    WhatHappenedInput,
)
from domain.transfer_machine import OPEN_STATES, Event
from storage.uow import UnitOfWork

router = Router()

LISTERS = DECIDERS | CHAIRS | LINE_MANAGERS


def stale_card(turn: Turn, services: Services, case: Case) -> StaleCard:
    last = case.transfer.decision.last
    if last is not None and last.by_object_id == turn.actor.object_id:
        note = "You already acted on this card. Here is the request as it stands now."
    else:
        who = case.transfer.last_actor_name or "someone else"
        note = f"This card was out of date: {who} already acted on it. Here it is now."
    return StaleCard(Reply(cards=[viewer_card(services, case, turn, note=note)]))


def _refused(turn: Turn, case: Case, event: Event, outcome: Refusal) -> Refused:
    return case.refused(turn, f"transfer.{event.value}", outcome.reason, outcome.kind.value)


# -- views ------------------------------------------------------------------------------------------------------
@router.action("transfer.refresh", payload=ViewTransfer, roles=CASE_ROLES)
async def refresh(turn: Turn, services: Services, payload: ViewTransfer) -> Reply:
    """Each viewer's own card (Teams asks through refresh.userIds, or the person opens it); not an audit event.

    Someone in the channel the card was posted to who is not on the case sees the card everyone there sees.
    """
    async with services.uow() as uow:
        transfer = await uow.transfers.get(payload.record_id)
        posted_here = transfer is not None and turn.where.conversation_id == transfer.channel_conversation_id
        try:
            case = await load_case(uow, services, turn, payload.record_id, "transfer.refresh")
        except Refused:
            if transfer is not None and posted_here:
                deadlines = await uow.deadlines.for_transfer(transfer.id)
                return Reply(cards=[base_card(services, transfer, deadlines, turn.now)])
            raise
    return Reply(cards=[viewer_card(services, case, turn)])


@router.action("transfer.details", payload=ViewTransfer, roles=CASE_ROLES)
async def details(turn: Turn, services: Services, payload: ViewTransfer) -> Reply:
    async with services.uow() as uow:
        case = await load_case(uow, services, turn, payload.record_id, "transfer.details")
        await audit(
            uow, turn, "transfer.details_viewed", "transfer", str(case.transfer.id), detail={"card": "transfer.details"}
        )
        outcome = await uow.outcomes.latest(case.transfer.id)
        disputes = await uow.disputes.for_transfer(case.transfer.id)
        consents = await uow.consents.entries(case.transfer.id)
    card = render_transfer_details(
        case.transfer, services.profile, calendar_of(services), outcome=outcome, disputes=disputes, consents=consents
    )
    return Reply(cards=[card], private=True)


async def open_transfers(turn: Turn, services: Services, wanted: str) -> Reply:
    states = [s for s in OPEN_STATES if not wanted or s.value == wanted.replace(" ", "_")]
    async with services.uow() as uow:
        found = await visible(uow, services, turn, states=states, mine_only=False)
        deadlines = await uow.deadlines.for_transfers([t.id for t in found])
    found.sort(key=lambda t: t.submitted_at or t.updated_at or turn.now)
    title = "Open transfer requests" + (f": {wanted}" if wanted else "")
    card = render_transfer_list(
        title, found, calendar_of(services), services.profile, deadlines=deadlines, now=turn.now
    )
    return Reply(cards=[card], private=True)


class ShowOpen(ActionPayload):
    status: str = ""


@router.command("open transfers", roles=LISTERS, description="Open requests you are on, by status")
async def open_command(turn: Turn, services: Services, args: str) -> Reply:
    return await open_transfers(turn, services, args.strip().lower())


@router.action("transfer.open", payload=ShowOpen, roles=LISTERS)
async def open_action(turn: Turn, services: Services, payload: ShowOpen) -> Reply:
    return await open_transfers(turn, services, payload.status)


# -- the buttons -------------------------------------------------------------------------------------------------
def _form_card(
    services: Services, case: Case, event: Event, turn: Turn, note: str = "", fact: Fact | None = None
) -> dict[str, object]:
    if EVENTS[event].form is Form.OUTCOME:
        # A meeting's outcome has a form of its own, one per decision (dialogs/outcomes.py).
        return render_decision_choice(case.transfer, services.profile, note)
    if EVENTS[event].form is Form.CONSENT:
        # Consent withdrawn or given again is an entry of the consent record, with its own form (dialogs/consent.py).
        return render_consent_choice(case.transfer, services.profile, statuses_offered(case.transfer), note)
    previous = case.transfer.decision.previous_worker
    suggested = previous.name if previous is not None else ""
    if suggested and not note:
        note = f"{suggested} stepped this case down recently: the step up returns to them."
    return render_decision_form(
        case.transfer,
        services.profile,
        event,
        suggested_worker=suggested,
        note=note,
        today=calendar_of(services).local_date(turn.now),
        fact=fact,
    )


@router.action("transfer.form", payload=TransferEvent, roles=CASE_ROLES)
async def form(turn: Turn, services: Services, payload: TransferEvent) -> Reply:
    """The form an event needs, or its confirmation, for someone who may raise it now."""
    async with services.uow() as uow:
        case = await load_case(uow, services, turn, payload.record_id, f"transfer.{payload.event.value}")
        if case.transfer.version != payload.version:
            raise stale_card(turn, services, case)
        move = admissible(case.transfer, payload.event, turn.actor, case.relations, services.profile)
        if isinstance(move, Refusal):
            raise _refused(turn, case, payload.event, move)
    return Reply(cards=[_form_card(services, case, payload.event, turn, fact=payload.fact)])


@router.change("transfer.act", payload=TransferEvent, roles=CASE_ROLES)
async def act(turn: Turn, services: Services, payload: TransferEvent, uow: UnitOfWork) -> Reply:
    """A button that acts at once (an event with no form)."""
    return await move_transfer(
        uow, turn, services, payload.record_id, payload.version, payload.event, NoInput(), "transfer.act"
    )


def inputs_of(payload: DecideTransfer) -> Inputs | str:
    """The form's flat fields as the typed inputs its event takes, or what is wrong with them."""
    form_kind = EVENTS[payload.event].form
    if form_kind is Form.ALLOCATION:
        joint = form_date(payload.joint_visit_on)
        if payload.joint_visit_on and joint is None:
            return "Enter the joint visit date with the date picker."
        return AllocationInput(
            team=payload.team,
            worker_name=payload.worker[:80],
            allocate_to_me=payload.allocate_to_me,
            joint_visit_on=joint,
            reason=payload.reason[:300],
        )
    if form_kind is Form.REASON:
        return ReasonInput(reason=payload.reason, note=payload.note[:300])
    if form_kind in (Form.INFORMATION_ASKED, Form.INFORMATION_ADDED):
        return NoteInput(note=payload.note)
    if form_kind is Form.GAPS:
        return GapsInput(gaps=tuple(payload.gap_keys()[:40]))
    if form_kind in (Form.JOINT_VISIT, Form.WHAT_HAPPENED):
        on = form_date(payload.on)
        if on is None:
            return "Enter the date with the date picker."
        if form_kind is Form.JOINT_VISIT:
            return JointVisitInput(on=on, virtual=payload.virtual)
        if payload.fact is None:
            return "Choose what happened from the list."
        return WhatHappenedInput(fact=payload.fact, on=on)
    if form_kind is Form.NOT_POSSIBLE:
        return NotPossibleInput(reason=payload.reason, explained_to_family=payload.explained_to_family)
    if form_kind is Form.NAME_WORKER:
        return NameWorkerInput(worker_name=payload.worker[:80], allocate_to_me=payload.allocate_to_me)
    if form_kind is Form.OUTCOME:
        return "Record the outcome from its own form: the meeting, then the decision."
    if form_kind is Form.CONSENT:
        return "Record the family's consent from its own form: who, when, how and what it covers."
    return NoInput()


@router.change("transfer.decide", payload=DecideTransfer, roles=CASE_ROLES)
async def decide_action(turn: Turn, services: Services, payload: DecideTransfer, uow: UnitOfWork) -> Reply:
    """A decision form sent back: its inputs, then the same decision as any other move."""
    inputs = inputs_of(payload)
    if isinstance(inputs, str):
        case = await load_case(uow, services, turn, payload.record_id, f"transfer.{payload.event.value}")
        raise Refused(Reply(cards=[_form_card(services, case, payload.event, turn, note=inputs)]))
    return await move_transfer(
        uow, turn, services, payload.record_id, payload.version, payload.event, inputs, "transfer.decide"
    )


async def move_transfer(
    uow: UnitOfWork,
    turn: Turn,
    services: Services,
    record_id: int,
    version: int,
    event: Event,
    inputs: Inputs,
    card: str,
    *,
    form: Callable[[Case, str], Card] | None = None,
    note: str = "",
) -> Reply:
    """Load, decide, save, queue the effects: the version says whether somebody got there first.

    The one way any dialog moves a request (consent, outcomes and deadlines call it too), so access, the
    machine and the effects are never done twice. `form` draws the caller's own form again with what was
    wrong (the event's form otherwise); `note` tops the card that comes back.
    """
    case = await load_case(uow, services, turn, record_id, f"transfer.{event.value}")
    if case.transfer.version != version:
        raise stale_card(turn, services, case)
    if needs_form(event) and isinstance(inputs, NoInput):
        # A form event sent as a plain button: say why not, or give the form (nothing is decided yet).
        move = admissible(case.transfer, event, turn.actor, case.relations, services.profile)
        if isinstance(move, Refusal):
            raise _refused(turn, case, event, move)
        raise Refused(Reply(cards=[_form_card(services, case, event, turn)]))
    outcome = decide(case.transfer, event, inputs, turn.actor, case.relations, services.profile, turn.now)
    if isinstance(outcome, Refusal):
        if outcome.kind is RefusalKind.INPUT:
            again = form(case, outcome.reason) if form else _form_card(services, case, event, turn, note=outcome.reason)
            raise Refused(Reply(cards=[again]))
        raise _refused(turn, case, event, outcome)
    after = await uow.transfers.save(
        case.transfer, outcome, actor_object_id=turn.actor.object_id, actor_name=turn.actor.name, now=turn.now
    )
    if after is None:
        current = await load_case(uow, services, turn, record_id, f"transfer.{event.value}")
        raise stale_card(turn, services, current)
    await transfer_effects.after_move(uow, services, turn, case.transfer, after, event, outcome, card)
    deadlines = await uow.deadlines.for_transfer(after.id)
    return Reply(cards=[viewer_card(services, case.after(after, services, turn, deadlines), turn, note=note)])
