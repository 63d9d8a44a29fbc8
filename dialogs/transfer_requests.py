"""Making a transfer request: choose the direction, fill the card, review, submit to the receiving channel."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from cards.common import render_error
from cards.payloads import ActionPayload, form_date
from cards.transfer_card import next_deadline, render_transfer_list
from cards.transfer_forms import (
    CHECK_PREFIX,
    ReviewTransfer,
    StartTransfer,
    SubmitTransfer,
    UrgentCalled,
    render_direction_picker,
    render_transfer_sent,
    render_urgent_recorded,
    urgent_warning_block,
)
from cards.transfer_stages import STAGES, Stage, StepTransfer, render_transfer_form, render_transfer_review
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
    ConsentStatus,
    Route,
    TransferDetails,
    missing_checklist,
    receiving_channel,
    request_problems,
    routed,
    wording_for,
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
    form = _form(services, direction, values=values, booking_id=booking_id, today=today, resumed=resumed)
    return Reply(cards=[form])


def _form(
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


# -- review and submit ---------------------------------------------------------------------------------------------


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
            "on": form_date(payload.consent_on),
            "risk_reason": payload.consent_risk_reason,
            "agreed_by": payload.consent_agreed_by,
            "scopes": payload.scopes(),
        },
        "manager": {"manager": payload.manager, "decided_on": form_date(payload.manager_decided_on)},
        "checklist": payload.ticked(),
        "discussed_with": payload.discussed_with,
        "discussed_on": form_date(payload.discussed_on),
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


# Which stage of the form asks for each field, so a problem found at the review opens the stage that fixes it.
_STAGE_OF: dict[str, Stage] = {
    "consent": "consent",
    "manager": "agreement",
    "discussed_with": "agreement",
    "discussed_on": "agreement",
    "checklist": "agreement",
}


def _stage_for(fields: list[str], problems: list[str]) -> Stage:
    stages = [_STAGE_OF.get(f, "case") for f in fields]
    for problem in problems:
        words = problem.lower()
        if "consent" in words:
            stages.append("consent")
        elif "manager" in words or "discussion" in words or "checklist" in words:
            stages.append("agreement")
        else:
            stages.append("case")
    return min(stages, key=STAGES.index) if stages else "case"


async def _reviewed(turn: Turn, services: Services, payload: ReviewTransfer, values: dict[str, Any]) -> Reply:
    """Everything checked at once: the review card, or the stage where the first problem is, saying what."""
    if payload.direction not in directions_for(turn, services):
        return Reply(cards=[render_error("You can't ask for that", "Your roles don't make that kind of request.")])
    calendar = calendar_of(services)
    today = calendar.local_date(turn.now)
    fields: list[str] = []
    try:
        details = routed(TransferDetails.model_validate(details_from(payload)), services.profile)
        problems = request_problems(details, services.profile, today=today)
    except ValidationError as exc:
        problems = _problems_of(exc)
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
    if problems:
        stage = _stage_for(fields, problems)
        form = _form(
            services,
            payload.direction,
            values=values,
            problems=problems,
            booking_id=payload.booking_id,
            stage=stage,
            today=today,
        )
        return Reply(cards=[form])
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


@router.action("transfer.review", payload=ReviewTransfer, roles=REQUESTERS)
async def review(turn: Turn, services: Services, payload: ReviewTransfer) -> Reply:
    """Every input at once (a card from before the form came in stages)."""
    return await _reviewed(turn, services, payload, payload.model_dump(exclude={"verb", "v"}))


def _sent(payload: StepTransfer) -> dict[str, Any]:
    """What this stage's card sent: its inputs and toggles, not the step's own fields."""
    sent = payload.model_dump(exclude_unset=True, exclude={"verb", "v", "stage", "go"})
    return {**sent, **(payload.model_extra or {})}


@router.action("transfer.step", payload=StepTransfer, roles=REQUESTERS)
async def step(turn: Turn, services: Services, payload: StepTransfer) -> Reply:
    """Next, Back or Review on a stage: what it sent joins the draft, then the stage asked for (or the review)."""
    if payload.direction not in directions_for(turn, services):
        return Reply(cards=[render_error("You can't ask for that", "Your roles don't make that kind of request.")])
    async with services.uow() as uow:
        draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
        kept = {k: v for k, v in (draft.data if draft else {}).items() if k != "details"}
        if kept.get("direction") not in (None, payload.direction.value):
            kept = {}  # an unfinished request for another direction is not this one
        sent = _sent(payload)
        if payload.start_again:
            kept, sent = {}, {}  # "Start again": nothing of the earlier request stays
        values = {**kept, **sent, "direction": payload.direction.value, "booking_id": payload.booking_id}
        await uow.drafts.start(turn.actor.tenant_id, turn.actor.object_id, FLOW, values, turn.now, DRAFT_TTL)
    today = calendar_of(services).local_date(turn.now)
    if payload.go == "review":
        known = {k: v for k, v in values.items() if k in ReviewTransfer.model_fields or k.startswith(CHECK_PREFIX)}
        try:
            full = ReviewTransfer.model_validate({**known, "verb": "transfer.review"})
        except ValidationError as exc:
            problems = _problems_of(exc)
            return Reply(cards=[_form(services, payload.direction, values=values, problems=problems, today=today)])
        return await _reviewed(turn, services, full, values)
    today = calendar_of(services).local_date(turn.now)
    form = _form(
        services, payload.direction, values=values, booking_id=payload.booking_id, stage=payload.go, today=today
    )
    return Reply(cards=[form])


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
                        f"No channel is set for {_channel_title(sent.channel_key, services)}.",
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
        sent_to=_channel_title(sent.channel_key, services),
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
