"""For the coordinators: the clinic agenda (by command and posted before each clinic), reasons, attendance,
and changing the clinic calendar (marking attendance and each change are `@router.change` actions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cards.clinic_agenda import (
    ChangeClinicDay,
    MarkAttendance,
    ShowAgenda,
    StartClinicChange,
    ViewReason,
    render_agenda,
    render_clinic_cancelled_notice,
    render_clinic_change_form,
    render_clinic_changed,
    render_reason,
)
from cards.common import render_error
from cards.elements import Json
from dialogs import clinic_jobs
from dialogs.audit_trail import audit
from dialogs.clinic_rules import calendar_of, schedule_of
from dialogs.jobs import job
from dialogs.notices import notify_person, post_to_conversation
from dialogs.router import Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.booking import BookingStatus, EndReason
from domain.clinic import ClinicSchedule
from domain.roles import Role
from storage.uow import UnitOfWork

router = Router()

COORDINATORS = frozenset({Role.COORDINATOR})


async def agenda_card(uow: UnitOfWork, clinics: ClinicSchedule, now: datetime, day: date) -> Json:
    bookings = await uow.clinic.on_clinic(day)
    started, cancelled = clinics.has_started(day, now), clinics.is_cancelled(day)
    return render_agenda(day, bookings, clinics.calendar, can_mark=started, cancelled=cancelled)


async def show_agenda(turn: Turn, services: Services, wanted: date | None) -> Reply:
    """The clinic asked for, else today's clinic if one is on, else the next one."""
    async with services.uow() as uow:
        clinics = await schedule_of(uow, services)
        day = wanted or (clinics.clinic_for_agenda(turn.now) if clinics else None)
        if clinics is None or day is None:
            return Reply(cards=[render_error("There is no clinic", "No clinic is planned.")])
        return Reply(cards=[await agenda_card(uow, clinics, turn.now, day)])


@router.command(
    "agenda", roles=COORDINATORS, description="See the next step-down clinic's agenda", verb="clinic.agenda"
)
async def agenda_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await show_agenda(turn, services, None)


@router.action("clinic.agenda", payload=ShowAgenda, roles=COORDINATORS)
async def agenda_action(turn: Turn, services: Services, payload: ShowAgenda) -> Reply:
    return await show_agenda(turn, services, payload.clinic_date)


# A view, not a change: every opening is audited, a repeat too, so it stays an ordinary action.
@router.action("booking.reason", payload=ViewReason, roles=COORDINATORS)
async def view_reason(turn: Turn, services: Services, payload: ViewReason) -> Reply:
    """The reason opens on demand, for coordinators only, and the view is audited."""
    async with services.uow() as uow:
        booking = await uow.clinic.booking(payload.record_id)
        if booking is None:
            return Reply(cards=[render_error("No such booking", "It may have been removed.")])
        await audit(uow, turn, "booking.reason_viewed", "booking", str(booking.id))
    return Reply(cards=[render_reason(booking, calendar_of(services))])


def _refused(title: str, why: str) -> Refused:
    return Refused(Reply(cards=[render_error(title, why)]))


@router.change("booking.mark", payload=MarkAttendance, roles=COORDINATORS)
async def mark(turn: Turn, services: Services, payload: MarkAttendance, uow: UnitOfWork) -> Reply:
    if not payload.attended_outcome():
        raise _refused("That isn't an attendance", "Mark discussed or did not attend.")
    booking = await uow.clinic.booking(payload.record_id)
    if booking is None:
        raise _refused("No such booking", "It may have been removed.")
    clinics = await schedule_of(uow, services)
    if clinics is None or clinics.is_cancelled(booking.clinic_date):
        raise _refused("That clinic was cancelled", "There is no attendance to mark.")
    if not clinics.has_started(booking.clinic_date, turn.now):
        raise _refused("The clinic hasn't started", "Mark attendance once it has.")
    changed = None
    if booking.version == payload.version and booking.status is BookingStatus.BOOKED:
        changed = await uow.clinic.change_status(
            booking, payload.outcome, turn.now, expected=frozenset({BookingStatus.BOOKED})
        )
    if changed is None:
        # A stale card (someone marked it first): the agenda as it now stands, and nothing written.
        raise Refused(Reply(cards=[await agenda_card(uow, clinics, turn.now, booking.clinic_date)]))
    await audit(uow, turn, f"booking.{payload.outcome.value}", "booking", str(booking.id))
    return Reply(cards=[await agenda_card(uow, clinics, turn.now, booking.clinic_date)])


# -- changing the calendar -------------------------------------------------------------------------------
@router.command(
    "change clinic", roles=COORDINATORS, description="Cancel a clinic date or add an extra one", verb="clinic.change"
)
async def change_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await _change_form(turn, services)


@router.action("clinic.change", payload=StartClinicChange, roles=COORDINATORS)
async def change_action(turn: Turn, services: Services, _payload: StartClinicChange) -> Reply:
    return await _change_form(turn, services)


async def _change_form(turn: Turn, services: Services) -> Reply:
    async with services.uow() as uow:
        clinics = await schedule_of(uow, services)
    return Reply(cards=[_change_form_card(clinics, turn, None)])


def _change_form_card(clinics: ClinicSchedule | None, turn: Turn, problems: list[str] | None) -> Json:
    upcoming = [c.actual for c in clinics.next_clinics(turn.now, 4)] if clinics else []
    return render_clinic_change_form(upcoming, drawn_at=turn.now, problems=problems)


def _form_problem(clinics: ClinicSchedule | None, turn: Turn, problem: str) -> Refused:
    """The form again with the problem named; nothing written."""
    return Refused(Reply(cards=[_change_form_card(clinics, turn, [problem])]))


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@router.change("clinic.cancel", payload=ChangeClinicDay, roles=COORDINATORS)
async def cancel_clinic(turn: Turn, services: Services, payload: ChangeClinicDay, uow: UnitOfWork) -> Reply:
    clinics = await schedule_of(uow, services)
    day = _parse_day(payload.clinic_date)
    calendar = calendar_of(services)
    reason = payload.reason.strip()
    if day is None or day < calendar.local_date(turn.now):
        raise _form_problem(clinics, turn, "Choose a clinic date that is still ahead.")
    if len(reason) < 3:
        raise _form_problem(clinics, turn, "Give a reason: the booked social workers will see it.")
    if clinics is None or clinics.held_on(day) is None:
        raise _form_problem(clinics, turn, "There is no clinic on that date.")
    await uow.clinic.change_day(day, "cancelled", reason, turn.actor.object_id, turn.now)
    # From here on the clinic is cancelled: its freed seats are offered to nobody.
    clinics = clinics.cancel(day)
    told = 0
    for booking in await uow.clinic.on_clinic(day, active_only=True):
        ended = await clinic_jobs.end_booking(
            uow, services, clinics, booking, EndReason.CLINIC_CANCELLED, turn.now, turn=turn
        )
        if ended is None:
            continue
        await notify_person(
            uow,
            tenant_id=booking.tenant_id,
            object_id=booking.worker_object_id,
            card=render_clinic_cancelled_notice(
                booking, calendar, reason=reason, still_waiting=booking.status is BookingStatus.HELD
            ),
            now=turn.now,
            summary="Your step-down clinic was cancelled",
        )
        told += 1
    await audit(uow, turn, "clinic.cancelled", "clinic", day.isoformat(), detail={"bookings_told": told})
    return Reply(cards=[render_clinic_changed(day, cancelled=True, told=told)])


@router.change("clinic.add", payload=ChangeClinicDay, roles=COORDINATORS)
async def add_clinic(turn: Turn, services: Services, payload: ChangeClinicDay, uow: UnitOfWork) -> Reply:
    day = _parse_day(payload.clinic_date)
    calendar = calendar_of(services)
    if day is None or day <= calendar.local_date(turn.now) or not calendar.is_working_day(day):
        raise _form_problem(await schedule_of(uow, services), turn, "Choose a working day that is still ahead.")
    await uow.clinic.change_day(day, "extra", payload.reason.strip(), turn.actor.object_id, turn.now)
    await audit(uow, turn, "clinic.added", "clinic", day.isoformat())
    return Reply(cards=[render_clinic_changed(day, cancelled=False, told=0)])


# -- the agenda posted before each clinic -------------------------------------------------------------------
@job("clinic.agenda")
async def post_agenda(services: Services, payload: dict[str, Any], now: datetime) -> None:
    channel = services.channels.get("coordinators")
    if not channel:
        return
    day = date.fromisoformat(str(payload["clinic_date"]))
    async with services.uow() as uow:
        clinics = await schedule_of(uow, services)
        if clinics is None or clinics.is_cancelled(day):
            return
        card = await agenda_card(uow, clinics, now, day)
        await post_to_conversation(
            uow,
            conversation_id=channel,
            card=card,
            now=now,
            dedupe_key=f"clinic:{day.isoformat()}:agenda-post",
            summary="Step-down clinic agenda",
        )
