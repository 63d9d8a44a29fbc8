"""The waiting list, reminders, the coordinators' agenda and calendar changes, through the real endpoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from storage.tables import AuditEventRow, BookingRow, ClinicSlotRow, DraftRow, WaitlistRow
from tests.conftest import (
    ASSESSMENT_WORKER,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    SOCIAL_WORKER,
    SOCIAL_WORKERS,
    BotUnderTest,
)
from tests.harness.cardschema import assert_valid_card
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat
from tests.harness.entra import FakeEntraAndGraph
from tests.scenarios.booking_steps import GOOD_DETAILS, book, open_clinics, press, slot_buttons

DECEMBER_10 = date(2026, 12, 10)


async def _statuses(bot: BotUnderTest) -> list[tuple[str, str]]:
    async with bot.runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(BookingRow).order_by(BookingRow.id))
        return [(r.worker_object_id, r.status) for r in rows]


async def _audit(bot: BotUnderTest) -> list[str]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.id)))


async def _fill_first_clinic(bot: BotUnderTest) -> list[dict[str, Any]]:
    """Six social workers take the six slots of 10 December."""
    booked = []
    for i in range(6):
        booked.append(await book(bot, SOCIAL_WORKERS[i], 0, case_reference=f"DEMO-{1000 + i}"))
    return booked


async def _delivered_to(bot: BotUnderTest, person_chat_prefix: str = "") -> list[dict[str, Any]]:
    return [c for r in await bot.deliver() for c in r.cards if person_chat_prefix in r.conversation_id]


async def test_a_full_clinic_offers_the_waiting_list_and_a_freed_slot_is_held_for_the_first(bot: BotUnderTest) -> None:
    booked = await _fill_first_clinic(bot)
    await bot.driver.install(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    picker = await open_clinics(bot, SOCIAL_WORKER)
    assert "This clinic is full." in shown_text(picker)
    form = await press(bot, SOCIAL_WORKER, button(picker, "booking.waitlist_start"))
    reviewed = await press(bot, SOCIAL_WORKER, button(form, "booking.review"), **GOOD_DETAILS)
    joined = await press(bot, SOCIAL_WORKER, button(reviewed, "booking.waitlist_join"))
    assert "You're on the waiting list" in shown_text(joined)

    # Someone cancels: the slot is held for the social worker waiting, who gets a card.
    await press(bot, SOCIAL_WORKERS[2], button(booked[2], "booking.cancel"))
    assert (SOCIAL_WORKER.object_id, "held") in await _statuses(bot)
    offers = await _delivered_to(bot, Chat.personal(SOCIAL_WORKER).id)
    [offer] = [c for c in offers if "A clinic slot is free for you" in shown_text(c)]
    assert_valid_card(offer)
    assert "Thursday 10 December 2026, 10:30am" in shown_text(offer)

    accepted = await press(bot, SOCIAL_WORKER, button(offer, "booking.offer", "Accept the slot"))
    assert "You're booked" in shown_text(accepted)
    assert (SOCIAL_WORKER.object_id, "booked") in await _statuses(bot)
    async with bot.runtime.services.uow() as uow:
        [entry] = list(await uow.session.scalars(select(WaitlistRow)))
    assert entry.status == "booked"
    assert {"booking.waitlist_joined", "booking.offered", "booking.offer_accepted"} <= set(await _audit(bot))


async def test_a_hold_nobody_takes_expires_and_passes_to_the_next(bot: BotUnderTest) -> None:
    booked = await _fill_first_clinic(bot)
    waiting = [SOCIAL_WORKERS[10], SOCIAL_WORKERS[11]]
    for n, person in enumerate(waiting):
        picker = await open_clinics(bot, person)
        form = await press(bot, person, button(picker, "booking.waitlist_start"))
        reviewed = await press(
            bot, person, button(form, "booking.review"), **{**GOOD_DETAILS, "case_reference": f"DEMO-200{n}"}
        )
        await press(bot, person, button(reviewed, "booking.waitlist_join"))
    await press(bot, SOCIAL_WORKERS[0], button(booked[0], "booking.cancel"))
    assert (waiting[0].object_id, "held") in await _statuses(bot)
    await bot.run_outbox()

    bot.clock.advance(hours=25)  # the hold is 24 hours
    while await bot.run_outbox():
        pass
    statuses = await _statuses(bot)
    assert (waiting[0].object_id, "cancelled") in statuses
    assert (waiting[1].object_id, "held") in statuses
    assert "booking.hold_expired" in await _audit(bot)
    async with bot.runtime.services.uow() as uow:
        slot = await uow.session.scalar(
            select(ClinicSlotRow).where(ClinicSlotRow.clinic_date == DECEMBER_10, ClinicSlotRow.slot_index == 0)
        )
    assert slot is not None and slot.booked == 1


async def test_fifty_social_workers_confirming_the_last_free_slot_book_it_once(bot: BotUnderTest) -> None:
    for i in range(5):
        await book(bot, SOCIAL_WORKERS[i], 0, case_reference=f"DEMO-{3000 + i}")
    crowd = SOCIAL_WORKERS[10:60]
    confirms = []
    for n, person in enumerate(crowd):
        picker = await open_clinics(bot, person)
        [last] = [b for b in slot_buttons(picker) if b["title"] == "midday"][:1]
        form = await press(bot, person, last)
        reviewed = await press(
            bot, person, button(form, "booking.review"), **{**GOOD_DETAILS, "case_reference": f"DEMO-{4000 + n}"}
        )
        confirms.append((person, button(reviewed, "booking.confirm")))
    cards = await asyncio.gather(*(press(bot, person, action) for person, action in confirms))
    won = [c for c in cards if "You're booked" in shown_text(c)]
    lost = [c for c in cards if "Someone booked that slot a moment ago" in shown_text(c)]
    assert (len(won), len(lost)) == (1, 49)
    async with bot.runtime.services.uow() as uow:
        slots = list(await uow.session.scalars(select(ClinicSlotRow).where(ClinicSlotRow.clinic_date == DECEMBER_10)))
        bookings = list(await uow.session.scalars(select(BookingRow).where(BookingRow.status == "booked")))
    assert all(s.booked == s.capacity == 1 for s in slots)
    assert len(bookings) == 6


async def test_the_worker_is_reminded_the_working_day_before(bot: BotUnderTest) -> None:
    chat = Chat.personal(SOCIAL_WORKER)
    await bot.driver.install(SOCIAL_WORKER, chat)
    await book(bot, SOCIAL_WORKER, 1)
    assert [c for c in await _delivered_to(bot, chat.id) if "tomorrow" in shown_text(c)] == []
    bot.clock.now = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # 9am on Wednesday 9 December
    [reminder] = [c for c in await _delivered_to(bot, chat.id) if "Step-down clinic tomorrow" in shown_text(c)]
    assert_valid_card(reminder)
    assert "Thursday 10 December 2026, 10am" in shown_text(reminder)
    assert [c for c in await _delivered_to(bot, chat.id) if "tomorrow" in shown_text(c)] == []


async def test_a_cancelled_booking_gets_no_reminder(bot: BotUnderTest) -> None:
    chat = Chat.personal(SOCIAL_WORKER)
    await bot.driver.install(SOCIAL_WORKER, chat)
    booked = await book(bot, SOCIAL_WORKER, 1)
    await press(bot, SOCIAL_WORKER, button(booked, "booking.cancel"))
    bot.clock.now = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    assert [c for c in await _delivered_to(bot, chat.id) if "tomorrow" in shown_text(c)] == []


async def test_coordinators_see_the_agenda_and_open_a_reason_as_an_audited_view(bot: BotUnderTest) -> None:
    await book(bot, SOCIAL_WORKER, 0)
    exchange = await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "agenda")
    [agenda] = exchange.cards
    assert_valid_card(agenda)
    text = shown_text(agenda)
    assert "Step-down clinic agenda: Thursday 10 December 2026" in text
    assert "9:30am · DEMO-0001" in text
    assert GOOD_DETAILS["reason"] not in str(agenda)
    assert buttons(agenda, "booking.mark") == [], "attendance is marked once the clinic has started"
    reason = await press(bot, COORDINATOR, button(agenda, "booking.reason"))
    assert GOOD_DETAILS["reason"] in shown_text(reason)
    assert "booking.reason_viewed" in await _audit(bot)
    refused = await press(bot, SOCIAL_WORKER, button(agenda, "booking.reason"))
    assert GOOD_DETAILS["reason"] not in str(refused)


async def test_after_the_clinic_starts_coordinators_mark_attendance_once(bot: BotUnderTest) -> None:
    await book(bot, SOCIAL_WORKER, 0)
    await book(bot, SOCIAL_WORKERS[0], 1, case_reference="DEMO-0002")
    bot.clock.now = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
    agenda = (await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "agenda")).cards[0]
    discussed, absent = button(agenda, "booking.mark", "Discussed"), buttons(agenda, "booking.mark")[3]
    assert absent["title"] == "Did not attend"
    after = await press(bot, COORDINATOR, discussed)
    await press(bot, COORDINATOR, discussed)  # a double click
    await press(bot, COORDINATOR, absent)
    assert "Discussed" in shown_text(after)
    assert sorted(s for _o, s in await _statuses(bot)) == ["did_not_attend", "discussed"]
    actions = await _audit(bot)
    assert actions.count("booking.discussed") == 1 and actions.count("booking.did_not_attend") == 1


async def test_the_agenda_is_posted_to_the_coordinators_channel_the_day_before(bot: BotUnderTest) -> None:
    await bot.driver.install(COORDINATOR, COORDINATORS_CHANNEL)
    await book(bot, SOCIAL_WORKER, 0)
    assert [c for c in await _delivered_to(bot, COORDINATORS_CHANNEL.id)] == []
    bot.clock.now = datetime(2026, 12, 9, 9, 30, tzinfo=UTC)  # 24 hours before 9:30am on 10 December
    [posted] = await _delivered_to(bot, COORDINATORS_CHANNEL.id)
    assert "9:30am · DEMO-0001" in shown_text(posted)
    assert GOOD_DETAILS["reason"] not in str(posted)


async def test_a_coordinator_cancels_a_clinic_and_every_booked_worker_is_told(bot: BotUnderTest) -> None:
    for person in (SOCIAL_WORKER, SOCIAL_WORKERS[0]):
        await bot.driver.install(person, Chat.personal(person))
    await book(bot, SOCIAL_WORKER, 0)
    await book(bot, SOCIAL_WORKERS[0], 1, case_reference="DEMO-0002")
    form = (await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "change clinic")).cards[0]
    no_reason = await press(bot, COORDINATOR, button(form, "clinic.cancel"), clinic_date="2026-12-10", reason="")
    assert "Give a reason" in shown_text(no_reason)
    done = await press(
        bot, COORDINATOR, button(form, "clinic.cancel"), clinic_date="2026-12-10", reason="Coordinators on training"
    )
    assert "2 booked social worker(s) will be told" in shown_text(done)
    notices = [c for c in await _delivered_to(bot) if "was cancelled" in shown_text(c)]
    assert len(notices) == 2
    assert all("Coordinators on training" in shown_text(c) for c in notices)
    assert sorted(s for _o, s in await _statuses(bot)) == ["clinic_cancelled", "clinic_cancelled"]
    picker = await open_clinics(bot, SOCIAL_WORKER)
    assert "Thursday 10 December 2026" not in shown_text(picker)
    assert "Thursday 7 January 2027" in shown_text(picker)


async def test_a_clinic_cancel_sent_twice_cancels_and_tells_each_worker_once(bot: BotUnderTest) -> None:
    await bot.driver.install(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    await book(bot, SOCIAL_WORKER, 0)
    form = (await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "change clinic")).cards[0]
    inputs_given = {"clinic_date": "2026-12-10", "reason": "Coordinators on training"}
    first = await press(bot, COORDINATOR, button(form, "clinic.cancel"), **inputs_given)
    again = await press(bot, COORDINATOR, button(form, "clinic.cancel"), **inputs_given)
    assert again == first and "1 booked social worker(s) will be told" in shown_text(first)
    notices = [c for c in await _delivered_to(bot, Chat.personal(SOCIAL_WORKER).id) if "was cancelled" in shown_text(c)]
    assert len(notices) == 1
    assert (await _audit(bot)).count("clinic.cancelled") == 1


async def test_a_coordinator_adds_an_extra_clinic(bot: BotUnderTest) -> None:
    form = (await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "change clinic")).cards[0]
    done = await press(bot, COORDINATOR, button(form, "clinic.add"), clinic_date="2026-12-03", reason="")
    assert "Thursday 3 December 2026" in shown_text(done)
    picker = await open_clinics(bot, SOCIAL_WORKER)
    assert shown_text(picker).index("Thursday 3 December 2026") < shown_text(picker).index("Thursday 10 December 2026")


async def test_assessment_team_social_workers_record_a_discussion_instead_of_booking(bot: BotUnderTest) -> None:
    card = await open_clinics(bot, ASSESSMENT_WORKER)
    assert "Request a step down now" in shown_text(card)
    assert slot_buttons(card) == []
    assert inputs(card)["discussed_on"]["max"] == bot.clock.now.date().isoformat(), "never in the future"
    bad = await press(
        bot, ASSESSMENT_WORKER, button(card, "booking.discussed"), case_reference="x", coordinator="", discussed_on=""
    )
    assert "expected form" in shown_text(bad)
    given = {"case_reference": "demo-0042", "coordinator": "E.C.", "discussed_on": "2026-11-24"}
    done = await press(bot, ASSESSMENT_WORKER, button(card, "booking.discussed"), **given)
    text = shown_text(done)
    assert "DEMO-0042" in text and "following discussion with Early Help Coordinator" in text
    # Sent twice (a double click, or Teams resending it), it is recorded once.
    assert await press(bot, ASSESSMENT_WORKER, button(card, "booking.discussed"), **given) == done
    async with bot.runtime.services.uow() as uow:
        [draft] = list(await uow.session.scalars(select(DraftRow)))
    assert (draft.flow, draft.data["discussed_with"], draft.version) == ("transfer", "E.C.", 1)
    assert (await _audit(bot)).count("booking.assessment_discussed") == 1
    form = await press(bot, ASSESSMENT_WORKER, button(done, "transfer.start"))
    fields = inputs(form)
    assert fields["case_reference"]["value"] == "DEMO-0042"
    # The discussion is asked at the third stage, with the manager's agreement: it is there, prefilled.
    consent = await press(bot, ASSESSMENT_WORKER, button(form, "transfer.step", "Next"))
    given = await press(bot, ASSESSMENT_WORKER, button(consent, "transfer.step", "Given"))
    agreement = await press(bot, ASSESSMENT_WORKER, button(given, "transfer.step", "Next"))
    fields = inputs(agreement)
    assert (fields["discussed_with"]["value"], fields["discussed_on"]["value"]) == ("E.C.", "2026-11-24")


async def test_the_discussion_card_carries_the_profiles_wording_and_none_where_the_profile_has_none(
    start_bot: Any,
) -> None:
    for n, (profile, wording) in enumerate((("redcar", True), ("dorset", False))):
        bot: BotUnderTest = await start_bot(profile=profile)
        card = await open_clinics(bot, ASSESSMENT_WORKER)
        done = await press(
            bot,
            ASSESSMENT_WORKER,
            button(card, "booking.discussed"),
            case_reference=f"DEMO-004{n}",
            coordinator="E.C.",
            discussed_on="2026-11-24",
        )
        assert "Discussion recorded" in shown_text(done)
        expected = bot.runtime.services.profile.transfers.wording
        assert bool(expected) is wording
        assert ("wording" in shown_text(done)) is wording
        if wording:
            assert expected in shown_text(done)


async def test_bookings_go_into_outlook_from_the_clinic_mailbox_only(start_bot: Any, entra: FakeEntraAndGraph) -> None:
    mailbox = "stepdown-clinic@example.invalid"
    bot: BotUnderTest = await start_bot(graph_base_url=entra.graph_base_url, clinic_mailbox=mailbox)
    entra.set_mail(SOCIAL_WORKER.object_id, "s.w@example.invalid")
    booked = await book(bot, SOCIAL_WORKER, 0)
    await bot.run_outbox()
    [event_id] = list(entra.state.events)
    event = entra.state.events[event_id]
    assert event["mailbox"] == mailbox
    assert [a["emailAddress"]["address"] for a in event["body"]["attendees"]] == ["s.w@example.invalid"]
    assert event["body"]["start"] == {"dateTime": "2026-12-10T09:30:00", "timeZone": "UTC"}
    await press(bot, SOCIAL_WORKER, button(booked, "booking.cancel"))
    await bot.run_outbox()
    assert entra.state.events[event_id]["cancelled"] is True
    calendar_calls = [c for c in entra.state.graph_calls if "/events" in c.path]
    assert calendar_calls and all(c.path.startswith(f"/v1.0/users/{mailbox}/events") for c in calendar_calls)
    assert {c.path for c in entra.state.graph_calls if "/events" not in c.path} == {
        f"/v1.0/users/{SOCIAL_WORKER.object_id}"
    }


async def test_a_slot_at_a_cancelled_clinic_is_refused_with_the_next_clinic(bot: BotUnderTest) -> None:
    picker = await open_clinics(bot, SOCIAL_WORKER)
    pick = slot_buttons(picker)[0]
    form = (await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "change clinic")).cards[0]
    await press(bot, COORDINATOR, button(form, "clinic.cancel"), clinic_date="2026-12-10", reason="Coordinators away")
    refused = await press(bot, SOCIAL_WORKER, pick)
    assert "That clinic was cancelled." in shown_text(refused)
    assert "Thursday 7 January 2027" in shown_text(refused)
    assert await _statuses(bot) == []
