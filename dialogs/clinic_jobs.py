"""What follows a booking through the outbox: reminders, the agenda, calendar events, waiting-list offers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cards.booking_notices import render_booking_cancelled, render_clinic_reminder, render_waitlist_offer
from dialogs.audit_trail import audit_system
from dialogs.clinic_rules import calendar_of, clinic_of, find_clinic_date
from dialogs.jobs import job
from dialogs.notices import notify_person
from dialogs.turn import Services
from domain.booking import Booking, BookingStatus, WaitStatus
from domain.clinic import clinic_starts_at
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


async def after_booking(uow: UnitOfWork, services: Services, booking: Booking, now: datetime) -> None:
    """A confirmed booking: remind the worker, make sure the agenda goes out, put it in their calendar."""
    await schedule(
        uow,
        "booking.remind",
        {"booking_id": booking.id},
        max(now, reminder_due(services, booking)),
        now,
        key=f"booking:{booking.id}:reminder",
    )
    clinic = clinic_of(services)
    if clinic is not None:
        found = find_clinic_date(services, booking.clinic_date, *await uow.clinic.changes())
        if found is not None:
            starts = clinic_starts_at(clinic, calendar_of(services), found)
            due = max(now, starts - timedelta(hours=clinic.agenda_hours_before))
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


async def after_ending(uow: UnitOfWork, services: Services, ended: Booking, now: datetime) -> None:
    """A booking cancelled or moved off: cancel its event, and offer the freed seat to the waiting list."""
    if services.calendar is not None:
        await schedule(
            uow, "booking.calendar", {"booking_id": ended.id}, now, now, key=f"booking:{ended.id}:event-cancel"
        )
    await offer_freed_seat(uow, services, ended.slot_id, now)


async def offer_freed_seat(uow: UnitOfWork, services: Services, slot_id: int, now: datetime) -> Booking | None:
    """Hold the freed seat for the first person waiting and send them an offer; the hold ends by a job."""
    clinic = clinic_of(services)
    slot = await uow.clinic.slot(slot_id)
    if clinic is None or slot is None or slot.free == 0 or slot.starts_at <= now:
        return None
    hold = timedelta(hours=clinic.waitlist_hold_hours)
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
                action_key=f"waitlist:{entry.id}:slot:{slot.id}:{int(now.timestamp())}",
                now=now,
                hold_expires_at=expires,
            )
        except DoubleBooking:
            await uow.clinic.release_seat(slot.id)
            continue
        await uow.clinic.set_wait_status(entry.id, WaitStatus.OFFERED, now, offered_booking_id=held.id)
        calendar = calendar_of(services)
        await notify_person(
            uow,
            tenant_id=entry.tenant_id,
            object_id=entry.worker_object_id,
            card=render_waitlist_offer(held, calendar, hold_until=calendar.format_when(expires)),
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
    """A held slot nobody took: free it and offer it to the next person waiting."""
    async with services.uow() as uow:
        held = await uow.clinic.booking(int(payload["booking_id"]))
        if held is None or held.status is not BookingStatus.HELD or held.version != int(payload["version"]):
            return
        ended = await uow.clinic.change_status(
            held, BookingStatus.CANCELLED, now, expected=frozenset({BookingStatus.HELD})
        )
        if ended is None:
            return
        await uow.clinic.release_seat(held.slot_id)
        entry = await uow.clinic.entry_offered(held.id)
        if entry is not None:
            await uow.clinic.set_wait_status(entry.id, WaitStatus.EXPIRED, now)
        await audit_system(uow, now, held.tenant_id, "booking.hold_expired", "booking", str(held.id))
        await notify_person(
            uow,
            tenant_id=held.tenant_id,
            object_id=held.worker_object_id,
            card=render_booking_cancelled(
                ended, calendar_of(services), why="The slot held for you was not taken in time."
            ),
            now=now,
        )
        await offer_freed_seat(uow, services, held.slot_id, now)


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
