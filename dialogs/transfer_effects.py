"""What follows a transfer's submission or move: the channel card, notices, nudges, the gaps clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cards.transfer_card import render_transfer_card, render_transfer_notice
from dialogs.audit_trail import audit
from dialogs.clinic_jobs import schedule
from dialogs.clinic_rules import calendar_of
from dialogs.jobs import job
from dialogs.notices import notify_person, post_to_conversation, update_card
from dialogs.tracking import track_key, tracker
from dialogs.turn import Services, Turn
from domain.directions import Direction
from domain.roles import Role
from domain.transfer_machine import EVENT_TITLES, STATE_TITLES, Event, State, allowed_events
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork

# Who gets their own view of a channel card (refresh.userIds), besides the requester.
RECEIVING_ROLES = [
    Role.COORDINATOR.value,
    Role.FRONT_DOOR.value,
    Role.TEAM_MANAGER.value,
    Role.EARLY_HELP_TEAM_MANAGER.value,
    Role.MEETING_CHAIR.value,
    Role.HEAD_OF_SERVICE.value,
]
_DECISIONS = frozenset(
    {
        Event.ACCEPT,
        Event.THRESHOLD_MET,
        Event.OUTCOME_AGREED,
        Event.DECLINE,
        Event.NO_FURTHER_ACTION,
        Event.ROUTE_TO_EARLY_HELP,
        Event.OUTCOME_NOT_AGREED,
        Event.ASK_FOR_INFORMATION,
        Event.MORE_INFORMATION_NEEDED,
        Event.MARK_GAPS,
        Event.RESOLVE_GAPS,
        Event.SCHEDULE,
        Event.OUTCOME_DEFERRED,
    }
)
ALLOCATING = frozenset({Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED})
_STEP_DOWNS = (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL)
_HANDED_ON = (State.ACCEPTED, State.CO_WORKING, State.JOINT_VISIT_DONE, State.TRANSFERRED, State.CLOSED)


# In a profile whose meeting decides, its chair's outcome is authoritative; the receiving side prepares
# (schedules, asks, marks gaps) but doesn't accept or decline on its own. Step ups stay with the front door.
_MEETING_DECIDES = frozenset({Event.ACCEPT, Event.DECLINE})


def meeting_decides(services: Services, transfer: Transfer, event: Event) -> bool:
    return (
        services.profile.transfers.decision_authority == "meeting"
        and event in _MEETING_DECIDES
        and transfer.direction is not Direction.STEP_UP
    )


def viewer_card(turn: Turn, services: Services, transfer: Transfer, *, note: str = "") -> dict[str, Any]:
    """This person's view: the buttons their roles allow on this request now."""
    is_requester = transfer.requester_object_id == turn.actor.object_id and transfer.tenant_id == turn.actor.tenant_id
    events = allowed_events(transfer.state, roles=turn.actor.roles, is_requester=is_requester)
    events = [e for e in events if not meeting_decides(services, transfer, e)]
    return render_transfer_card(transfer, services.profile, calendar_of(services), events=events, note=note)


async def tell_managers(
    uow: UnitOfWork,
    services: Services,
    card: dict[str, Any],
    now: datetime,
    *,
    summary: str,
    dedupe_key: str | None = None,
) -> None:
    """A notice about a request in the managers' channel, when one is configured."""
    managers = services.channels.get("managers")
    if managers:
        await post_to_conversation(
            uow, conversation_id=managers, card=card, now=now, summary=summary, dedupe_key=dedupe_key
        )


def refresh_for(transfer: Transfer) -> list[str]:
    return [*RECEIVING_ROLES, f"requester:{transfer.requester_object_id}"]


def base_card(services: Services, transfer: Transfer) -> dict[str, Any]:
    """The view everyone in the channel sees first: no buttons but details and 'show my actions'."""
    return render_transfer_card(transfer, services.profile, calendar_of(services), events=[])


async def after_submit(uow: UnitOfWork, services: Services, turn: Turn, transfer: Transfer, channel_id: str) -> None:
    await audit(
        uow,
        turn,
        "transfer.submitted",
        "transfer",
        str(transfer.id),
        detail={"to": transfer.receiving_channel, "card": "transfer.submit"},
    )
    await post_to_conversation(
        uow,
        conversation_id=channel_id,
        card=base_card(services, transfer),
        now=turn.now,
        summary=f"Transfer request {transfer.case_reference}",
        track=track_key("transfer", transfer.id, transfer.version),
        refresh_for=refresh_for(transfer),
    )
    if transfer.direction is Direction.STEP_UP:
        await _previous_worker(uow, services, turn, transfer)


async def _previous_worker(uow: UnitOfWork, services: Services, turn: Turn, transfer: Transfer) -> None:
    """York: a step up within 3 months of a step down returns to the social worker who stepped it down."""
    months = services.profile.transfers.return_to_previous_worker_months
    if not months:
        return
    since = turn.now - timedelta(days=31 * months)
    earlier = [
        t
        for t in await uow.transfers.for_case(transfer.case_reference)
        if t.id != transfer.id
        and t.direction in _STEP_DOWNS
        and t.state in _HANDED_ON
        and t.submitted_at is not None
        and t.submitted_at >= since
    ]
    if not earlier:
        return
    previous = earlier[-1]
    decision = {
        "previous_worker_name": previous.requester_name,
        "previous_worker_object_id": previous.requester_object_id,
    }
    moved = await uow.transfers.move(
        transfer,
        state=transfer.state,
        paused_from=transfer.paused_from,
        actor_object_id=turn.actor.object_id,
        actor_name=turn.actor.name,
        now=turn.now,
        decision=decision,
    )
    card = render_transfer_notice(
        moved or transfer,
        services.profile,
        "A case you stepped down is stepping up again",
        [f"It was stepped down less than {months} months ago, so it comes back to you for allocation."],
    )
    await notify_person(
        uow,
        tenant_id=previous.tenant_id,
        object_id=previous.requester_object_id,
        card=card,
        now=turn.now,
        summary=f"{transfer.case_reference} is stepping up again",
    )
    await tell_managers(uow, services, card, turn.now, summary="Step up returns")


async def after_move(
    uow: UnitOfWork,
    services: Services,
    turn: Turn,
    before: Transfer,
    after: Transfer,
    event: Event,
    card: str = "",
) -> None:
    changed = sorted(
        k for k in set(before.decision) | set(after.decision) if before.decision.get(k) != after.decision.get(k)
    )
    await audit(
        uow,
        turn,
        f"transfer.{event.value}",
        "transfer",
        str(after.id),
        detail={
            "from": before.state.value,
            "to": after.state.value,
            "version": after.version,
            "changed": changed,
            "gaps": after.gaps if after.gaps != before.gaps else None,
            "card": card,
            "conversation": turn.where.kind.value,
        },
    )
    if after.channel_activity_id and after.channel_conversation_id:
        await update_card(
            uow,
            conversation_id=after.channel_conversation_id,
            activity_id=after.channel_activity_id,
            card=base_card(services, after),
            now=turn.now,
            refresh_for=refresh_for(after),
        )
    if event in _DECISIONS and turn.actor.object_id != after.requester_object_id:
        await notify_person(
            uow,
            tenant_id=after.tenant_id,
            object_id=after.requester_object_id,
            card=render_transfer_notice(
                after,
                services.profile,
                f"{EVENT_TITLES[event]}: {after.case_reference}",
                _decision_lines(after, event, turn),
            ),
            now=turn.now,
            summary=f"{after.case_reference}: {STATE_TITLES[after.state]}",
        )
    if event in ALLOCATING:
        await _allocated(uow, services, turn, after)
    if event is Event.MARK_GAPS and after.gaps_due_at is not None:
        await schedule(
            uow,
            "transfer.gaps_due",
            {"transfer_id": after.id, "version": after.version},
            after.gaps_due_at,
            turn.now,
            key=f"transfer:{after.id}:gaps:{after.version}",
        )


def _decision_lines(transfer: Transfer, event: Event, turn: Turn) -> list[str]:
    lines = [f"By {turn.actor.name or 'the receiving side'}."]
    reason = transfer.decision.get("reason")
    if reason and event not in ALLOCATING:
        lines.append(f"Reason: {reason}")
    if transfer.allocated_worker and event in ALLOCATING:
        lines.append(f"Allocated to {transfer.allocated_worker}.")
    if event in (Event.ASK_FOR_INFORMATION, Event.MORE_INFORMATION_NEEDED):
        lines.append("Open the request to see what is asked, then resubmit it.")
    return lines


async def _allocated(uow: UnitOfWork, services: Services, turn: Turn, transfer: Transfer) -> None:
    worker_id = str(transfer.decision.get("worker_object_id", ""))
    joint = transfer.decision.get("joint_visit_on")
    if worker_id:
        lines = [f"Requested by {transfer.requester_name or 'a colleague'}."]
        if joint:
            lines.append(f"Joint visit planned for {joint}.")
        await notify_person(
            uow,
            tenant_id=transfer.tenant_id,
            object_id=worker_id,
            card=render_transfer_notice(transfer, services.profile, "A case is allocated to you", lines),
            now=turn.now,
            summary=f"{transfer.case_reference} is allocated to you",
        )
    if not transfer.allocated_worker and services.profile.transfers.named_worker_nudge:
        notice = render_transfer_notice(
            transfer,
            services.profile,
            "Accepted with no named worker",
            ["Every child has a named practitioner at all times: please name one today."],
        )
        await tell_managers(uow, services, notice, turn.now, summary=f"{transfer.case_reference} needs a named worker")


@tracker("transfer")
async def transfer_posted(
    services: Services, transfer_id: int, version: int, conversation_id: str, activity_id: str, now: datetime
) -> None:
    """Keep where the card landed; if the request moved on meanwhile, bring the card up to date."""
    async with services.uow() as uow:
        await uow.transfers.set_channel_post(transfer_id, conversation_id, activity_id)
        transfer = await uow.transfers.get(transfer_id)
        if transfer is not None and transfer.version != version:
            await update_card(
                uow,
                conversation_id=conversation_id,
                activity_id=activity_id,
                card=base_card(services, transfer),
                now=now,
                refresh_for=refresh_for(transfer),
            )


@job("transfer.gaps_due")
async def gaps_due(services: Services, payload: dict[str, Any], now: datetime) -> None:
    """Readiness gaps not fixed in time: tell the managers' channel, for the escalation the profile names."""
    async with services.uow() as uow:
        transfer = await uow.transfers.get(int(payload["transfer_id"]))
        if transfer is None or transfer.state is not State.GAPS_OPEN or transfer.version != int(payload["version"]):
            return
        role = services.profile.transfers.gap_escalation_role
        who = services.profile.role_title(role) if role else "a manager"
        notice = render_transfer_notice(
            transfer,
            services.profile,
            "Readiness gaps not fixed in time",
            [f"{len(transfer.gaps)} gap(s) are still open: this goes to {who}."],
        )
        await tell_managers(
            uow,
            services,
            notice,
            now,
            summary=f"{transfer.case_reference}: gaps overdue",
            dedupe_key=f"transfer:{transfer.id}:gaps-escalated:{transfer.version}",
        )
