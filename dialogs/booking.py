"""Booking the step-down clinic: pick a slot, give the case details, review, confirm; move and cancel."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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
from cards.booking_notices import render_booked, render_booking_cancelled, render_my_bookings, render_refusal
from cards.common import render_error
from cards.payloads import ActionPayload
from dialogs import clinic_jobs
from dialogs.audit_trail import audit
from dialogs.booking_assessment import assessment_card
from dialogs.clinic_rules import clinic_of, find_clinic_date, next_open_clinic, open_choices
from dialogs.router import Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.booking import ACTIVE, Booking, BookingDetails, BookingStatus, details_problems
from domain.clinic import late_for_standard, step_down_due, why_not_bookable
from domain.roles import Role
from domain.working_days import WorkingCalendar, format_date
from storage.clinic import DoubleBooking
from storage.uow import UnitOfWork

router = Router()

BOOKERS = frozenset({Role.SOCIAL_WORKER, Role.ASSESSMENT_SOCIAL_WORKER})
FLOW = "booking"
# A review card may sit unanswered for days; older than this it is stale anyway.
DRAFT_TTL = timedelta(days=30)


class ShowMine(ActionPayload):
    pass


def _calendar(services: Services) -> WorkingCalendar:
    return WorkingCalendar.from_profile(services.profile.working)


def _assessment_only(turn: Turn) -> bool:
    return Role.ASSESSMENT_SOCIAL_WORKER in turn.actor.roles and Role.SOCIAL_WORKER not in turn.actor.roles


async def _own_active(uow: UnitOfWork, turn: Turn, booking_id: int) -> Booking | None:
    booking = await uow.clinic.booking(booking_id)
    if booking is None or booking.worker_object_id != turn.actor.object_id or booking.tenant_id != turn.actor.tenant_id:
        return None
    return booking


# -- showing the clinics ----------------------------------------------------------------------------------
async def show_clinics(turn: Turn, services: Services, moving_id: int | None) -> Reply:
    if _assessment_only(turn):
        return assessment_card(services)
    clinic = clinic_of(services)
    if clinic is None:
        return Reply(cards=[render_error("There is no step-down clinic", "This authority's procedure has none.")])
    calendar = _calendar(services)
    async with services.uow() as uow:
        moving = await _own_active(uow, turn, moving_id) if moving_id else None
        choices = await open_choices(uow, services, turn.now)
    return Reply(cards=[render_clinic_picker(choices, calendar, moving=moving)])


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
async def _slot_problem(uow: UnitOfWork, services: Services, slot_id: int, now: datetime) -> tuple[Any, str | None]:
    """The slot, and why it can't be booked now (None when it can)."""
    clinic = clinic_of(services)
    assert clinic is not None
    slot = await uow.clinic.slot(slot_id)
    if slot is None:
        return None, "There is no such slot."
    cancelled, extra = await uow.clinic.changes()
    if slot.clinic_date in cancelled:
        return slot, "That clinic was cancelled."
    clinic_date = find_clinic_date(services, slot.clinic_date, cancelled, extra)
    return slot, why_not_bookable(clinic, _calendar(services), clinic_date, now, cancelled)


async def _refusal(uow: UnitOfWork, services: Services, reason: str, now: datetime) -> Reply:
    upcoming = await next_open_clinic(uow, services, now)
    return Reply(cards=[render_refusal(reason, next_clinic=upcoming)])


@router.action("booking.pick", payload=PickSlot, roles=BOOKERS)
async def pick_slot(turn: Turn, services: Services, payload: PickSlot) -> Reply:
    calendar = _calendar(services)
    async with services.uow() as uow:
        slot, problem = await _slot_problem(uow, services, payload.slot_id, turn.now)
        if problem:
            return await _refusal(uow, services, problem, turn.now)
        prefill: BookingDetails | None = None
        if payload.moving:
            moving = await _own_active(uow, turn, payload.moving)
            if moving is not None:
                prefill = moving.details()
        draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
        if prefill is None and draft is not None and "details" in draft.data:
            prefill = BookingDetails.model_validate(draft.data["details"])
    example = services.profile.case_reference_example
    form = render_booking_form(calendar, slot=slot, moving=payload.moving, prefill=prefill, reference_example=example)
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


@router.action("booking.review", payload=ReviewBooking, roles=BOOKERS)
async def review(turn: Turn, services: Services, payload: ReviewBooking) -> Reply:
    calendar = _calendar(services)
    clinic = clinic_of(services)
    assert clinic is not None
    values = {
        "case_reference": payload.case_reference,
        "team": payload.team,
        "direction": payload.direction,
        "decision_date": payload.decision_date,
        "reason": payload.reason,
        "manager_agreed": "true" if payload.manager_agreed else "false",
    }
    async with services.uow() as uow:
        slot = None
        if payload.slot_id is not None:
            slot, problem = await _slot_problem(uow, services, payload.slot_id, turn.now)
            if problem:
                return await _refusal(uow, services, problem, turn.now)
        try:
            details = BookingDetails.model_validate({**values, "manager_agreed": payload.manager_agreed})
            problems = details_problems(
                details,
                reference_pattern=services.profile.case_reference_pattern,
                today=calendar.local_date(turn.now),
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
            )
            return Reply(cards=[form])
        moving = await _own_active(uow, turn, payload.moving) if payload.moving else None
        data = {
            "slot_id": slot.id if slot else None,
            "moving": moving.id if moving else None,
            "details": details.model_dump(mode="json"),
        }
        draft = await uow.drafts.start(turn.actor.tenant_id, turn.actor.object_id, FLOW, data, turn.now, DRAFT_TTL)
        late = None
        if slot is not None:
            found = find_clinic_date(services, slot.clinic_date, *await uow.clinic.changes())
            if found is not None and late_for_standard(clinic, details.decision_date, found):
                due = step_down_due(clinic, details.decision_date)
                late = (
                    f"This clinic is late for the {clinic.standard_days}-day standard, which falls due on "
                    f"{format_date(due)}. You can book it and also wait for an earlier slot, "
                    "or tell your team manager."
                )
    card = render_booking_review(
        details, calendar, draft_id=draft.id, version=draft.version, slot=slot, late_warning=late, moving=moving
    )
    return Reply(cards=[card])


# -- confirming ------------------------------------------------------------------------------------------------
def _action_key(draft_id: int, version: int) -> str:
    return f"booking-draft:{draft_id}:{version}"


@router.action("booking.confirm", payload=ConfirmBooking, roles=BOOKERS)
async def confirm(turn: Turn, services: Services, payload: ConfirmBooking) -> Reply:
    calendar = _calendar(services)
    key = _action_key(payload.draft_id, payload.version)
    join_url = services.clinic_join_url
    async with services.uow() as uow:
        draft = await uow.drafts.consume(payload.draft_id, payload.version, turn.now)
        if draft is None or draft.object_id != turn.actor.object_id:
            done = await uow.clinic.booking_by_key(key)
            if done is not None and done.worker_object_id == turn.actor.object_id:
                # A double click or a replayed invoke: the first one booked; show it again.
                return Reply(cards=[render_booked(done, calendar, join_url=join_url)])
            raise Refused(await _refusal(uow, services, "This confirmation has expired or was already used.", turn.now))
        slot_id = draft.data.get("slot_id")
        if not isinstance(slot_id, int):
            raise Refused(await _refusal(uow, services, "Choose a slot first.", turn.now))
        details = BookingDetails.model_validate(draft.data["details"])
        slot, problem = await _slot_problem(uow, services, slot_id, turn.now)
        if problem or slot is None:
            raise Refused(await _refusal(uow, services, problem or "There is no such slot.", turn.now))
        moving = await _own_active(uow, turn, draft.data["moving"]) if draft.data.get("moving") else None
        if not await uow.clinic.take_seat(slot.id):
            raise Refused(
                await _refusal(
                    uow,
                    services,
                    "Someone booked that slot a moment ago. Choose another, or join the waiting list.",
                    turn.now,
                )
            )
        note = ""
        if moving is not None:
            # Ended in the same transaction as the new booking: if anything below fails, it stays.
            await _end_booking(uow, services, turn, moving, BookingStatus.MOVED, "booking.moved")
            note = f"Your booking on {calendar.format_when(moving.starts_at)} is cancelled."
        try:
            booking = await uow.clinic.add_booking(
                slot=slot,
                tenant_id=turn.actor.tenant_id,
                worker_object_id=turn.actor.object_id,
                worker_name=turn.actor.name,
                details=details,
                status=BookingStatus.BOOKED,
                action_key=key,
                now=turn.now,
            )
        except DoubleBooking as exc:
            why = "This case already has a booking at that clinic, or you already hold that slot."
            raise Refused(await _refusal(uow, services, why, turn.now)) from exc
        await audit(
            uow,
            turn,
            "booking.booked",
            "booking",
            str(booking.id),
            detail={"slot_id": slot.id, "moved_from": moving.id if moving else None},
        )
        await clinic_jobs.after_booking(uow, services, booking, turn.now)
    return Reply(cards=[render_booked(booking, calendar, join_url=join_url, note=note)])


async def _end_booking(
    uow: UnitOfWork, services: Services, turn: Turn, booking: Booking, status: BookingStatus, action: str
) -> Booking | None:
    """Cancel or move off a booking: free its seat, offer it to the waiting list, cancel its event."""
    ended = await uow.clinic.change_status(booking, status, turn.now)
    if ended is None:
        return None
    await uow.clinic.release_seat(booking.slot_id)
    await audit(uow, turn, action, "booking", str(booking.id))
    await clinic_jobs.after_ending(uow, services, ended, turn.now)
    return ended


# -- my bookings, cancel, move ----------------------------------------------------------------------------------
async def my_bookings(turn: Turn, services: Services) -> Reply:
    calendar = _calendar(services)
    async with services.uow() as uow:
        bookings = await uow.clinic.upcoming_for(
            turn.actor.tenant_id, turn.actor.object_id, calendar.local_date(turn.now)
        )
        waiting = await uow.clinic.waitlist_entries(turn.actor.tenant_id, turn.actor.object_id)
    return Reply(cards=[render_my_bookings(bookings, [w.clinic_date for w in waiting], calendar)])


@router.command(
    "my bookings", roles=BOOKERS, description="See, move or cancel your clinic bookings", verb="booking.mine"
)
async def my_bookings_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await my_bookings(turn, services)


@router.action("booking.mine", payload=ShowMine, roles=BOOKERS)
async def my_bookings_action(turn: Turn, services: Services, _payload: ShowMine) -> Reply:
    return await my_bookings(turn, services)


@router.action("booking.cancel", payload=CancelBooking, roles=BOOKERS)
async def cancel(turn: Turn, services: Services, payload: CancelBooking) -> Reply:
    calendar = _calendar(services)
    async with services.uow() as uow:
        booking = await uow.clinic.booking(payload.record_id)
        if booking is None or booking.worker_object_id != turn.actor.object_id:
            return Reply(
                cards=[render_error("That booking isn't yours", "Only the social worker who booked can cancel.")]
            )
        if booking.status not in ACTIVE:
            return Reply(cards=[render_booking_cancelled(booking, calendar, why="It was already cancelled or moved.")])
        if booking.version != payload.version:
            return Reply(
                cards=[
                    render_booked(
                        booking,
                        calendar,
                        join_url=services.clinic_join_url,
                        note="This card was out of date: here is your booking now.",
                    )
                ]
            )
        ended = await _end_booking(uow, services, turn, booking, BookingStatus.CANCELLED, "booking.cancelled")
    if ended is None:
        return await my_bookings(turn, services)
    return Reply(cards=[render_booking_cancelled(ended, calendar)])


@router.action("booking.move", payload=MoveBooking, roles=BOOKERS)
async def move(turn: Turn, services: Services, payload: MoveBooking) -> Reply:
    async with services.uow() as uow:
        booking = await _own_active(uow, turn, payload.record_id)
    if booking is None or booking.status is not BookingStatus.BOOKED:
        return await my_bookings(turn, services)
    return await show_clinics(turn, services, booking.id)


__all__ = ["FLOW", "router", "show_clinics"]
