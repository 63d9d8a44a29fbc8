"""How bookings end and where their seats go: offers to the waiting list, declined, run out, and cancelled clinics."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from storage.tables import AuditEventRow, BookingRow, WaitlistRow
from tests.conftest import COORDINATOR, COORDINATORS_CHANNEL, SOCIAL_WORKER, SOCIAL_WORKERS, BotUnderTest
from tests.harness.cardwalk import button, shown_text
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import GOOD_DETAILS, book, delivered, join_waitlist, press

WAITING = SOCIAL_WORKER
NEXT_WAITING = SOCIAL_WORKERS[20]


async def _bookings_of(bot: BotUnderTest, person: Person) -> list[tuple[str, str]]:
    """(clinic date, status) of each of the person's bookings, oldest first."""
    async with bot.runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(BookingRow).where(BookingRow.worker_object_id == person.object_id).order_by(BookingRow.id)
        )
        return [(r.clinic_date.isoformat(), r.status) for r in rows]


async def _place_of(bot: BotUnderTest, person: Person) -> str:
    async with bot.runtime.services.uow() as uow:
        [entry] = list(
            await uow.session.scalars(select(WaitlistRow).where(WaitlistRow.worker_object_id == person.object_id))
        )
    return entry.status


async def _audit(bot: BotUnderTest) -> list[str]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.id)))


async def _full_clinic_with_a_wait(bot: BotUnderTest, *waiting: Person) -> list[dict[str, Any]]:
    """Six social workers fill the six slots of 10 December; the others join the waiting list, in order."""
    booked = [await book(bot, SOCIAL_WORKERS[i], 0, case_reference=f"DEMO-{1000 + i}") for i in range(6)]
    for n, person in enumerate(waiting):
        await bot.driver.install(person, Chat.personal(person))
        await join_waitlist(bot, person, case_reference=f"DEMO-{2000 + n}")
    return booked


async def _offer_to(bot: BotUnderTest, person: Person) -> dict[str, Any]:
    [offer] = [c for c in await delivered(bot, Chat.personal(person).id) if "A clinic slot is free" in shown_text(c)]
    return offer


async def _cancel_clinic(bot: BotUnderTest, day: str, reason: str = "Coordinators on training") -> dict[str, Any]:
    form = (await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "change clinic")).cards[0]
    return await press(bot, COORDINATOR, button(form, "clinic.cancel"), clinic_date=day, reason=reason)


async def test_a_cancelled_clinics_freed_seats_are_offered_to_nobody(bot: BotUnderTest) -> None:
    await _full_clinic_with_a_wait(bot, WAITING)
    done = await _cancel_clinic(bot, "2026-12-10")
    assert "6 booked social worker(s) will be told" in shown_text(done)
    cards = await delivered(bot, Chat.personal(WAITING).id)
    assert [c for c in cards if "A clinic slot is free" in shown_text(c)] == []
    assert await _bookings_of(bot, WAITING) == []
    assert await _place_of(bot, WAITING) == "waiting"
    assert "booking.offered" not in await _audit(bot)
    assert (await _audit(bot)).count("booking.clinic_cancelled") == 6


async def test_after_a_clinic_is_cancelled_the_worker_waiting_is_offered_the_next_seat_that_frees(
    bot: BotUnderTest,
) -> None:
    await _full_clinic_with_a_wait(bot, WAITING)
    await _cancel_clinic(bot, "2026-12-10")
    january = await book(bot, SOCIAL_WORKERS[30], 0, case_reference="DEMO-3000")
    await press(bot, SOCIAL_WORKERS[30], button(january, "booking.cancel"))
    offer = await _offer_to(bot, WAITING)
    assert "Thursday 7 January 2027, 9:30am" in shown_text(offer)
    assert await _bookings_of(bot, WAITING) == [("2027-01-07", "held")]


async def test_a_seat_held_at_a_clinic_that_is_then_cancelled_puts_the_worker_back_in_the_queue(
    bot: BotUnderTest,
) -> None:
    booked = await _full_clinic_with_a_wait(bot, WAITING)
    await press(bot, SOCIAL_WORKERS[0], button(booked[0], "booking.cancel"))
    offer = await _offer_to(bot, WAITING)
    await _cancel_clinic(bot, "2026-12-10")
    [notice] = [c for c in await delivered(bot, Chat.personal(WAITING).id) if "was cancelled" in shown_text(c)]
    assert "still on the waiting list" in shown_text(notice)
    assert await _bookings_of(bot, WAITING) == [("2026-12-10", "clinic_cancelled")]
    assert await _place_of(bot, WAITING) == "waiting"
    late = await press(bot, WAITING, button(offer, "booking.offer", "Accept the slot"))
    assert "This offer has ended" in shown_text(late)
    assert await _bookings_of(bot, WAITING) == [("2026-12-10", "clinic_cancelled")]


async def test_an_offer_accepted_after_its_hold_ran_out_is_refused_and_nothing_is_booked(bot: BotUnderTest) -> None:
    booked = await _full_clinic_with_a_wait(bot, WAITING, NEXT_WAITING)
    await press(bot, SOCIAL_WORKERS[2], button(booked[2], "booking.cancel"))
    offer = await _offer_to(bot, WAITING)
    bot.clock.advance(hours=24, minutes=1)  # the hold is 24 hours; its job has not run yet
    refused = await press(bot, WAITING, button(offer, "booking.offer", "Accept the slot"))
    text = shown_text(refused)
    assert "This offer has run out" in text and "Nothing was booked." in text
    assert await _bookings_of(bot, WAITING) == [("2026-12-10", "held")]
    assert "booking.offer_accepted" not in await _audit(bot)
    # When the job runs the seat passes on, as it would have anyway.
    await delivered(bot)
    assert await _bookings_of(bot, WAITING) == [("2026-12-10", "cancelled")]
    assert await _bookings_of(bot, NEXT_WAITING) == [("2026-12-10", "held")]
    assert await _place_of(bot, WAITING) == "expired"


async def test_an_offer_accepted_in_time_is_booked_once_however_often_it_is_sent(bot: BotUnderTest) -> None:
    booked = await _full_clinic_with_a_wait(bot, WAITING)
    await press(bot, SOCIAL_WORKERS[2], button(booked[2], "booking.cancel"))
    accept = button(await _offer_to(bot, WAITING), "booking.offer", "Accept the slot")
    bot.clock.advance(hours=23)
    answers = await asyncio.gather(*(press(bot, WAITING, accept) for _ in range(3)))
    assert "You're booked" in shown_text(answers[0])
    assert all(answer == answers[0] for answer in answers)
    assert await _bookings_of(bot, WAITING) == [("2026-12-10", "booked")]
    assert (await _audit(bot)).count("booking.offer_accepted") == 1
    assert await _place_of(bot, WAITING) == "booked"


async def test_declining_an_offer_passes_the_seat_to_the_next_person_waiting(bot: BotUnderTest) -> None:
    booked = await _full_clinic_with_a_wait(bot, WAITING, NEXT_WAITING)
    await press(bot, SOCIAL_WORKERS[4], button(booked[4], "booking.cancel"))
    offer = await _offer_to(bot, WAITING)
    declined = await press(bot, WAITING, button(offer, "booking.offer", "No thanks"))
    assert "You turned the slot down" in shown_text(declined)
    assert "11:30am" in shown_text(await _offer_to(bot, NEXT_WAITING))
    assert await _bookings_of(bot, WAITING) == [("2026-12-10", "cancelled")]
    assert await _place_of(bot, WAITING) == "withdrawn"
    assert await _bookings_of(bot, NEXT_WAITING) == [("2026-12-10", "held")]
    late = await press(bot, WAITING, button(offer, "booking.offer", "Accept the slot"))
    assert "This offer has ended" in shown_text(late)


async def test_cancelling_a_seat_held_for_you_takes_you_off_the_list_and_offers_it_on(bot: BotUnderTest) -> None:
    booked = await _full_clinic_with_a_wait(bot, WAITING, NEXT_WAITING)
    await press(bot, SOCIAL_WORKERS[1], button(booked[1], "booking.cancel"))
    await _offer_to(bot, WAITING)
    mine = (await bot.driver.say(WAITING, Chat.personal(WAITING), "my bookings")).cards[0]
    assert "Held for you: Thursday 10 December 2026, 10am" in shown_text(mine)
    await press(bot, WAITING, button(mine, "booking.cancel"))
    assert await _place_of(bot, WAITING) == "withdrawn"
    assert "10am" in shown_text(await _offer_to(bot, NEXT_WAITING))


async def test_joining_the_waiting_list_twice_from_one_card_keeps_one_place(bot: BotUnderTest) -> None:
    await _full_clinic_with_a_wait(bot)
    picker = (await bot.driver.say(WAITING, Chat.personal(WAITING), "book")).cards[0]
    form = await press(bot, WAITING, button(picker, "booking.waitlist_start"))
    details = {**GOOD_DETAILS, "case_reference": "DEMO-2000"}
    reviewed = await press(bot, WAITING, button(form, "booking.review"), **details)
    join = button(reviewed, "booking.waitlist_join")
    answers = await asyncio.gather(*(press(bot, WAITING, join) for _ in range(2)))
    assert answers[0] == answers[1] and "You're on the waiting list" in shown_text(answers[0])
    assert await _place_of(bot, WAITING) == "waiting"
