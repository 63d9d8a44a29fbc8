"""What follows a booking being made or ended: reminders, the agenda, calendar events, waiting-list offers.

`end_booking` is the one way a booking ends, whoever ends it; what it sets off runs later as outbox jobs.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cards.booking_notices import render_booking_cancelled, render_clinic_reminder, render_waitlist_offer
from dialogs.audit_trail import audit, audit_system
from dialogs.clinic_rules import calendar_of, clinic_of, schedule_of
from dialogs.jobs import job
from dialogs.notices import notify_person
from dialogs.turn import Services, Turn
from domain.booking import ENDINGS, Booking, BookingStatus, EndReason, WaitStatus
from domain.clinic import ClinicSchedule
from domain.messaging import OutboxKind, OutboxMessage
from storage.clinic import DoubleBooking
from storage.uow import UnitOfWork


async def schedule(
    uow: UnitOfWork, name: str, payload: dict[str, Any], due_at: datetime, now: datetime, key: str | None = None
) -> None:
    await uow.outbox.add(
        OutboxMessage(kind=OutboxKind.JOB, payload={"job": name, **payload}, due_at=due_at, dedupe_key=key), now
    )


def reminder_due(services: Services, booking: Booking) -> datetime:
    """The working day before the clinic, at the start of the reminder window (9am by default)."""
    clinic = clinic_of(services)
    calendar = calendar_of(services)
    days = clinic.reminder_working_days_before if clinic else 1
    day = calendar.working_days_before(booking.clinic_date, days)
    return calendar.to_utc(datetime.combine(day, services.profile.working.reminder_window_start))


async def after_booking(
    uow: UnitOfWork, services: Services, clinics: ClinicSchedule, booking: Booking, now: datetime
) -> None:
    """A confirmed booking: remind the worker, make sure the agenda goes out, put it in their calendar."""
    await schedule(
        uow,
        "booking.remind",
        {"booking_id": booking.id},
        max(now, reminder_due(services, booking)),
        now,
        key=f"booking:{booking.id}:reminder",
    )
    found = clinics.held_on(booking.clinic_date)
    if found is not None:
        due = max(now, clinics.starts_at(found) - timedelta(hours=clinics.clinic.agenda_hours_before))
        await schedule(
            uow,
            "clinic.agenda",
            {"clinic_date": booking.clinic_date.isoformat()},
            due,
            now,
            key=f"clinic:{booking.clinic_date.isoformat()}:agenda",
        )
    if services.calendar is not None:
        await schedule(uow, "booking.calendar", {"booking_id": booking.id}, now, now, key=f"booking:{booking.id}:event")


async def end_booking(
    uow: UnitOfWork,
    services: Services,
    clinics: ClinicSchedule | None,
    booking: Booking,
    why: EndReason,
    now: datetime,
    *,
    turn: Turn | None = None,
) -> Booking | None:
    """End a booking, or a seat held for the waiting list, the one way: free its seat, settle the waiting-list
    entry it was offered to, audit it (as `turn`'s person, or the bot's when None), cancel its Outlook event,
    and offer the seat to the next person waiting, but only while its clinic is still held and ahead.

    `clinics` must already include any change this use case made (a clinic just cancelled is `.cancel(day)`).
    None when the booking had changed meanwhile: then nothing was done.
    """
    ending = ENDINGS[why]
    ended = await uow.clinic.change_status(booking, ending.status, now, expected=ending.ends)
    if ended is None:
        return None
    await uow.clinic.release_seat(booking.slot_id)
    if booking.status is BookingStatus.HELD and ending.entry is not None:
        entry = await uow.clinic.entry_offered(booking.id)
        if entry is not None and entry.status is WaitStatus.OFFERED:
            await uow.clinic.set_wait_status(entry.id, ending.entry, now)
    detail = {"slot_id": booking.slot_id}
    if turn is not None:
        await audit(uow, turn, ending.audit, "booking", str(booking.id), detail=detail)
    else:
        await audit_system(uow, now, booking.tenant_id, ending.audit, "booking", str(booking.id), detail)
    if services.calendar is not None:
        await schedule(
            uow, "booking.calendar", {"booking_id": ended.id}, now, now, key=f"booking:{ended.id}:event-cancel"
        )
    if clinics is not None and clinics.takes_offers(booking.clinic_date, now):
        await _offer_freed_seat(uow, services, clinics, booking.slot_id, now)
    return ended


async def _offer_freed_seat(
    uow: UnitOfWork, services: Services, clinics: ClinicSchedule, slot_id: int, now: datetime
) -> Booking | None:
    """Hold the freed seat for the first person waiting and send them an offer; the hold ends by a job."""
    slot = await uow.clinic.slot(slot_id)
    if slot is None or slot.free == 0 or slot.starts_at <= now:
        return None
    hold = timedelta(hours=clinics.clinic.waitlist_hold_hours)
    expires = min(now + hold, slot.starts_at)
    for entry in await uow.clinic.waiting_for(slot.clinic_date):
        if not await uow.clinic.take_seat(slot.id):
            return None
        try:
            held = await uow.clinic.add_booking(
                slot=slot,
                tenant_id=entry.tenant_id,
                worker_object_id=entry.worker_object_id,
                worker_name=entry.worker_name,
                details=entry.details,
                status=BookingStatus.HELD,
                now=now,
                hold_expires_at=expires,
            )
        except DoubleBooking:
            await uow.clinic.release_seat(slot.id)
            continue
        await uow.clinic.set_wait_status(entry.id, WaitStatus.OFFERED, now, offered_booking_id=held.id)
        await notify_person(
            uow,
            tenant_id=entry.tenant_id,
            object_id=entry.worker_object_id,
            card=render_waitlist_offer(held, clinics.calendar, hold_until=clinics.calendar.format_when(expires)),
            now=now,
            summary="A step-down clinic slot is free for you",
        )
        await schedule(uow, "booking.hold_expiry", {"booking_id": held.id, "version": held.version}, expires, now)
        await audit_system(
            uow, now, entry.tenant_id, "booking.offered", "booking", str(held.id), {"waitlist_id": entry.id}
        )
        return held
    return None


# -- the jobs ------------------------------------------------------------------------------------------------
@job("booking.remind")
async def remind(services: Services, payload: dict[str, Any], now: datetime) -> None:
    async with services.uow() as uow:
        booking = await uow.clinic.booking(int(payload["booking_id"]))
        if booking is None or booking.status is not BookingStatus.BOOKED or booking.starts_at <= now:
            return
        await notify_person(
            uow,
            tenant_id=booking.tenant_id,
            object_id=booking.worker_object_id,
            card=render_clinic_reminder(booking, calendar_of(services), join_url=services.clinic_join_url),
            now=now,
            dedupe_key=f"booking:{booking.id}:reminder-card",
            summary=f"Step-down clinic reminder: {booking.case_reference}",
        )


@job("booking.hold_expiry")
async def hold_expiry(services: Services, payload: dict[str, Any], now: datetime) -> None:
    """A held slot nobody took: end the hold, tell them, and the seat goes to the next person waiting."""
    async with services.uow() as uow:
        held = await uow.clinic.booking(int(payload["booking_id"]))
        if held is None or held.status is not BookingStatus.HELD or held.version != int(payload["version"]):
            return
        clinics = await schedule_of(uow, services)
        ended = await end_booking(uow, services, clinics, held, EndReason.HOLD_EXPIRED, now)
        if ended is None:
            return
        await notify_person(
            uow,
            tenant_id=held.tenant_id,
            object_id=held.worker_object_id,
            card=render_booking_cancelled(
                ended, calendar_of(services), why="The slot held for you was not taken in time."
            ),
            now=now,
        )


@job("booking.calendar")
async def sync_calendar(services: Services, payload: dict[str, Any], now: datetime) -> None:
    """Create the worker's Outlook event for a booking, or cancel it when the booking ended."""
    if services.calendar is None:
        return
    async with services.uow() as uow:
        booking = await uow.clinic.booking(int(payload["booking_id"]))
    if booking is None:
        return
    if booking.status is BookingStatus.BOOKED and not booking.calendar_event_id:
        event_id = await services.calendar.create_event(
            attendee_object_id=booking.worker_object_id,
            subject=f"Step-down clinic: {booking.case_reference}",
            start=booking.starts_at,
            end=booking.ends_at,
            join_url=services.clinic_join_url,
        )
        async with services.uow() as uow:
            await uow.clinic.set_calendar_event(booking.id, event_id)
    elif not booking.active and booking.calendar_event_id:
        await services.calendar.cancel_event(booking.calendar_event_id, comment="The clinic booking was cancelled.")
        async with services.uow() as uow:
            await uow.clinic.set_calendar_event(booking.id, "")
