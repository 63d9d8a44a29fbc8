"""Social workers book, move and cancel slots at the step-down clinic, through the real endpoint."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import func, select

from storage.tables import AuditEventRow, BookingRow, ClinicSlotRow, OutboxRow
from tests.conftest import COORDINATOR, SOCIAL_WORKER, SOCIAL_WORKERS, BotUnderTest
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat
from tests.scenarios.booking_steps import GOOD_DETAILS, book, open_clinics, press, review, slot_buttons


async def _bookings(bot: BotUnderTest) -> list[BookingRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(BookingRow).order_by(BookingRow.id)))


async def _count(bot: BotUnderTest, table: Any) -> int:
    async with bot.runtime.services.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)


async def _jobs(bot: BotUnderTest) -> list[str]:
    async with bot.runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "job").order_by(OutboxRow.id))
        return [r.payload["job"] for r in rows]


async def test_book_shows_the_next_three_clinics_with_free_slots(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    text = shown_text(picker)
    for day in ("Thursday 10 December 2026", "Thursday 7 January 2027", "Thursday 4 February 2027"):
        assert day in text
    assert [b["title"] for b in slot_buttons(picker)[:6]] == ["9:30am", "10am", "10:30am", "11am", "11:30am", "midday"]


async def test_a_social_worker_books_a_slot_only_on_confirm(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    form = await press(bot, SOCIAL_WORKER, slot_buttons(picker)[1])
    assert {"case_reference", "team", "direction", "decision_date", "reason", "manager_agreed"} <= set(inputs(form))
    assert inputs(form)["decision_date"]["max"] == bot.clock.now.date().isoformat(), "a decision is never ahead"
    reviewed = await press(bot, SOCIAL_WORKER, button(form, "booking.review"), **GOOD_DETAILS)
    assert "Thursday 10 December 2026, 10am" in shown_text(reviewed)
    assert await _bookings(bot) == []

    booked = await press(bot, SOCIAL_WORKER, button(reviewed, "booking.confirm"))
    text = shown_text(booked)
    assert "You're booked" in text and "Thursday 10 December 2026, 10am" in text and "DEMO-0001" in text
    assert buttons(booked, "booking.move") and buttons(booked, "booking.cancel")
    [row] = await _bookings(bot)
    assert (row.case_reference, row.status, row.worker_object_id) == ("DEMO-0001", "booked", SOCIAL_WORKER.object_id)
    async with bot.runtime.services.uow() as uow:
        slot = await uow.session.get(ClinicSlotRow, row.slot_id)
        assert slot is not None and slot.booked == 1
        audit = list(await uow.session.scalars(select(AuditEventRow.action)))
    assert "booking.booked" in audit
    assert await _jobs(bot) == ["booking.remind", "clinic.agenda"]


async def test_the_join_link_comes_from_configuration(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(clinic_join_url="https://teams.microsoft.com/l/meetup-join/demo")
    booked = await book(bot, SOCIAL_WORKER)
    links = [a for a in booked.get("actions", []) if a.get("type") == "Action.OpenUrl"]
    assert [a["url"] for a in links] == ["https://teams.microsoft.com/l/meetup-join/demo"]


async def _audited(bot: BotUnderTest, action: str) -> int:
    async with bot.runtime.services.uow() as uow:
        actions = list(await uow.session.scalars(select(AuditEventRow.action)))
    return actions.count(action)


async def test_a_confirm_sent_twice_books_once_and_both_answers_are_the_same_booked_card(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    reviewed = await review(bot, SOCIAL_WORKER, slot_buttons(picker)[0])
    data = {k: v for k, v in button(reviewed, "booking.confirm")["data"].items() if k != "verb"}
    chat = Chat.personal(SOCIAL_WORKER)
    first = await bot.driver.execute(SOCIAL_WORKER, chat, "booking.confirm", data)
    again = await bot.driver.execute(SOCIAL_WORKER, chat, "booking.confirm", data)
    assert first.invoke_card is not None and "You're booked" in shown_text(first.invoke_card)
    assert again.invoke_card == first.invoke_card
    assert len(await _bookings(bot)) == 1
    assert await _audited(bot, "booking.booked") == 1
    assert await _jobs(bot) == ["booking.remind", "clinic.agenda"]


async def test_a_confirm_sent_twice_at_once_books_once_and_both_answers_are_the_same(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    reviewed = await review(bot, SOCIAL_WORKER, slot_buttons(picker)[0])
    confirm = button(reviewed, "booking.confirm")
    first, second = await asyncio.gather(press(bot, SOCIAL_WORKER, confirm), press(bot, SOCIAL_WORKER, confirm))
    third = await press(bot, SOCIAL_WORKER, confirm)
    assert "You're booked" in shown_text(first)
    assert first == second == third
    assert len(await _bookings(bot)) == 1
    async with bot.runtime.services.uow() as uow:
        assert await uow.session.scalar(select(func.sum(ClinicSlotRow.booked))) == 1


async def test_a_refused_confirm_is_not_remembered_so_the_same_button_books_once_the_slot_frees(
    bot: BotUnderTest,
) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    mine = button(await review(bot, SOCIAL_WORKER, slot_buttons(picker)[0]), "booking.confirm")
    theirs = await book(bot, SOCIAL_WORKERS[0], case_reference="DEMO-0002")
    assert "Someone booked that slot a moment ago" in shown_text(await press(bot, SOCIAL_WORKER, mine))
    await press(bot, SOCIAL_WORKERS[0], button(theirs, "booking.cancel"))
    assert "You're booked" in shown_text(await press(bot, SOCIAL_WORKER, mine))
    assert [(b.worker_object_id, b.status) for b in await _bookings(bot)] == [
        (SOCIAL_WORKERS[0].object_id, "cancelled"),
        (SOCIAL_WORKER.object_id, "booked"),
    ]


async def test_bad_details_are_named_and_nothing_is_written(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    card = await review(
        bot,
        SOCIAL_WORKER,
        slot_buttons(picker)[0],
        case_reference="Jane Smith",
        decision_date="2027-01-01",
        manager_agreed="false",
    )
    text = shown_text(card)
    assert "case reference is not in the expected form" in text
    assert "can't be in the future" in text
    assert "team manager's agreement" in text
    assert await _bookings(bot) == []
    assert buttons(card, "booking.review"), "the form comes back to be corrected"


async def test_a_slot_taken_a_moment_earlier_is_refused_with_the_next_clinic(bot: BotUnderTest) -> None:
    other = SOCIAL_WORKERS[0]
    picker = await open_clinics(bot, SOCIAL_WORKER)
    mine = await review(bot, SOCIAL_WORKER, slot_buttons(picker)[0])
    await book(bot, other, case_reference="DEMO-0002")
    refused = await press(bot, SOCIAL_WORKER, button(mine, "booking.confirm"))
    text = shown_text(refused)
    assert "Someone booked that slot a moment ago" in text
    assert "Nothing was saved." in text
    assert [b.worker_object_id for b in await _bookings(bot)] == [other.object_id]


async def test_one_case_cannot_hold_two_bookings_at_one_clinic(bot: BotUnderTest) -> None:
    await book(bot, SOCIAL_WORKER, 0)
    refused = await book(bot, SOCIAL_WORKERS[1], 1)
    assert "already has a booking at that clinic" in shown_text(refused)
    assert len(await _bookings(bot)) == 1
    async with bot.runtime.services.uow() as uow:
        seats = await uow.session.scalar(select(func.sum(ClinicSlotRow.booked)))
    assert seats == 1


async def test_past_cut_off_and_unknown_slots_are_refused_and_write_nothing(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    reviewed = await review(bot, SOCIAL_WORKER, slot_buttons(picker)[0])
    bot.clock.advance(days=16)  # past the cut-off (midday Wednesday 9 December) and the clinic itself
    refused = await press(bot, SOCIAL_WORKER, button(reviewed, "booking.confirm"))
    assert "already happened" in shown_text(refused)
    assert "Thursday 7 January 2027" in shown_text(refused)
    unknown = await press(bot, SOCIAL_WORKER, {"verb": "booking.pick", "data": {"slot_id": 99999}})
    assert "no such slot" in shown_text(unknown)
    assert await _bookings(bot) == []


async def test_booking_closes_at_the_cut_off(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    reviewed = await review(bot, SOCIAL_WORKER, slot_buttons(picker)[0])
    bot.clock.now = bot.clock.now.replace(day=9, month=12, hour=12, minute=0)  # midday Wednesday 9 December
    refused = await press(bot, SOCIAL_WORKER, button(reviewed, "booking.confirm"))
    assert "Booking for that clinic closed at midday on Wednesday 9 December 2026" in shown_text(refused)
    assert await _bookings(bot) == []


async def test_moving_keeps_the_old_slot_until_the_new_one_is_confirmed(bot: BotUnderTest) -> None:
    booked = await book(bot, SOCIAL_WORKER, 0)
    picker = await press(bot, SOCIAL_WORKER, button(booked, "booking.move"))
    assert "You keep that slot until you confirm the new one" in shown_text(picker)
    form = await press(bot, SOCIAL_WORKER, slot_buttons(picker)[2])
    assert inputs(form)["case_reference"]["value"] == "DEMO-0001"
    reviewed = await press(bot, SOCIAL_WORKER, button(form, "booking.review"), **GOOD_DETAILS)
    [before] = await _bookings(bot)
    assert before.status == "booked"
    moved = await press(bot, SOCIAL_WORKER, button(reviewed, "booking.confirm"))
    assert "Thursday 10 December 2026, 11am" in shown_text(moved)
    old, new = await _bookings(bot)
    assert (old.status, new.status) == ("moved", "booked")
    async with bot.runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(ClinicSlotRow).where(ClinicSlotRow.clinic_date == date(2026, 12, 10)))
        seats = {s.slot_index: s.booked for s in rows}
    # The picker offers free slots only (9:30am is still ours), so the third button is 11am.
    assert seats == {0: 0, 1: 0, 2: 0, 3: 1, 4: 0, 5: 0}


async def test_cancel_asks_once_more_saying_what_it_will_do(bot: BotUnderTest) -> None:
    booked = await book(bot, SOCIAL_WORKER, 0)
    [ask] = [a for a in booked["actions"] if a["title"] == "Cancel"]
    assert ask["type"] == "Action.ShowCard", "the first click only asks"
    assert "offers it to the next social worker waiting" in shown_text(ask["card"])
    assert button(ask["card"], "booking.cancel", "Yes, cancel the booking")["data"]["confirmed"] is True
    # A cancel without the second ask (a card from before it was asked) gets the question, and writes nothing.
    bare = {
        **button(booked, "booking.cancel"),
        "data": {**button(booked, "booking.cancel")["data"], "confirmed": False},
    }
    question = await press(bot, SOCIAL_WORKER, bare)
    assert "Cancel this booking?" in shown_text(question)
    assert buttons(question, "booking.mine"), "and a way to keep it"
    assert [b.status for b in await _bookings(bot)] == ["booked"]
    assert await _audited(bot, "booking.cancelled") == 0
    done = await press(bot, SOCIAL_WORKER, button(question, "booking.cancel"))
    assert "Booking cancelled" in shown_text(done)


async def test_a_cancel_sent_twice_cancels_once_and_both_answers_are_the_same(bot: BotUnderTest) -> None:
    booked = await book(bot, SOCIAL_WORKER, 0)
    cancel = button(booked, "booking.cancel")
    cancelled = await press(bot, SOCIAL_WORKER, cancel)
    assert "Booking cancelled" in shown_text(cancelled)
    assert await press(bot, SOCIAL_WORKER, cancel) == cancelled
    [row] = await _bookings(bot)
    assert row.status == "cancelled"
    async with bot.runtime.services.uow() as uow:
        assert await uow.session.scalar(select(func.sum(ClinicSlotRow.booked))) == 0
    assert await _audited(bot, "booking.cancelled") == 1


async def test_a_cancel_sent_twice_at_once_frees_one_seat(bot: BotUnderTest) -> None:
    booked = await book(bot, SOCIAL_WORKER, 0)
    await book(bot, SOCIAL_WORKERS[0], 1, case_reference="DEMO-0002")
    cancel = button(booked, "booking.cancel")
    answers = await asyncio.gather(*(press(bot, SOCIAL_WORKER, cancel) for _ in range(3)))
    assert all(answer == answers[0] for answer in answers)
    assert "Booking cancelled" in shown_text(answers[0])
    async with bot.runtime.services.uow() as uow:
        assert await uow.session.scalar(select(func.sum(ClinicSlotRow.booked))) == 1
    assert [b.status for b in await _bookings(bot)] == ["cancelled", "booked"]
    assert await _audited(bot, "booking.cancelled") == 1


async def test_a_cancel_from_a_card_drawn_before_the_booking_changed_gets_the_booking_as_it_is_now(
    bot: BotUnderTest,
) -> None:
    booked = await book(bot, SOCIAL_WORKER, 0)
    stale = {**button(booked, "booking.cancel"), "data": {**button(booked, "booking.cancel")["data"], "version": 9}}
    answer = await press(bot, SOCIAL_WORKER, stale)
    assert "This card was out of date" in shown_text(answer)
    assert [b.status for b in await _bookings(bot)] == ["booked"]
    assert await _audited(bot, "booking.cancelled") == 0


async def test_my_bookings_lists_upcoming_bookings(bot: BotUnderTest) -> None:
    await book(bot, SOCIAL_WORKER, 3)
    exchange = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "my bookings")
    [card] = exchange.cards
    assert "Booked: Thursday 10 December 2026, 11am" in shown_text(card)
    assert buttons(card, "booking.move") and buttons(card, "booking.cancel")


async def test_only_social_workers_book_and_only_their_own(bot: BotUnderTest) -> None:
    booked = await book(bot, SOCIAL_WORKER, 0)
    refused = await bot.driver.say(COORDINATOR, Chat.personal(COORDINATOR), "book")
    assert "You can't do that yet" in shown_text(refused.cards[0])
    stranger = await press(bot, SOCIAL_WORKERS[5], button(booked, "booking.cancel"))
    assert "isn't yours" in shown_text(stranger)
    assert [b.status for b in await _bookings(bot)] == ["booked"]
    # The attempt is audited, so probing shows up; nothing else is written.
    assert await _audited(bot, "booking.refused") == 1
    assert await _audited(bot, "booking.cancelled") == 0


async def test_malformed_booking_payloads_get_an_error_and_write_nothing(bot: BotUnderTest) -> None:
    before = await _count(bot, OutboxRow), await _count(bot, AuditEventRow)
    for data in ({"draft_id": "x", "version": 1}, {"draft_id": 1}, {"draft_id": 1, "version": 1, "extra": 1}):
        exchange = await bot.driver.execute(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "booking.confirm", data)
        assert exchange.status == 200
        assert "Nothing was saved." in shown_text(exchange.invoke_card or {})
    assert await _bookings(bot) == []
    assert (await _count(bot, OutboxRow), await _count(bot, AuditEventRow)) == before


async def test_a_late_clinic_warns_and_offers_the_waiting_list_and_a_note(start_bot: Any) -> None:
    managers = Chat.channel("managers")
    bot: BotUnderTest = await start_bot(managers_channel_id=managers.id)
    await bot.driver.install(COORDINATOR, managers)
    picker = await open_clinics(bot, SOCIAL_WORKER)
    reviewed = await review(bot, SOCIAL_WORKER, slot_buttons(picker)[0], decision_date="2026-11-01")
    text = shown_text(reviewed)
    assert "late for the 28-day standard" in text and "Tuesday 29 November 2026" not in text
    assert "Sunday 29 November 2026" in text
    note = await press(bot, SOCIAL_WORKER, button(reviewed, "booking.tell_manager"))
    assert "managers' channel" in shown_text(note)
    # A double click tells them once, and gets the same answer.
    assert await press(bot, SOCIAL_WORKER, button(reviewed, "booking.tell_manager")) == note
    mark = bot.connector.snapshot()
    await bot.run_outbox()
    [posted] = [c for c in bot.connector.since(mark) if c.conversation_id == managers.id]
    assert "DEMO-0001" in str(posted.cards) and "Plan goals met" not in str(posted.cards)
    # The slot can still be booked after the note.
    booked = await press(bot, SOCIAL_WORKER, button(reviewed, "booking.confirm"))
    assert "You're booked" in shown_text(booked)
