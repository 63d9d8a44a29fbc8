"""The clinic's storage rules hold in the database itself, whatever the dialogs do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.booking import BookingDetails, BookingStatus
from domain.clinic import ClinicSlot
from storage.clinic import DoubleBooking
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
            action_key="k1",
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
                action_key="k2",
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
