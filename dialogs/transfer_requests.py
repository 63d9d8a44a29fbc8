"""Making a transfer request: choose the direction, fill the card, review, submit to the receiving channel."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from cards.common import render_error
from cards.payloads import ActionPayload
from cards.transfer_card import render_transfer_list
from cards.transfer_forms import (
    ReviewTransfer,
    StartTransfer,
    SubmitTransfer,
    UrgentCalled,
    render_direction_picker,
    render_transfer_form,
    render_transfer_review,
    render_urgent_recorded,
    urgent_warning_block,
)
from dialogs import transfer_effects
from dialogs.audit_trail import audit
from dialogs.clinic_rules import calendar_of
from dialogs.router import Refused, Router
from dialogs.transfer_effects import viewer_card
from dialogs.turn import Reply, Services, Turn
from domain.booking import Booking
from domain.directions import Direction
from domain.roles import Role
from domain.transfers import (
    ConsentStatus,
    Route,
    TransferDetails,
    decision_due,
    missing_checklist,
    receiving_channel,
    request_problems,
    wording_for,
)

router = Router()

FLOW = "transfer"
DRAFT_TTL = timedelta(days=30)
REQUESTERS = frozenset(
    {
        Role.SOCIAL_WORKER,
        Role.ASSESSMENT_SOCIAL_WORKER,
        Role.EARLY_HELP_WORKER,
        Role.TEAM_MANAGER,
        Role.EARLY_HELP_TEAM_MANAGER,
    }
)
_BY_ROLE: dict[Role, tuple[Direction, ...]] = {
    Role.SOCIAL_WORKER: (
        Direction.STEP_DOWN_EARLY_HELP,
        Direction.STEP_DOWN_UNIVERSAL,
        Direction.STEP_ACROSS,
        Direction.CO_WORK,
    ),
    Role.TEAM_MANAGER: (
        Direction.STEP_DOWN_EARLY_HELP,
        Direction.STEP_DOWN_UNIVERSAL,
        Direction.STEP_ACROSS,
        Direction.CO_WORK,
    ),
    Role.ASSESSMENT_SOCIAL_WORKER: (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL),
    Role.EARLY_HELP_WORKER: (Direction.STEP_UP,),
    Role.EARLY_HELP_TEAM_MANAGER: (Direction.STEP_UP,),
}


def directions_for(turn: Turn, services: Services) -> list[Direction]:
    """The directions this person's roles ask for, that the profile takes through the bot."""
    wanted = {d for role in turn.actor.roles for d in _BY_ROLE.get(role, ())}
    return [d for d in Direction if d in wanted and services.profile.transfers.offers(d)]


CHANNEL_TITLES = {"coordinators": "the coordinators' channel", "front_door": "the front door's channel"}


def _channel_title(key: str, services: Services) -> str:
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
        if draft is not None and not values:
            # An Assessment Team discussion, or an earlier unfinished request.
            values = {k: v for k, v in draft.data.items() if k != "details"}
    return Reply(cards=[_form(services, direction, values=values, booking_id=booking_id)])


def _form(
    services: Services,
    direction: Direction,
    *,
    values: dict[str, Any],
    problems: list[str] | None = None,
    booking_id: int | None = None,
) -> dict[str, Any]:
    urgent = None
    if direction is Direction.STEP_UP:
        urgent = urgent_warning_block(
            day_phone=services.front_door_phone,
            out_of_hours_phone=services.front_door_out_of_hours_phone,
            front_door=services.profile.labels.front_door,
        )
    return render_transfer_form(
        services.profile, direction, values=values, problems=problems, booking_id=booking_id, urgent=urgent
    )


# -- review and submit ---------------------------------------------------------------------------------------------
def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def details_from(payload: ReviewTransfer) -> dict[str, Any]:
    """The form's flat inputs as TransferDetails' shape (still to be validated)."""
    status = payload.consent_status or ConsentStatus.GIVEN.value
    return {
        "case_reference": payload.case_reference,
        "child_initials": payload.child_initials,
        "children_count": payload.children_count or "1",
        "direction": payload.direction.value,
        "from_team": payload.from_team,
        "to_service": payload.to_service,
        "reason": payload.reason,
        "outstanding_needs": payload.outstanding_needs,
        "level_of_need": payload.level_of_need,
        "route": payload.route or Route.DIRECT.value,
        "consent": {
            "status": status,
            "relationship": payload.consent_relationship,
            "initials": payload.consent_initials,
            "how": payload.consent_how,
            "on": _parse_date(payload.consent_on),
            "risk_reason": payload.consent_risk_reason,
            "agreed_by": payload.consent_agreed_by,
        },
        "manager": {"manager": payload.manager, "decided_on": _parse_date(payload.manager_decided_on)},
        "checklist": payload.ticked(),
        "discussed_with": payload.discussed_with,
        "discussed_on": _parse_date(payload.discussed_on),
        "booking_id": payload.booking_id,
    }


_FIELD_WORDS = {
    "case_reference": "the case reference",
    "child_initials": "the child's initials (letters only)",
    "children_count": "the number of children",
    "from_team": "your team",
    "to_service": "the receiving service",
    "reason": "the reason",
    "outstanding_needs": "the outstanding needs",
    "route": "the route",
    "consent": "the family's consent: who gave it, their initials, how and when",
    "manager": "your manager's name and the date of the decision",
}


def _problems_of(exc: ValidationError) -> list[str]:
    fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
    return [f"Please check {_FIELD_WORDS.get(f, f.replace('_', ' '))}." for f in fields]


@router.action("transfer.review", payload=ReviewTransfer, roles=REQUESTERS)
async def review(turn: Turn, services: Services, payload: ReviewTransfer) -> Reply:
    values = payload.model_dump(exclude={"verb", "v"})
    if payload.direction not in directions_for(turn, services):
        return Reply(cards=[render_error("You can't ask for that", "Your roles don't make that kind of request.")])
    if payload.unexpected():
        return Reply(cards=[render_error("That card sent something I can't read", "The card was malformed.")])
    calendar = calendar_of(services)
    try:
        details = TransferDetails.model_validate(details_from(payload))
        problems = request_problems(details, services.profile, today=calendar.local_date(turn.now))
    except ValidationError as exc:
        problems = _problems_of(exc)
    if problems:
        return Reply(
            cards=[_form(services, payload.direction, values=values, problems=problems, booking_id=payload.booking_id)]
        )
    channel = receiving_channel(details, services.profile)
    async with services.uow() as uow:
        draft = await uow.drafts.start(
            turn.actor.tenant_id,
            turn.actor.object_id,
            FLOW,
            {**values, "details": details.model_dump(mode="json")},
            turn.now,
            DRAFT_TTL,
        )
    card = render_transfer_review(
        details,
        services.profile,
        draft_id=draft.id,
        version=draft.version,
        wording=wording_for(details, services.profile),
        missing=[item.label for item in missing_checklist(details, services.profile)],
        channel_title=_channel_title(channel, services),
    )
    return Reply(cards=[card])


def _submit_key(draft_id: int, version: int) -> str:
    return f"transfer-draft:{draft_id}:{version}"


@router.action("transfer.submit", payload=SubmitTransfer, roles=REQUESTERS)
async def submit(turn: Turn, services: Services, payload: SubmitTransfer) -> Reply:
    calendar = calendar_of(services)
    key = _submit_key(payload.draft_id, payload.version)
    async with services.uow() as uow:
        draft = await uow.drafts.consume(payload.draft_id, payload.version, turn.now)
        if draft is None or draft.object_id != turn.actor.object_id:
            for earlier in await uow.transfers.for_requester(turn.actor.tenant_id, turn.actor.object_id):
                if earlier.details.get("submitted_from") == key:
                    # A double click or a replay: it was submitted once; show it again.
                    return Reply(cards=[viewer_card(turn, services, earlier)])
            raise Refused(Reply(cards=[render_error("That card has expired", "Start the request again.")]))
        details = TransferDetails.model_validate(draft.data["details"])
        problems = request_problems(details, services.profile, today=calendar.local_date(turn.now))
        if problems:
            raise Refused(Reply(cards=[render_error("The request can't go yet", " ".join(problems))]))
        channel_key = receiving_channel(details, services.profile)
        channel_id = services.channels.get(channel_key)
        if not channel_id and services.local_mode:
            # Trying the bot alone (Agents Playground): the receiving side's card comes here instead.
            channel_id = turn.where.conversation_id
        if not channel_id:
            raise Refused(
                Reply(
                    cards=[
                        render_error(
                            "There is nowhere to send it",
                            f"No channel is set for {_channel_title(channel_key, services)}.",
                            hints=[services.admin_contact],
                        )
                    ]
                )
            )
        stored = {
            **details.model_dump(mode="json"),
            "wording": wording_for(details, services.profile),
            "submitted_from": key,
        }
        transfer = await uow.transfers.create(
            tenant_id=turn.actor.tenant_id,
            requester_object_id=turn.actor.object_id,
            requester_name=turn.actor.name,
            case_reference=details.case_reference,
            direction=details.direction,
            from_team=details.from_team,
            to_service=details.to_service,
            details=stored,
            receiving_channel=channel_key,
            decision_due_at=decision_due(details, services.profile, calendar, turn.now),
            now=turn.now,
        )
        await transfer_effects.after_submit(uow, services, turn, transfer, channel_id)
    return Reply(cards=[viewer_card(turn, services, transfer, note="Sent. You'll be told of each decision.")])


# -- urgent concerns, and the requester's list ----------------------------------------------------------------------
@router.action("transfer.urgent_called", payload=UrgentCalled, roles=REQUESTERS)
async def urgent_called(turn: Turn, services: Services, _payload: UrgentCalled) -> Reply:
    """After phoning the front door about an urgent concern: record that the written referral is due."""
    async with services.uow() as uow:
        await audit(uow, turn, "transfer.urgent_call_recorded", "person", turn.actor.object_id)
    return Reply(cards=[render_urgent_recorded(services.profile.labels.front_door)])


async def my_transfers(turn: Turn, services: Services) -> Reply:
    async with services.uow() as uow:
        mine = await uow.transfers.for_requester(turn.actor.tenant_id, turn.actor.object_id)
    open_first = [t for t in mine if t.open] + [t for t in mine if not t.open][:5]
    card = render_transfer_list("Your transfer requests", open_first, calendar_of(services), services.profile)
    return Reply(cards=[card])


@router.command("my transfers", roles=REQUESTERS, description="Your requests, their status and next deadline")
async def my_transfers_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await my_transfers(turn, services)


@router.command("my requests", roles=REQUESTERS)
async def my_requests_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await my_transfers(turn, services)


@router.action("transfer.mine", payload=ShowMyTransfers, roles=REQUESTERS)
async def my_transfers_action(turn: Turn, services: Services, _payload: ShowMyTransfers) -> Reply:
    return await my_transfers(turn, services)
