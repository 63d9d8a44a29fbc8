"""The clinic's storage rules hold in the database itself, whatever the dialogs do."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, text

from domain.booking import BookingDetails, BookingStatus, WaitStatus
from domain.clinic import ClinicSlot
from domain.profiles import Clinic, Working
from domain.working_days import WorkingCalendar
from storage.clinic import DoubleBooking
from storage.database import create_engine
from storage.migrate import alembic_config
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)
DAY = date(2026, 12, 10)
START = datetime(2026, 12, 10, 9, 30, tzinfo=UTC)


def _details(reference: str) -> BookingDetails:
    return BookingDetails(
        case_reference=reference,
        team="Team",
        decision_date=date(2026, 11, 20),
        reason="A reason",
        manager_agreed=True,
    )


async def _slot(uow: UnitOfWorkFactory, capacity: int) -> int:
    async with uow() as work:
        await work.clinic.ensure_slots([ClinicSlot(DAY, 0, START, START + timedelta(minutes=30), capacity)])
        [slot] = await work.clinic.slots_on([DAY])
    return slot.id


async def test_one_worker_cannot_hold_the_same_slot_twice_even_with_room(uow: UnitOfWorkFactory) -> None:
    slot_id = await _slot(uow, capacity=2)
    async with uow() as work:
        slot = await work.clinic.slot(slot_id)
        assert slot is not None
        await work.clinic.add_booking(
            slot=slot,
            tenant_id="t",
            worker_object_id="w",
            worker_name="W.",
            details=_details("DEMO-0001"),
            status=BookingStatus.BOOKED,
            now=NOW,
        )
        with pytest.raises(DoubleBooking):
            await work.clinic.add_booking(
                slot=slot,
                tenant_id="t",
                worker_object_id="w",
                worker_name="W.",
                details=_details("DEMO-0002"),
                status=BookingStatus.BOOKED,
                now=NOW,
            )


async def test_seats_never_pass_capacity(uow: UnitOfWorkFactory) -> None:
    slot_id = await _slot(uow, capacity=2)
    taken = []
    for _ in range(4):
        async with uow() as work:
            taken.append(await work.clinic.take_seat(slot_id))
    assert taken == [True, True, False, False]
    async with uow() as work:
        slot = await work.clinic.slot(slot_id)
    assert slot is not None and slot.booked == 2 and slot.free == 0


async def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: {c["name"] for c in inspect(sync).get_columns(table)})
    await engine.dispose()
    return names


async def test_the_bookings_action_key_is_gone_and_its_downgrade_brings_it_back_with_the_data(
    uow: UnitOfWorkFactory, clean_database: str
) -> None:
    slot_id = await _slot(uow, capacity=1)
    async with uow() as work:
        slot = await work.clinic.slot(slot_id)
        assert slot is not None
        held = await work.clinic.add_booking(
            slot=slot,
            tenant_id="t",
            worker_object_id="w",
            worker_name="W.",
            details=_details("DEMO-0001"),
            status=BookingStatus.HELD,
            now=NOW,
        )
        entry = await work.clinic.join_waitlist(
            clinic_date=None,
            tenant_id="t",
            worker_object_id="w",
            worker_name="W.",
            details=_details("DEMO-0001"),
            now=NOW,
        )
        await work.clinic.set_wait_status(entry.id, WaitStatus.OFFERED, NOW, offered_booking_id=held.id)
    assert "action_key" not in await _columns(clean_database, "bookings")
    config = alembic_config(clean_database)
    await asyncio.to_thread(command.downgrade, config, "0004")
    try:
        assert "action_key" in await _columns(clean_database, "bookings")
        engine = create_engine(clean_database)
        async with engine.connect() as conn:
            keys = list(await conn.execute(text("SELECT id, action_key FROM bookings")))
        await engine.dispose()
        assert [tuple(k) for k in keys] == [(held.id, f"migrated:{held.id}")]
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")
    assert "action_key" not in await _columns(clean_database, "bookings")
    async with uow() as work:
        offered = await work.clinic.entry_offered(held.id)
        kept = await work.clinic.booking(held.id)
    # The waiting list still points at the seat held for it, through both rebuilds of the table.
    assert offered is not None and offered.id == entry.id
    assert kept is not None and kept.status is BookingStatus.HELD


async def test_the_schedule_carries_the_coordinators_cancelled_and_extra_days(uow: UnitOfWorkFactory) -> None:
    clinic, calendar = Clinic(anchor=date(2026, 1, 8)), WorkingCalendar.from_profile(Working())
    async with uow() as work:
        await work.clinic.change_day(DAY, "cancelled", "Training", "c", NOW)
        await work.clinic.change_day(date(2026, 12, 17), "extra", "", "c", NOW)
        await work.clinic.change_day(date(2026, 12, 24), "cancelled", "", "c", NOW)
        await work.clinic.change_day(date(2026, 12, 24), "extra", "Back on", "c", NOW)
    async with uow() as work:
        schedule = await work.clinic.schedule(clinic, calendar)
    assert (schedule.cancelled, schedule.extra) == (
        frozenset({DAY}),
        frozenset({date(2026, 12, 17), date(2026, 12, 24)}),
    )
    assert schedule.held_on(DAY) is None and schedule.held_on(date(2026, 12, 17)) is not None
