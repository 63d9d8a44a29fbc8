"""Deciding a transfer from its card: role views, forms, decisions, simple moves, the audited details."""

from __future__ import annotations

from datetime import date
from typing import Any

from cards.common import render_error
from cards.payloads import ActionPayload
from cards.transfer_card import (
    FORM_EVENTS,
    DecideTransfer,
    TransferEvent,
    ViewTransfer,
    render_decision_form,
    render_transfer_details,
    render_transfer_list,
    render_transfer_refused,
)
from dialogs import transfer_effects
from dialogs.audit_trail import audit
from dialogs.clinic_rules import calendar_of
from dialogs.router import Refused, Router
from dialogs.transfer_effects import meeting_decides, viewer_card
from dialogs.turn import Reply, Services, Turn
from domain.roles import Role
from domain.transfer_machine import (
    OPEN_STATES,
    Event,
    IllegalTransition,
    Move,
    apply,
    role_refusal,
)
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork

router = Router()

ON_THE_CASE = frozenset(Role) - {Role.ADMINISTRATOR}
MAY_SEE_DETAILS = frozenset(
    {
        Role.COORDINATOR,
        Role.FRONT_DOOR,
        Role.TEAM_MANAGER,
        Role.EARLY_HELP_TEAM_MANAGER,
        Role.MEETING_CHAIR,
        Role.HEAD_OF_SERVICE,
    }
)
DECIDERS = MAY_SEE_DETAILS


def _is_requester(turn: Turn, transfer: Transfer) -> bool:
    return transfer.requester_object_id == turn.actor.object_id and transfer.tenant_id == turn.actor.tenant_id


def _refusal_text(services: Services, exc: IllegalTransition) -> str:
    if exc.needed_roles:
        words = {role: services.profile.role_title(role).lower() for role in Role}
        return role_refusal(exc.event, exc.needed_roles, requester_side=exc.requester_side, words=words)
    return exc.reason


class MeetingDecides(Exception):
    """This profile's meeting decides; the receiving side doesn't accept or decline on its own."""


def _check(turn: Turn, transfer: Transfer, event: Event, services: Services | None = None) -> Move:
    if services is not None and meeting_decides(services, transfer, event):
        raise MeetingDecides(
            f"In {services.profile.authority} the meeting decides: schedule the request for it, "
            "and the chair records the outcome."
        )
    return apply(
        transfer.state,
        event,
        roles=turn.actor.roles,
        is_requester=_is_requester(turn, transfer),
        paused_from=transfer.paused_from,
    )


async def _load(uow: UnitOfWork, record_id: int) -> Transfer:
    transfer = await uow.transfers.get(record_id)
    if transfer is None:
        raise Refused(Reply(cards=[render_error("No such request", "It may have been removed.")]))
    return transfer


def _stale(turn: Turn, services: Services, transfer: Transfer) -> Reply:
    who = transfer.last_actor_name or "someone else"
    note = f"This card was out of date: {who} already acted on it. Here it is now."
    return Reply(cards=[viewer_card(turn, services, transfer, note=note)])


# -- views ------------------------------------------------------------------------------------------------------
@router.action("transfer.refresh", payload=ViewTransfer, roles=ON_THE_CASE)
async def refresh(turn: Turn, services: Services, payload: ViewTransfer) -> Reply:
    """Teams asks for each viewer's own card (refresh.userIds), or the person opens it; not an audit event."""
    async with services.uow() as uow:
        transfer = await _load(uow, payload.record_id)
    return Reply(cards=[viewer_card(turn, services, transfer)])


@router.action("transfer.details", payload=ViewTransfer, roles=ON_THE_CASE)
async def details(turn: Turn, services: Services, payload: ViewTransfer) -> Reply:
    async with services.uow() as uow:
        transfer = await _load(uow, payload.record_id)
        if not (_is_requester(turn, transfer) or turn.actor.holds(MAY_SEE_DETAILS)):
            return Reply(
                cards=[render_transfer_refused(transfer, "Only the requester and the deciding side see the details.")]
            )
        await audit(
            uow, turn, "transfer.details_viewed", "transfer", str(transfer.id), detail={"card": "transfer.details"}
        )
    return Reply(cards=[render_transfer_details(transfer, services.profile, calendar_of(services))])


async def open_transfers(turn: Turn, services: Services, wanted: str) -> Reply:
    channels: list[str] | None = []
    assert channels is not None
    if turn.actor.holds({Role.COORDINATOR}):
        channels.append("coordinators")
    if turn.actor.holds({Role.FRONT_DOOR}):
        channels.append("front_door")
    if turn.actor.holds({Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER, Role.HEAD_OF_SERVICE, Role.MEETING_CHAIR}):
        channels = None  # managers see every channel's requests
    states = [s for s in OPEN_STATES if not wanted or s.value == wanted.replace(" ", "_")]
    async with services.uow() as uow:
        found = await uow.transfers.in_states(states, channels)
    title = "Open transfer requests" + (f": {wanted}" if wanted else "")
    return Reply(cards=[render_transfer_list(title, found, calendar_of(services), services.profile)])


class ShowOpen(ActionPayload):
    status: str = ""


@router.command("open transfers", roles=DECIDERS, description="Requests waiting for your side, by status")
async def open_command(turn: Turn, services: Services, args: str) -> Reply:
    return await open_transfers(turn, services, args.strip().lower())


@router.action("transfer.open", payload=ShowOpen, roles=DECIDERS)
async def open_action(turn: Turn, services: Services, payload: ShowOpen) -> Reply:
    return await open_transfers(turn, services, payload.status)


# -- the buttons -------------------------------------------------------------------------------------------------
@router.action("transfer.form", payload=TransferEvent, roles=ON_THE_CASE)
async def form(turn: Turn, services: Services, payload: TransferEvent) -> Reply:
    async with services.uow() as uow:
        transfer = await _load(uow, payload.record_id)
    if transfer.version != payload.version:
        return _stale(turn, services, transfer)
    try:
        _check(turn, transfer, payload.event, services)
    except IllegalTransition as exc:
        return Reply(cards=[render_transfer_refused(transfer, _refusal_text(services, exc))])
    except MeetingDecides as exc:
        return Reply(cards=[render_transfer_refused(transfer, str(exc))])
    if payload.event not in FORM_EVENTS:
        return await _act(turn, services, payload.record_id, payload.version, payload.event, {"card": "transfer.form"})
    suggested = str(transfer.decision.get("previous_worker_name", ""))
    note = ""
    if suggested:
        note = f"{suggested} stepped this case down recently: the step up returns to them."
    return Reply(
        cards=[render_decision_form(transfer, services.profile, payload.event, suggested_worker=suggested, note=note)]
    )


@router.action("transfer.act", payload=TransferEvent, roles=ON_THE_CASE)
async def act(turn: Turn, services: Services, payload: TransferEvent) -> Reply:
    if payload.event in FORM_EVENTS:
        return await form(turn, services, payload)
    return await _act(turn, services, payload.record_id, payload.version, payload.event, {"card": "transfer.act"})


def _decision_inputs(
    turn: Turn, services: Services, transfer: Transfer, payload: DecideTransfer
) -> tuple[dict[str, Any], list[str], list[str]]:
    """The decision to store, the gaps marked, and any problems with the inputs."""
    event = payload.event
    problems: list[str] = []
    decision: dict[str, Any] = dict(transfer.decision)
    gaps: list[str] = []
    calendar = calendar_of(services)
    if payload.unexpected():
        problems.append("The card sent something I can't read.")
    if event in transfer_effects.ALLOCATING:
        teams = services.profile.transfers.to_services.get(transfer.direction, []) or [transfer.to_service]
        if payload.team not in teams:
            problems.append("Choose the team from the list.")
        worker_name = turn.actor.name if payload.allocate_to_me else payload.worker.strip()
        worker_id = turn.actor.object_id if payload.allocate_to_me else ""
        if not payload.allocate_to_me and worker_name and worker_name == decision.get("previous_worker_name"):
            worker_id = str(decision.get("previous_worker_object_id", ""))
        joint: date | None = None
        if payload.joint_visit_on:
            try:
                joint = date.fromisoformat(payload.joint_visit_on)
            except ValueError:
                problems.append("Enter the joint visit date with the date picker.")
            else:
                if joint < calendar.local_date(turn.now):
                    problems.append("The joint visit can't be planned in the past.")
        decision.update(
            {
                "team": payload.team,
                "worker_name": worker_name,
                "worker_object_id": worker_id,
                "joint_visit_on": joint.isoformat() if joint else None,
            }
        )
    elif event in (Event.DECLINE, Event.NO_FURTHER_ACTION, Event.ROUTE_TO_EARLY_HELP, Event.OUTCOME_NOT_AGREED):
        if payload.reason not in services.profile.transfers.decline_reasons:
            problems.append("Choose a reason from the list.")
        decision.update({"reason": payload.reason, "note": payload.note.strip()})
    elif event in (Event.ASK_FOR_INFORMATION, Event.MORE_INFORMATION_NEEDED):
        if len(payload.note.strip()) < 3:
            problems.append("Say what information is needed.")
        decision["information"] = payload.note.strip()
    elif event is Event.RESUBMIT:
        if len(payload.note.strip()) < 3:
            problems.append("Say what you've added.")
        decision["answer"] = payload.note.strip()
    elif event is Event.MARK_GAPS:
        known = {item.key for item in services.profile.transfers.checklist(transfer.direction)}
        gaps = payload.gap_keys()
        if not gaps:
            problems.append("Mark at least one gap, or accept the request instead.")
        if set(gaps) - known:
            problems.append("Some marked items are not on this checklist.")
    decision["by_name"] = turn.actor.name
    decision["by_object_id"] = turn.actor.object_id
    decision["event"] = event.value
    return decision, gaps, problems


@router.action("transfer.decide", payload=DecideTransfer, roles=ON_THE_CASE)
async def decide(turn: Turn, services: Services, payload: DecideTransfer) -> Reply:
    async with services.uow() as uow:
        transfer = await _load(uow, payload.record_id)
    decision, gaps, problems = _decision_inputs(turn, services, transfer, payload)
    if problems:
        form_card = render_decision_form(transfer, services.profile, payload.event, note=" ".join(problems))
        return Reply(cards=[form_card])
    extra: dict[str, Any] = {"decision": decision, "card": "transfer.decide"}
    if payload.event is Event.MARK_GAPS:
        extra["gaps"] = gaps
    return await _act(turn, services, payload.record_id, payload.version, payload.event, extra)


async def _act(
    turn: Turn, services: Services, record_id: int, version: int, event: Event, extra: dict[str, Any]
) -> Reply:
    """Apply one event: the machine says if it may happen; the version says if nobody got there first."""
    async with services.uow() as uow:
        transfer = await _load(uow, record_id)
        if transfer.version != version:
            return _stale(turn, services, transfer)
        try:
            move = _check(turn, transfer, event, services)
        except IllegalTransition as exc:
            return Reply(cards=[render_transfer_refused(transfer, _refusal_text(services, exc))])
        except MeetingDecides as exc:
            return Reply(cards=[render_transfer_refused(transfer, str(exc))])
        gaps_due = None
        gaps = extra.get("gaps")
        if event is Event.MARK_GAPS:
            days = services.profile.transfers.gap_fix_working_days
            if days:
                calendar = calendar_of(services)
                gaps_due = calendar.due_at(calendar.working_days_after(calendar.local_date(turn.now), days))
        elif event is Event.RESOLVE_GAPS:
            gaps = []
        after = await uow.transfers.move(
            transfer,
            state=move.target,
            paused_from=move.paused_from,
            actor_object_id=turn.actor.object_id,
            actor_name=turn.actor.name,
            now=turn.now,
            decision=extra.get("decision"),
            gaps=gaps,
            gaps_due_at=gaps_due,
        )
        if after is None:
            return _stale(turn, services, await _load(uow, record_id))
        await transfer_effects.after_move(uow, services, turn, transfer, after, event, str(extra.get("card", "")))
    return Reply(cards=[viewer_card(turn, services, after)])
