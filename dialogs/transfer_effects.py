"""What follows a transfer's submission or move: its audit event, the channel card, notices, nudges, the gaps clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cards.transfer_card import button, render_transfer_card, render_transfer_notice
from dialogs.audit_trail import audit
from dialogs.case_access import Case
from dialogs.clinic_rules import calendar_of
from dialogs.deadlines import record_facts
from dialogs.notices import notify_person, post_to_conversation, update_card
from dialogs.tracking import track_key, tracker
from dialogs.turn import Services, Turn
from domain.deadline_rules import Fact
from domain.deadlines import Deadline
from domain.disputes import raise_refusal
from domain.outcomes import correct_refusal
from domain.roles import Role
from domain.transfer_access import available_events, deciders, on_meeting, rule_of
from domain.transfer_decide import Decided
from domain.transfer_events import Party
from domain.transfer_facts import When
from domain.transfer_machine import Event
from domain.transfer_notices import Notice
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork


def record_buttons(services: Services, case: Case, turn: Turn) -> list[dict[str, Any]]:
    """The buttons beside the life cycle this person may use: the outcome's versions and its correction, and a
    dispute about the decision that stands."""
    transfer, profile = case.transfer, services.profile
    found: list[dict[str, Any]] = []
    note = transfer.decision.outcome
    if note is not None:
        ids = {"record_id": transfer.id, "version": transfer.version}
        if correct_refusal(transfer, turn.actor, case.relations, profile) is None:
            found.append(
                button("Correct the outcome", "outcome.form", {**ids, "decision": note.decision.value, "correct": True})
            )
        found.append(button("Outcome history", "outcome.history", {"record_id": transfer.id}))
    if raise_refusal(transfer, turn.actor, case.relations) is None:
        found.append(
            button("Dispute this decision", "dispute.form", {"record_id": transfer.id, "version": transfer.version})
        )
    return found


def viewer_card(services: Services, case: Case, turn: Turn, *, note: str = "") -> dict[str, Any]:
    """This person's view: exactly the buttons they may press on this request now, and each clock."""
    events = available_events(turn.actor, case.relations, case.transfer, services.profile)
    return render_transfer_card(
        case.transfer,
        services.profile,
        calendar_of(services),
        events=events,
        deadlines=case.deadlines,
        now=turn.now,
        note=note,
        more=record_buttons(services, case, turn),
    )


def base_card(services: Services, transfer: Transfer, deadlines: Sequence[Deadline], now: datetime) -> dict[str, Any]:
    """The view everyone in the channel sees first: no decision buttons, only details and 'show my actions'."""
    return render_transfer_card(
        transfer, services.profile, calendar_of(services), events=[], deadlines=deadlines, now=now
    )


def refresh_for(services: Services, transfer: Transfer) -> list[str]:
    """Who in the channel gets their own view of the card (refresh.userIds): the deciding roles, and the people."""
    roles = set(deciders(transfer, services.profile))
    if on_meeting(transfer, services.profile):
        roles.add(Role.MEETING_CHAIR)
    route = rule_of(transfer, services.profile)
    if route is not None and route.authorised_by is not None:
        roles.add(route.authorised_by)
    people = [transfer.requester_object_id, transfer.worker_object_id]
    return [*sorted(r.value for r in roles), *(f"person:{p}" for p in people if p)]


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


async def after_submit(
    uow: UnitOfWork,
    services: Services,
    turn: Turn,
    transfer: Transfer,
    channel_id: str,
    facts: Sequence[tuple[Fact, When]],
) -> list[Deadline]:
    """The audit event, the clocks the submission starts, and the card posted to the receiving channel."""
    started = await record_facts(uow, services, transfer, facts, turn.now)
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
        card=base_card(services, transfer, started, turn.now),
        now=turn.now,
        summary=f"Transfer request {transfer.case_reference}",
        track=track_key("transfer", transfer.id, transfer.version),
        refresh_for=refresh_for(services, transfer),
    )
    await _ask_for_authorisation(uow, services, transfer, turn.now)
    previous = transfer.decision.previous_worker
    if previous is not None:
        months = services.profile.transfers.return_to_previous_worker_months
        card = render_transfer_notice(
            transfer,
            services.profile,
            "A case you stepped down is stepping up again",
            [f"It was stepped down less than {months} months ago, so it comes back to you for allocation."],
        )
        await notify_person(
            uow,
            tenant_id=transfer.tenant_id,
            object_id=previous.object_id,
            card=card,
            now=turn.now,
            summary=f"{transfer.case_reference} is stepping up again",
        )
        await tell_managers(uow, services, card, turn.now, summary="Step up returns")
    return started


async def _ask_for_authorisation(uow: UnitOfWork, services: Services, transfer: Transfer, now: datetime) -> None:
    """Redcar: a step down the MACH manager authorises is announced in the front door's channel too, with a way to
    open it, when the card itself went elsewhere (the coordinators' channel)."""
    rule = rule_of(transfer, services.profile)
    if rule is None or rule.authorised_by is not Role.FRONT_DOOR or transfer.receiving_channel == "front_door":
        return
    channel = services.channels.get("front_door")
    if not channel:
        return
    card = render_transfer_notice(
        transfer,
        services.profile,
        "A request waits for your authorisation",
        [
            f"{rule.authorisation} comes before the {services.profile.labels.coordinators} allocate it: "
            "open the request to authorise it."
        ],
    )
    await post_to_conversation(
        uow, conversation_id=channel, card=card, now=now, summary=f"{transfer.case_reference} awaits authorisation"
    )


async def after_move(
    uow: UnitOfWork,
    services: Services,
    turn: Turn,
    before: Transfer,
    after: Transfer,
    event: Event,
    decided: Decided,
    card: str = "",
) -> None:
    """The audit event, the clocks the move starts and settles, the card updated for everyone, and what the
    event table says follows."""
    await record_facts(uow, services, after, decided.facts, turn.now)
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
            "changed": list(decided.changed),
            "gaps": list(after.gaps) if after.gaps != before.gaps else None,
            "card": card,
            "conversation": turn.where.kind.value,
        },
    )
    await refresh_channel_card(uow, services, after, turn.now)
    await send_notices(uow, services, after, decided.notices, turn.now)
    if decided.nudge_unnamed:
        notice_card = render_transfer_notice(
            after,
            services.profile,
            "Accepted with no named worker",
            ["Every child has a named practitioner at all times: please name one today."],
        )
        await tell_managers(
            uow, services, notice_card, turn.now, summary=f"{after.case_reference} needs a named worker"
        )


async def refresh_channel_card(uow: UnitOfWork, services: Services, after: Transfer, now: datetime) -> None:
    """The card in the receiving channel, updated for everyone to the request as it stands."""
    if after.channel_activity_id and after.channel_conversation_id:
        await update_card(
            uow,
            conversation_id=after.channel_conversation_id,
            activity_id=after.channel_activity_id,
            card=base_card(services, after, await uow.deadlines.for_transfer(after.id), now),
            now=now,
            refresh_for=refresh_for(services, after),
        )


async def send_notices(
    uow: UnitOfWork, services: Services, after: Transfer, notices: Sequence[Notice], now: datetime
) -> None:
    """Each notice to its person's personal chat; the requester's manager is found from line management."""
    sent: set[tuple[str, str]] = set()
    for notice in notices:
        people = [notice.object_id]
        if notice.party is Party.REQUESTERS_MANAGER:
            people = sorted(await services.line_managers.managers_of(after.tenant_id, after.requester_object_id))
        for person in people:
            if not person or (person, notice.headline) in sent:
                continue
            sent.add((person, notice.headline))
            await notify_person(
                uow,
                tenant_id=after.tenant_id,
                object_id=person,
                card=render_transfer_notice(after, services.profile, notice.headline, list(notice.lines)),
                now=now,
                summary=notice.headline,
            )


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
                card=base_card(services, transfer, await uow.deadlines.for_transfer(transfer.id), now),
                now=now,
                refresh_for=refresh_for(services, transfer),
            )
