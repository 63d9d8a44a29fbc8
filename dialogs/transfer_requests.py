"""Making a transfer request: choose the direction, fill the card, review, submit to the receiving channel."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cards.common import render_error
from cards.payloads import ActionPayload
from cards.transfer_card import next_deadline, render_transfer_list
from cards.transfer_forms import (
    StartTransfer,
    SubmitTransfer,
    UrgentCalled,
    render_direction_picker,
    render_transfer_sent,
    render_urgent_recorded,
    urgent_warning_block,
)
from cards.transfer_stages import Stage, render_transfer_form
from dialogs import transfer_effects
from dialogs.audit_trail import audit
from dialogs.case_access import visible
from dialogs.clinic_rules import calendar_of
from dialogs.router import Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.booking import Booking
from domain.case_roles import ASKERS
from domain.consent import first_entry
from domain.directions import Direction
from domain.transfer_record import Decisions
from domain.transfer_submission import directions_for as directions_for_roles
from domain.transfer_submission import submission
from domain.transfers import (
    Route,
    TransferDetails,
    request_problems,
    routed,
)
from storage.uow import UnitOfWork

router = Router()

FLOW = "transfer"
DRAFT_TTL = timedelta(days=30)
REQUESTERS = ASKERS


def directions_for(turn: Turn, services: Services) -> list[Direction]:
    """The directions this person's roles ask for, that the profile takes through the bot."""
    return directions_for_roles(turn.actor.roles, services.profile)


CHANNEL_TITLES = {"coordinators": "the coordinators' channel", "front_door": "the front door's channel"}


def channel_title(key: str, services: Services) -> str:
    if key == "front_door":
        return f"the {services.profile.labels.front_door} channel"
    return CHANNEL_TITLES.get(key, f"the {key.replace('_', ' ')} channel")


# -- starting ----------------------------------------------------------------------------------------------
class ShowMyTransfers(ActionPayload):
    pass


@router.command(
    "new transfer",
    roles=REQUESTERS,
    description="Ask for a step down, step up or step across",
    title="New transfer",
    verb="transfer.start",
)
async def new_transfer_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await _start(turn, services, None, None)


@router.action("transfer.start", payload=StartTransfer, roles=REQUESTERS)
async def start_action(turn: Turn, services: Services, payload: StartTransfer) -> Reply:
    return await _start(turn, services, payload.direction, payload.booking_id)


def _prefill_from_booking(booking: Booking) -> dict[str, Any]:
    return {
        "case_reference": booking.case_reference,
        "from_team": booking.team,
        "reason": booking.reason,
        "manager_decided_on": booking.decision_date.isoformat(),
        "route": Route.CLINIC.value,
    }


async def _start(turn: Turn, services: Services, direction: Direction | None, booking_id: int | None) -> Reply:
    allowed = directions_for(turn, services)
    if direction is None:
        if len(allowed) != 1:
            return Reply(cards=[render_direction_picker(allowed)])
        direction = allowed[0]
    if direction not in allowed:
        return Reply(cards=[render_error("You can't ask for that", "Your roles don't make that kind of request.")])
    values: dict[str, Any] = {}
    async with services.uow() as uow:
        if booking_id is not None:
            booking = await uow.clinic.booking(booking_id)
            if booking is not None and booking.worker_object_id == turn.actor.object_id:
                values = _prefill_from_booking(booking)
            else:
                booking_id = None
        draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
        resumed = False
        if draft is not None and not values:
            # An Assessment Team discussion, or an earlier unfinished request of this direction.
            earlier = draft.data.get("direction")
            if earlier in (None, direction.value):
                values = {k: v for k, v in draft.data.items() if k != "details"}
                answers = [v for k, v in values.items() if k not in ("direction", "booking_id") and v]
                resumed = earlier is not None and bool(answers)
        # The draft starts again from what this form shows, so no answer of another request rides along.
        fresh = {**values, "direction": direction.value, "booking_id": booking_id}
        await uow.drafts.start(turn.actor.tenant_id, turn.actor.object_id, FLOW, fresh, turn.now, DRAFT_TTL)
    today = calendar_of(services).local_date(turn.now)
    form = request_form(services, direction, values=values, booking_id=booking_id, today=today, resumed=resumed)
    return Reply(cards=[form])


def request_form(
    services: Services,
    direction: Direction,
    *,
    values: dict[str, Any],
    problems: list[str] | None = None,
    booking_id: int | None = None,
    stage: Stage = "case",
    today: date | None = None,
    resumed: bool = False,
) -> dict[str, Any]:
    urgent = None
    if direction is Direction.STEP_UP:
        urgent = urgent_warning_block(
            day_phone=services.front_door_phone,
            out_of_hours_phone=services.front_door_out_of_hours_phone,
            front_door=services.profile.labels.front_door,
        )
    return render_transfer_form(
        services.profile,
        direction,
        values=values,
        problems=problems,
        booking_id=booking_id,
        urgent=urgent,
        stage=stage,
        today=today,
        resumed=resumed,
    )


# -- submit -------------------------------------------------------------------------------------------------------
@router.change("transfer.submit", payload=SubmitTransfer, roles=REQUESTERS)
async def submit(turn: Turn, services: Services, payload: SubmitTransfer, uow: UnitOfWork) -> Reply:
    """Send the reviewed request to the receiving side (a repeat of this click is answered by the router)."""
    calendar = calendar_of(services)
    actor = turn.actor
    draft = await uow.drafts.consume(payload.draft_id, payload.version, turn.now)
    if draft is None or (draft.tenant_id, draft.object_id) != (actor.tenant_id, actor.object_id):
        raise Refused(Reply(cards=[render_error("That card has expired", "Start the request again.")]))
    details = routed(TransferDetails.model_validate(draft.data["details"]), services.profile)
    if details.direction not in directions_for(turn, services):
        raise Refused(
            Reply(cards=[render_error("You can't ask for that", "Your roles don't make that kind of request.")])
        )
    problems = request_problems(details, services.profile, today=calendar.local_date(turn.now))
    if problems:
        raise Refused(Reply(cards=[render_error("The request can't go yet", " ".join(problems))]))
    earlier = await uow.transfers.for_case(details.case_reference) if details.direction is Direction.STEP_UP else []
    sent = submission(details, earlier, services.profile, turn.now)
    channel_id = services.channels.get(sent.channel_key)
    comes_back_here = False
    if not channel_id and services.local_mode:
        # Trying the bot alone (Agents Playground): the receiving side's card comes here instead.
        channel_id = turn.where.conversation_id
        comes_back_here = True
    if not channel_id:
        raise Refused(
            Reply(
                cards=[
                    render_error(
                        "There is nowhere to send it",
                        f"No channel is set for {channel_title(sent.channel_key, services)}.",
                        hints=[services.admin_contact],
                    )
                ]
            )
        )
    # The case's consent record starts with the form's answers (domain/consent.py).
    consent = first_entry(details, calendar.local_date(turn.now))
    transfer = await uow.transfers.create(
        tenant_id=actor.tenant_id,
        requester_object_id=actor.object_id,
        requester_name=actor.name,
        details=details,
        receiving_channel=sent.channel_key,
        channel_conversation_id=channel_id,
        wording=sent.wording,
        decision=Decisions(previous_worker=sent.previous_worker, consent=consent.note(1)),
        now=turn.now,
    )
    await uow.consents.add(
        transfer.id,
        transfer.case_reference,
        consent,
        entry=1,
        by_name=actor.name,
        by_object_id=actor.object_id,
        now=turn.now,
    )
    await audit(
        uow,
        turn,
        "consent.recorded",
        "transfer",
        str(transfer.id),
        detail={"entry": 1, "status": consent.status.value, "scopes": [s.value for s in consent.scopes]},
    )
    started = await transfer_effects.after_submit(uow, services, turn, transfer, channel_id, sent.facts)
    # A short confirmation: the request itself is the bot's one message in the receiving channel.
    confirmation = render_transfer_sent(
        transfer,
        services.profile,
        sent_to=channel_title(sent.channel_key, services),
        comes_back_here=comes_back_here,
        next_due=next_deadline(started, turn.now, calendar),
    )
    return Reply(cards=[confirmation])


# -- urgent concerns, and the requester's list ----------------------------------------------------------------------
@router.change("transfer.urgent_called", payload=UrgentCalled, roles=REQUESTERS)
async def urgent_called(turn: Turn, services: Services, _payload: UrgentCalled, uow: UnitOfWork) -> Reply:
    """After phoning the front door about an urgent concern: record that the written referral is due."""
    await audit(uow, turn, "transfer.urgent_call_recorded", "person", turn.actor.object_id)
    return Reply(cards=[render_urgent_recorded(services.profile.labels.front_door)])


async def my_transfers(turn: Turn, services: Services) -> Reply:
    async with services.uow() as uow:
        mine = await visible(uow, services, turn, states=None, mine_only=True)
        open_first = [t for t in mine if t.open] + [t for t in mine if not t.open][:5]
        deadlines = await uow.deadlines.for_transfers([t.id for t in open_first])
    card = render_transfer_list(
        "Your transfer requests",
        open_first,
        calendar_of(services),
        services.profile,
        deadlines=deadlines,
        now=turn.now,
    )
    return Reply(cards=[card], private=True)


@router.command("my transfers", roles=REQUESTERS, description="Your requests, their status and next deadline")
async def my_transfers_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await my_transfers(turn, services)


@router.command("my requests", roles=REQUESTERS)
async def my_requests_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await my_transfers(turn, services)


@router.action("transfer.mine", payload=ShowMyTransfers, roles=REQUESTERS)
async def my_transfers_action(turn: Turn, services: Services, _payload: ShowMyTransfers) -> Reply:
    return await my_transfers(turn, services)
