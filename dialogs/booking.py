"""Booking the step-down clinic: pick a slot, give the case details, review, confirm; move and cancel.

Confirm and cancel change things, so they are `@router.change` actions: the router runs each in one unit of
work under the action's idempotency key, and every refusal is raised, so it writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import ValidationError

from cards.booking import (
    CancelBooking,
    ConfirmBooking,
    MoveBooking,
    PickSlot,
    ReviewBooking,
    ShowClinics,
    render_booking_form,
    render_booking_review,
    render_clinic_picker,
)
from cards.booking_notices import (
    render_booked,
    render_booking_cancelled,
    render_cancel_booking,
    render_my_bookings,
    render_refusal,
)
from cards.common import render_error
from cards.elements import Json
from cards.payloads import ActionPayload
from dialogs import clinic_jobs
from dialogs.audit_trail import audit
from dialogs.booking_assessment import assessment_card
from dialogs.clinic_rules import calendar_of, next_open_clinic, open_choices, schedule_of
from dialogs.router import RefusalRecord, Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.booking import (
    ACTIVE,
    Booking,
    BookingDetails,
    BookingStatus,
    EndReason,
    Slot,
    clinic_directions,
    details_problems,
)
from domain.clinic import ClinicSchedule, late_for_standard, step_down_due
from domain.roles import Role
from domain.working_days import format_date
from storage.clinic import DoubleBooking
from storage.uow import UnitOfWork

router = Router()

BOOKERS = frozenset({Role.SOCIAL_WORKER, Role.ASSESSMENT_SOCIAL_WORKER})
FLOW = "booking"
# A review card may sit unanswered for days; older than this it is stale anyway.
DRAFT_TTL = timedelta(days=30)


class ShowMine(ActionPayload):
    pass


def no_clinic() -> Reply:
    return Reply(cards=[render_error("There is no step-down clinic", "This authority's procedure has none.")])


def _assessment_only(turn: Turn) -> bool:
    return Role.ASSESSMENT_SOCIAL_WORKER in turn.actor.roles and Role.SOCIAL_WORKER not in turn.actor.roles


async def _own(uow: UnitOfWork, turn: Turn, booking_id: int) -> Booking | None:
    """The booking, if it is this person's."""
    booking = await uow.clinic.booking(booking_id)
    if booking is None or booking.worker_object_id != turn.actor.object_id or booking.tenant_id != turn.actor.tenant_id:
        return None
    return booking


def not_yours(booking_id: int, title: str, why: str) -> Refused:
    """A refusal for acting on someone else's booking: nothing is written but the attempt, which is audited."""
    return Refused(
        Reply(cards=[render_error(title, why)]), RefusalRecord("booking.refused", "booking", str(booking_id))
    )


# -- showing the clinics ----------------------------------------------------------------------------------
async def show_clinics(turn: Turn, services: Services, moving_id: int | None) -> Reply:
    if _assessment_only(turn):
        return assessment_card(turn, services)
    # Reads, and creates the slot rows of a clinic the first time anyone looks (idempotent): not a change.
    async with services.uow() as uow:
        clinics = await schedule_of(uow, services)
        if clinics is None:
            return no_clinic()
        moving = await _own(uow, turn, moving_id) if moving_id else None
        choices = await open_choices(uow, clinics, turn.now)
    return Reply(cards=[render_clinic_picker(choices, clinics.calendar, moving=moving)])


@router.command(
    "book",
    roles=BOOKERS,
    description="Book a slot at the step-down clinic",
    title="Book the clinic",
    verb="booking.show",
)
async def book_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await show_clinics(turn, services, None)


@router.action("booking.show", payload=ShowClinics, roles=BOOKERS)
async def show_action(turn: Turn, services: Services, payload: ShowClinics) -> Reply:
    return await show_clinics(turn, services, payload.moving)


# -- the form ------------------------------------------------------------------------------------------------
async def _slot_problem(
    uow: UnitOfWork, clinics: ClinicSchedule, slot_id: int, now: datetime
) -> tuple[Slot | None, str | None]:
    """The slot, and why it can't be booked now (None when it can)."""
    slot = await uow.clinic.slot(slot_id)
    if slot is None:
        return None, "There is no such slot."
    return slot, clinics.why_not_bookable(slot.clinic_date, now)


async def _refusal(uow: UnitOfWork, clinics: ClinicSchedule | None, reason: str, now: datetime) -> Reply:
    upcoming = await next_open_clinic(uow, clinics, now)
    return Reply(cards=[render_refusal(reason, next_clinic=upcoming)])


@router.action("booking.pick", payload=PickSlot, roles=BOOKERS)
async def pick_slot(turn: Turn, services: Services, payload: PickSlot) -> Reply:
    async with services.uow() as uow:
        clinics = await schedule_of(uow, services)
        if clinics is None:
            return no_clinic()
        slot, problem = await _slot_problem(uow, clinics, payload.slot_id, turn.now)
        if problem:
            return await _refusal(uow, clinics, problem, turn.now)
        prefill: BookingDetails | None = None
        if payload.moving:
            moving = await _own(uow, turn, payload.moving)
            if moving is not None:
                prefill = moving.details()
        draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
        if prefill is None and draft is not None and "details" in draft.data:
            prefill = BookingDetails.model_validate(draft.data["details"])
    example = services.profile.case_reference_example
    form = render_booking_form(
        clinics.calendar,
        slot=slot,
        moving=payload.moving,
        prefill=prefill,
        reference_example=example,
        today=clinics.calendar.local_date(turn.now),
        directions=clinic_directions(services.profile),
    )
    return Reply(cards=[form])


def _problems_of(exc: ValidationError) -> list[str]:
    labels = {
        "case_reference": "the case reference",
        "team": "your team",
        "direction": "the direction",
        "decision_date": "the date of the decision (use the date picker)",
        "reason": "the reason",
        "manager_agreed": "your team manager's agreement",
    }
    fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
    return [f"Please check {labels.get(f, f)}." for f in fields]


def _late_warning(clinics: ClinicSchedule, slot: Slot | None, details: BookingDetails) -> str | None:
    found = clinics.held_on(slot.clinic_date) if slot is not None else None
    if found is None or not late_for_standard(clinics.clinic, details.decision_date, found):
        return None
    due = step_down_due(clinics.clinic, details.decision_date)
    return (
        f"This clinic is late for the {clinics.clinic.standard_days}-day standard, which falls due on "
        f"{format_date(due)}. You can book it and also wait for an earlier slot, or tell your team manager."
    )


# The review writes only the flow's draft (its next version), so it stays an ordinary action: a repeat draws the
# review again, and the confirm it carries is what acts once.
@router.action("booking.review", payload=ReviewBooking, roles=BOOKERS)
async def review(turn: Turn, services: Services, payload: ReviewBooking) -> Reply:
    values = {
        "case_reference": payload.case_reference,
        "team": payload.team,
        "direction": payload.direction,
        "decision_date": payload.decision_date,
        "reason": payload.reason,
        "manager_agreed": "true" if payload.manager_agreed else "false",
    }
    async with services.uow() as uow:
        clinics = await schedule_of(uow, services)
        if clinics is None:
            return no_clinic()
        calendar = clinics.calendar
        slot = None
        if payload.slot_id is not None:
            slot, problem = await _slot_problem(uow, clinics, payload.slot_id, turn.now)
            if problem:
                return await _refusal(uow, clinics, problem, turn.now)
        try:
            details = BookingDetails.model_validate({**values, "manager_agreed": payload.manager_agreed})
            problems = details_problems(
                details,
                reference_pattern=services.profile.case_reference_pattern,
                today=calendar.local_date(turn.now),
                directions=clinic_directions(services.profile),
            )
        except ValidationError as exc:
            problems = _problems_of(exc)
        if problems:
            form = render_booking_form(
                calendar,
                slot=slot,
                moving=payload.moving,
                values=values,
                problems=problems,
                reference_example=services.profile.case_reference_example,
                today=calendar.local_date(turn.now),
                directions=clinic_directions(services.profile),
            )
            return Reply(cards=[form])
        moving = await _own(uow, turn, payload.moving) if payload.moving else None
        data = {
            "slot_id": slot.id if slot else None,
            "moving": moving.id if moving else None,
            "details": details.model_dump(mode="json"),
        }
        draft = await uow.drafts.start(turn.actor.tenant_id, turn.actor.object_id, FLOW, data, turn.now, DRAFT_TTL)
    card = render_booking_review(
        details,
        calendar,
        draft_id=draft.id,
        version=draft.version,
        slot=slot,
        late_warning=_late_warning(clinics, slot, details),
        moving=moving,
    )
    return Reply(cards=[card])


# -- confirming ------------------------------------------------------------------------------------------------
@router.change("booking.confirm", payload=ConfirmBooking, roles=BOOKERS)
async def confirm(turn: Turn, services: Services, payload: ConfirmBooking, uow: UnitOfWork) -> Reply:
    clinics = await schedule_of(uow, services)
    draft = await uow.drafts.consume(payload.draft_id, payload.version, turn.now)
    if draft is None or (draft.tenant_id, draft.object_id) != (turn.actor.tenant_id, turn.actor.object_id):
        raise Refused(await _refusal(uow, clinics, "This confirmation has expired or was already used.", turn.now))
    if clinics is None:
        raise Refused(no_clinic())
    slot_id = draft.data.get("slot_id")
    if not isinstance(slot_id, int):
        raise Refused(await _refusal(uow, clinics, "Choose a slot first.", turn.now))
    details = BookingDetails.model_validate(draft.data["details"])
    slot, problem = await _slot_problem(uow, clinics, slot_id, turn.now)
    if problem or slot is None:
        raise Refused(await _refusal(uow, clinics, problem or "There is no such slot.", turn.now))
    moving = await _own(uow, turn, draft.data["moving"]) if draft.data.get("moving") else None
    if not await uow.clinic.take_seat(slot.id):
        why = "Someone booked that slot a moment ago. Choose another, or join the waiting list."
        raise Refused(await _refusal(uow, clinics, why, turn.now))
    note = ""
    # Ended in the same transaction as the new booking: if anything below fails, the old one stays.
    if moving is not None and await clinic_jobs.end_booking(
        uow, services, clinics, moving, EndReason.MOVED, turn.now, turn=turn
    ):
        note = f"Your booking on {clinics.calendar.format_when(moving.starts_at)} is cancelled."
    try:
        booking = await uow.clinic.add_booking(
            slot=slot,
            tenant_id=turn.actor.tenant_id,
            worker_object_id=turn.actor.object_id,
            worker_name=turn.actor.name,
            details=details,
            status=BookingStatus.BOOKED,
            now=turn.now,
        )
    except DoubleBooking as exc:
        why = "This case already has a booking at that clinic, or you already hold that slot."
        raise Refused(await _refusal(uow, clinics, why, turn.now)) from exc
    await audit(
        uow,
        turn,
        "booking.booked",
        "booking",
        str(booking.id),
        detail={"slot_id": slot.id, "moved_from": moving.id if moving else None},
    )
    await clinic_jobs.after_booking(uow, services, clinics, booking, turn.now)
    return Reply(cards=[render_booked(booking, clinics.calendar, join_url=services.clinic_join_url, note=note)])


# -- my bookings, cancel, move ----------------------------------------------------------------------------------
async def _my_bookings_card(uow: UnitOfWork, turn: Turn, services: Services) -> Json:
    calendar = calendar_of(services)
    bookings = await uow.clinic.upcoming_for(turn.actor.tenant_id, turn.actor.object_id, calendar.local_date(turn.now))
    waiting = await uow.clinic.waitlist_entries(turn.actor.tenant_id, turn.actor.object_id)
    return render_my_bookings(bookings, [w.clinic_date for w in waiting], calendar)


async def my_bookings(turn: Turn, services: Services) -> Reply:
    async with services.uow() as uow:
        return Reply(cards=[await _my_bookings_card(uow, turn, services)])


@router.command(
    "my bookings", roles=BOOKERS, description="See, move or cancel your clinic bookings", verb="booking.mine"
)
async def my_bookings_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await my_bookings(turn, services)


@router.action("booking.mine", payload=ShowMine, roles=BOOKERS)
async def my_bookings_action(turn: Turn, services: Services, _payload: ShowMine) -> Reply:
    return await my_bookings(turn, services)


@router.change("booking.cancel", payload=CancelBooking, roles=BOOKERS)
async def cancel(turn: Turn, services: Services, payload: CancelBooking, uow: UnitOfWork) -> Reply:
    calendar = calendar_of(services)
    booking = await _own(uow, turn, payload.record_id)
    if booking is None:
        raise not_yours(payload.record_id, "That booking isn't yours", "Only the social worker who booked can cancel.")
    if booking.status not in ACTIVE:
        raise Refused(
            Reply(cards=[render_booking_cancelled(booking, calendar, why="It was already cancelled or moved.")])
        )
    if booking.version != payload.version:
        current = render_booked(
            booking,
            calendar,
            join_url=services.clinic_join_url,
            note="This card was out of date: here is your booking now.",
        )
        raise Refused(Reply(cards=[current]))
    if not payload.confirmed:
        raise Refused(Reply(cards=[render_cancel_booking(booking, calendar)]))
    clinics = await schedule_of(uow, services)
    ended = await clinic_jobs.end_booking(uow, services, clinics, booking, EndReason.CANCELLED, turn.now, turn=turn)
    if ended is None:
        raise Refused(Reply(cards=[await _my_bookings_card(uow, turn, services)]))
    return Reply(cards=[render_booking_cancelled(ended, calendar)])


# Move only opens the picker for the new slot (the old one ends when the new one is confirmed): not a change.
@router.action("booking.move", payload=MoveBooking, roles=BOOKERS)
async def move(turn: Turn, services: Services, payload: MoveBooking) -> Reply:
    async with services.uow() as uow:
        booking = await _own(uow, turn, payload.record_id)
    if booking is None or booking.status is not BookingStatus.BOOKED:
        return await my_bookings(turn, services)
    return await show_clinics(turn, services, booking.id)


__all__ = ["FLOW", "router", "show_clinics"]
