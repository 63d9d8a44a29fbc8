"""Steps a social worker takes to book the clinic, through the real endpoint."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotUnderTest
from tests.harness.cardschema import assert_valid_card
from tests.harness.cardwalk import button, buttons
from tests.harness.driver import Chat, Exchange, Person

GOOD_DETAILS = {
    "case_reference": "DEMO-0001",
    "team": "Safeguarding Team 2",
    "direction": "step_down_early_help",
    "decision_date": "2026-11-20",
    "reason": "Plan goals met; family engaging with the school and the health visitor.",
    "manager_agreed": "true",
}


def the_card(exchange: Exchange) -> dict[str, Any]:
    card = exchange.invoke_card or (exchange.cards[0] if exchange.cards else None)
    assert card is not None, f"no card came back (status {exchange.status})"
    assert_valid_card(card)
    return card


async def press(bot: BotUnderTest, person: Person, action: dict[str, Any], **inputs: Any) -> dict[str, Any]:
    """Press an Action.Execute button, with the card's inputs filled in as Teams merges them."""
    data = {k: v for k, v in action.get("data", {}).items() if k != "verb"}
    data.update(inputs)
    exchange = await bot.driver.execute(person, Chat.personal(person), action["verb"], data)
    assert exchange.status == 200
    return the_card(exchange)


async def open_clinics(bot: BotUnderTest, person: Person) -> dict[str, Any]:
    exchange = await bot.driver.say(person, Chat.personal(person), "book")
    assert exchange.status == 201
    return the_card(exchange)


def slot_buttons(picker: dict[str, Any]) -> list[dict[str, Any]]:
    return buttons(picker, "booking.pick")


async def review(bot: BotUnderTest, person: Person, slot_action: dict[str, Any], **details: Any) -> dict[str, Any]:
    form = await press(bot, person, slot_action)
    return await press(bot, person, button(form, "booking.review"), **{**GOOD_DETAILS, **details})


async def book(bot: BotUnderTest, person: Person, slot_index: int = 0, **details: Any) -> dict[str, Any]:
    """The whole happy path: open the clinics, pick a slot, fill the form, review, confirm."""
    picker = await open_clinics(bot, person)
    reviewed = await review(bot, person, slot_buttons(picker)[slot_index], **details)
    return await press(bot, person, button(reviewed, "booking.confirm"))


async def join_waitlist(bot: BotUnderTest, person: Person, **details: Any) -> dict[str, Any]:
    """A full clinic: the person joins the waiting list for the earliest clinic with room."""
    picker = await open_clinics(bot, person)
    form = await press(bot, person, button(picker, "booking.waitlist_start"))
    reviewed = await press(bot, person, button(form, "booking.review"), **{**GOOD_DETAILS, **details})
    return await press(bot, person, button(reviewed, "booking.waitlist_join"))


async def delivered(bot: BotUnderTest, conversation: str = "") -> list[dict[str, Any]]:
    """Run the outbox: the cards that reached the conversations whose id contains `conversation`."""
    return [c for r in await bot.deliver() for c in r.cards if conversation in r.conversation_id]
