"""For the coordinators: the clinic agenda (by command and posted before each clinic), reasons, attendance,
and changing the clinic calendar."""

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
from dialogs import clinic_jobs
from dialogs.audit_trail import audit
from dialogs.clinic_rules import calendar_of, clinic_of, find_clinic_date
from dialogs.jobs import job
from dialogs.notices import notify_person, post_to_conversation
from dialogs.router import Router
from dialogs.turn import Reply, Services, Turn
from domain.booking import BookingStatus
from domain.clinic import clinic_dates, clinic_starts_at, next_clinics
from domain.roles import Role
from storage.uow import UnitOfWork

router = Router()

COORDINATORS = frozenset({Role.COORDINATOR})


async def _agenda_day(uow: UnitOfWork, services: Services, now: datetime, wanted: date | None) -> date | None:
    """The clinic asked for, else today's clinic if one is on, else the next one."""
    if wanted is not None:
        return wanted
    clinic = clinic_of(services)
    if clinic is None:
        return None
    calendar = calendar_of(services)
    cancelled, extra = await uow.clinic.changes()
    today = calendar.local_date(now)
    for found in clinic_dates(clinic, calendar, today, today, cancelled=cancelled, extra=extra):
        return found.actual
    upcoming = next_clinics(clinic, calendar, now, 1, cancelled=cancelled, extra=extra)
    if upcoming:
        return upcoming[0].actual
    later = clinic_dates(clinic, calendar, today, today.replace(year=today.year + 1), cancelled=cancelled, extra=extra)
    return later[0].actual if later else None


async def agenda_card(uow: UnitOfWork, services: Services, now: datetime, day: date) -> dict[str, Any]:
    clinic = clinic_of(services)
    calendar = calendar_of(services)
    cancelled, extra = await uow.clinic.changes()
    found = find_clinic_date(services, day, cancelled, extra)
    started = bool(clinic and found and now >= clinic_starts_at(clinic, calendar, found))
    bookings = await uow.clinic.on_clinic(day)
    return render_agenda(day, bookings, calendar, can_mark=started, cancelled=day in cancelled)


async def show_agenda(turn: Turn, services: Services, wanted: date | None) -> Reply:
    async with services.uow() as uow:
        day = await _agenda_day(uow, services, turn.now, wanted)
        if day is None:
            return Reply(cards=[render_error("There is no clinic", "No clinic is planned.")])
        return Reply(cards=[await agenda_card(uow, services, turn.now, day)])


@router.command(
    "agenda", roles=COORDINATORS, description="See the next step-down clinic's agenda", verb="clinic.agenda"
)
async def agenda_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await show_agenda(turn, services, None)


@router.action("clinic.agenda", payload=ShowAgenda, roles=COORDINATORS)
async def agenda_action(turn: Turn, services: Services, payload: ShowAgenda) -> Reply:
    return await show_agenda(turn, services, payload.clinic_date)


@router.action("booking.reason", payload=ViewReason, roles=COORDINATORS)
async def view_reason(turn: Turn, services: Services, payload: ViewReason) -> Reply:
    """The reason opens on demand, for coordinators only, and the view is audited."""
    async with services.uow() as uow:
        booking = await uow.clinic.booking(payload.record_id)
        if booking is None:
            return Reply(cards=[render_error("No such booking", "It may have been removed.")])
        await audit(uow, turn, "booking.reason_viewed", "booking", str(booking.id))
    return Reply(cards=[render_reason(booking, calendar_of(services))])


@router.action("booking.mark", payload=MarkAttendance, roles=COORDINATORS)
async def mark(turn: Turn, services: Services, payload: MarkAttendance) -> Reply:
    if not payload.attended_outcome():
        return Reply(cards=[render_error("That isn't an attendance", "Mark discussed or did not attend.")])
    clinic = clinic_of(services)
    calendar = calendar_of(services)
    async with services.uow() as uow:
        booking = await uow.clinic.booking(payload.record_id)
        if booking is None:
            return Reply(cards=[render_error("No such booking", "It may have been removed.")])
        found = find_clinic_date(services, booking.clinic_date, *await uow.clinic.changes())
        if clinic is None or found is None or turn.now < clinic_starts_at(clinic, calendar, found):
            return Reply(cards=[render_error("The clinic hasn't started", "Mark attendance once it has.")])
        if booking.version == payload.version and booking.status is BookingStatus.BOOKED:
            changed = await uow.clinic.change_status(
                booking, payload.outcome, turn.now, expected=frozenset({BookingStatus.BOOKED})
            )
            if changed is not None:
                await audit(uow, turn, f"booking.{payload.outcome.value}", "booking", str(booking.id))
        # Stale, double-clicked or fresh: everyone gets the agenda as it now stands.
        return Reply(cards=[await agenda_card(uow, services, turn.now, booking.clinic_date)])


# -- changing the calendar -------------------------------------------------------------------------------
@router.command(
    "change clinic", roles=COORDINATORS, description="Cancel a clinic date or add an extra one", verb="clinic.change"
)
async def change_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await _change_form(turn, services, None)


@router.action("clinic.change", payload=StartClinicChange, roles=COORDINATORS)
async def change_action(turn: Turn, services: Services, _payload: StartClinicChange) -> Reply:
    return await _change_form(turn, services, None)


async def _change_form(turn: Turn, services: Services, problems: list[str] | None) -> Reply:
    clinic = clinic_of(services)
    upcoming: list[date] = []
    if clinic is not None:
        async with services.uow() as uow:
            cancelled, extra = await uow.clinic.changes()
        found = next_clinics(clinic, calendar_of(services), turn.now, 4, cancelled=cancelled, extra=extra)
        upcoming = [c.actual for c in found]
    return Reply(cards=[render_clinic_change_form(upcoming, problems=problems)])


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@router.action("clinic.cancel", payload=ChangeClinicDay, roles=COORDINATORS)
async def cancel_clinic(turn: Turn, services: Services, payload: ChangeClinicDay) -> Reply:
    day = _parse_day(payload.clinic_date)
    calendar = calendar_of(services)
    if day is None or day < calendar.local_date(turn.now):
        return await _change_form(turn, services, ["Choose a clinic date that is still ahead."])
    if len(payload.reason.strip()) < 3:
        return await _change_form(turn, services, ["Give a reason: the booked social workers will see it."])
    async with services.uow() as uow:
        cancelled, extra = await uow.clinic.changes()
        if find_clinic_date(services, day, cancelled, extra) is None:
            return await _change_form(turn, services, ["There is no clinic on that date."])
        await uow.clinic.change_day(day, "cancelled", payload.reason.strip(), turn.actor.object_id, turn.now)
        told = 0
        for booking in await uow.clinic.on_clinic(day, active_only=True):
            ended = await uow.clinic.change_status(booking, BookingStatus.CLINIC_CANCELLED, turn.now)
            if ended is None:
                continue
            await uow.clinic.release_seat(booking.slot_id)
            await clinic_jobs.after_ending(uow, services, ended, turn.now)
            await notify_person(
                uow,
                tenant_id=booking.tenant_id,
                object_id=booking.worker_object_id,
                card=render_clinic_cancelled_notice(booking, calendar, reason=payload.reason.strip()),
                now=turn.now,
                summary="Your step-down clinic was cancelled",
            )
            told += 1
        await audit(uow, turn, "clinic.cancelled", "clinic", day.isoformat(), detail={"bookings_told": told})
    return Reply(cards=[render_clinic_changed(day, cancelled=True, told=told)])


@router.action("clinic.add", payload=ChangeClinicDay, roles=COORDINATORS)
async def add_clinic(turn: Turn, services: Services, payload: ChangeClinicDay) -> Reply:
    day = _parse_day(payload.clinic_date)
    calendar = calendar_of(services)
    if day is None or day <= calendar.local_date(turn.now) or not calendar.is_working_day(day):
        return await _change_form(turn, services, ["Choose a working day that is still ahead."])
    async with services.uow() as uow:
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
        cancelled, _extra = await uow.clinic.changes()
        if day in cancelled:
            return
        card = await agenda_card(uow, services, now, day)
        await post_to_conversation(
            uow,
            conversation_id=channel,
            card=card,
            now=now,
            dedupe_key=f"clinic:{day.isoformat()}:agenda-post",
            summary="Step-down clinic agenda",
        )
