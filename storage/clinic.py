"""The clinic's slots, bookings, calendar changes and waiting list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.booking import ACTIVE, Booking, BookingDetails, BookingStatus, Slot, WaitlistEntry, WaitStatus
from domain.clinic import ClinicSchedule, ClinicSlot
from domain.directions import Direction
from domain.profiles import Clinic
from domain.working_days import WorkingCalendar
from storage.tables import BookingRow, ClinicDayRow, ClinicSlotRow, WaitlistRow
from storage.upsert import insert_for

_ACTIVE = [s.value for s in ACTIVE]


class DoubleBooking(Exception):
    """The case already has a booking at that clinic, or the worker already holds that slot."""


def _slot(row: ClinicSlotRow) -> Slot:
    return Slot(row.id, row.clinic_date, row.slot_index, row.starts_at, row.ends_at, row.capacity, row.booked)


def _booking(row: BookingRow, slot: ClinicSlotRow) -> Booking:
    return Booking(
        id=row.id,
        slot_id=row.slot_id,
        clinic_date=row.clinic_date,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        tenant_id=row.tenant_id,
        worker_object_id=row.worker_object_id,
        worker_name=row.worker_name,
        case_reference=row.case_reference,
        team=row.team,
        direction=Direction(row.direction),
        decision_date=row.decision_date,
        reason=row.reason,
        manager_agreed=row.manager_agreed,
        status=BookingStatus(row.status),
        version=row.version,
        calendar_event_id=row.calendar_event_id,
        hold_expires_at=row.hold_expires_at,
    )


def _entry(row: WaitlistRow) -> WaitlistEntry:
    return WaitlistEntry(
        id=row.id,
        clinic_date=row.clinic_date,
        tenant_id=row.tenant_id,
        worker_object_id=row.worker_object_id,
        worker_name=row.worker_name,
        details=BookingDetails.model_validate(row.details),
        status=WaitStatus(row.status),
        created_at=row.created_at,
    )


class ClinicRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- the calendar's changes ---------------------------------------------------------------------
    async def schedule(self, clinic: Clinic, calendar: WorkingCalendar) -> ClinicSchedule:
        """The clinic as held: the series with the coordinators' cancelled and extra dates, read once."""
        rows = list(await self._session.scalars(select(ClinicDayRow)))
        return ClinicSchedule(
            clinic=clinic,
            calendar=calendar,
            cancelled=frozenset(r.clinic_date for r in rows if r.status == "cancelled"),
            extra=frozenset(r.clinic_date for r in rows if r.status == "extra"),
        )

    async def change_day(self, clinic_date: date, status: str, reason: str, by: str, now: datetime) -> None:
        stmt = insert_for(self._session, ClinicDayRow).values(
            clinic_date=clinic_date, status=status, reason=reason, changed_by=by, changed_at=now
        )
        changed = {"status": status, "reason": reason, "changed_by": by, "changed_at": now}
        stmt = stmt.on_conflict_do_update(index_elements=["clinic_date"], set_=changed)
        await self._session.execute(stmt)

    # -- slots ----------------------------------------------------------------------------------------
    async def ensure_slots(self, slots: list[ClinicSlot]) -> None:
        """Create the slot rows of a clinic the first time anyone looks at it (idempotent)."""
        if not slots:
            return
        rows = [
            {
                "clinic_date": s.clinic_date,
                "slot_index": s.index,
                "starts_at": s.start_utc,
                "ends_at": s.end_utc,
                "capacity": s.capacity,
                "booked": 0,
            }
            for s in slots
        ]
        # One compiled statement run for many rows: compiling a multi-row VALUES per call was the hot spot.
        stmt = insert_for(self._session, ClinicSlotRow).on_conflict_do_nothing(
            index_elements=["clinic_date", "slot_index"]
        )
        await self._session.execute(stmt, rows)

    async def slots_on(self, clinic_dates: list[date]) -> list[Slot]:
        rows = await self._session.scalars(
            select(ClinicSlotRow)
            .where(ClinicSlotRow.clinic_date.in_(clinic_dates))
            .order_by(ClinicSlotRow.clinic_date, ClinicSlotRow.slot_index)
        )
        return [_slot(r) for r in rows]

    async def slot(self, slot_id: int) -> Slot | None:
        row = await self._session.get(ClinicSlotRow, slot_id)
        return _slot(row) if row else None

    async def take_seat(self, slot_id: int) -> bool:
        """One conditional statement: a seat is taken only while one is free, whatever else runs at once."""
        result = await self._session.execute(
            update(ClinicSlotRow)
            .where(ClinicSlotRow.id == slot_id, ClinicSlotRow.booked < ClinicSlotRow.capacity)
            .values(booked=ClinicSlotRow.booked + 1)
            .returning(ClinicSlotRow.id)
        )
        return result.scalar_one_or_none() is not None

    async def release_seat(self, slot_id: int) -> None:
        await self._session.execute(
            update(ClinicSlotRow)
            .where(ClinicSlotRow.id == slot_id, ClinicSlotRow.booked > 0)
            .values(booked=ClinicSlotRow.booked - 1)
        )

    # -- bookings -----------------------------------------------------------------------------------
    async def add_booking(
        self,
        *,
        slot: Slot,
        tenant_id: str,
        worker_object_id: str,
        worker_name: str,
        details: BookingDetails,
        status: BookingStatus,
        now: datetime,
        hold_expires_at: datetime | None = None,
    ) -> Booking:
        row = BookingRow(
            slot_id=slot.id,
            clinic_date=slot.clinic_date,
            tenant_id=tenant_id,
            worker_object_id=worker_object_id,
            worker_name=worker_name,
            case_reference=details.case_reference,
            team=details.team,
            direction=details.direction.value,
            decision_date=details.decision_date,
            reason=details.reason,
            manager_agreed=details.manager_agreed,
            status=status.value,
            version=1,
            calendar_event_id="",
            hold_expires_at=hold_expires_at,
            created_at=now,
            updated_at=now,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
                await self._session.flush()
        except IntegrityError as exc:
            raise DoubleBooking(str(exc.orig)[:200]) from exc
        slot_row = await self._session.get(ClinicSlotRow, slot.id)
        assert slot_row is not None
        return _booking(row, slot_row)

    async def _with_slot(self, *conditions: Any) -> list[Booking]:
        rows = await self._session.execute(
            select(BookingRow, ClinicSlotRow)
            .join(ClinicSlotRow, ClinicSlotRow.id == BookingRow.slot_id)
            .where(*conditions)
            .order_by(ClinicSlotRow.starts_at, BookingRow.id)
        )
        return [_booking(b, s) for b, s in rows]

    async def booking(self, booking_id: int) -> Booking | None:
        found = await self._with_slot(BookingRow.id == booking_id)
        return found[0] if found else None

    async def for_case(self, case_reference: str) -> list[Booking]:
        """Every booking ever made for a case reference (its history and export)."""
        return await self._with_slot(BookingRow.case_reference == case_reference)

    async def upcoming_for(self, tenant_id: str, object_id: str, from_date: date) -> list[Booking]:
        return await self._with_slot(
            BookingRow.tenant_id == tenant_id,
            BookingRow.worker_object_id == object_id,
            BookingRow.clinic_date >= from_date,
            BookingRow.status.in_(_ACTIVE),
        )

    async def on_clinic(self, clinic_date: date, *, active_only: bool = False) -> list[Booking]:
        conditions = [BookingRow.clinic_date == clinic_date]
        if active_only:
            conditions.append(BookingRow.status.in_(_ACTIVE))
        else:
            conditions.append(BookingRow.status.in_([*_ACTIVE, "discussed", "did_not_attend"]))
        return await self._with_slot(*conditions)

    async def change_status(
        self,
        booking: Booking,
        status: BookingStatus,
        now: datetime,
        *,
        expected: frozenset[BookingStatus] | None = None,
    ) -> Booking | None:
        """Move a booking on only if nobody changed it since the card was drawn; None when stale."""
        allowed = [s.value for s in (expected or ACTIVE)]
        result = await self._session.execute(
            update(BookingRow)
            .where(
                and_(
                    BookingRow.id == booking.id,
                    BookingRow.version == booking.version,
                    BookingRow.status.in_(allowed),
                )
            )
            .values(status=status.value, version=booking.version + 1, updated_at=now, hold_expires_at=None)
            .returning(BookingRow.id)
        )
        if result.scalar_one_or_none() is None:
            return None
        return await self.booking(booking.id)

    async def set_calendar_event(self, booking_id: int, event_id: str) -> None:
        await self._session.execute(
            update(BookingRow).where(BookingRow.id == booking_id).values(calendar_event_id=event_id)
        )

    # -- the waiting list -----------------------------------------------------------------------------
    async def join_waitlist(
        self,
        *,
        clinic_date: date | None,
        tenant_id: str,
        worker_object_id: str,
        worker_name: str,
        details: BookingDetails,
        now: datetime,
    ) -> WaitlistEntry:
        row = WaitlistRow(
            clinic_date=clinic_date,
            tenant_id=tenant_id,
            worker_object_id=worker_object_id,
            worker_name=worker_name,
            details=details.model_dump(mode="json"),
            status=WaitStatus.WAITING.value,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _entry(row)

    async def waiting_for(self, clinic_date: date) -> list[WaitlistEntry]:
        """Who waits for this clinic (or for the earliest one), first come first served."""
        rows = await self._session.scalars(
            select(WaitlistRow)
            .where(
                WaitlistRow.status == WaitStatus.WAITING.value,
                (WaitlistRow.clinic_date == clinic_date) | (WaitlistRow.clinic_date.is_(None)),
            )
            .order_by(WaitlistRow.created_at, WaitlistRow.id)
        )
        return [_entry(r) for r in rows]

    async def waitlist_entries(self, tenant_id: str, object_id: str) -> list[WaitlistEntry]:
        rows = await self._session.scalars(
            select(WaitlistRow).where(
                WaitlistRow.tenant_id == tenant_id,
                WaitlistRow.worker_object_id == object_id,
                WaitlistRow.status.in_([WaitStatus.WAITING.value, WaitStatus.OFFERED.value]),
            )
        )
        return [_entry(r) for r in rows]

    async def set_wait_status(
        self, entry_id: int, status: WaitStatus, now: datetime, *, offered_booking_id: int | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status.value, "updated_at": now}
        if offered_booking_id is not None:
            values["offered_booking_id"] = offered_booking_id
        await self._session.execute(update(WaitlistRow).where(WaitlistRow.id == entry_id).values(**values))

    async def entry_offered(self, booking_id: int) -> WaitlistEntry | None:
        row = await self._session.scalar(select(WaitlistRow).where(WaitlistRow.offered_booking_id == booking_id))
        return _entry(row) if row else None
