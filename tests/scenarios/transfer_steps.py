"""Steps people take with transfer requests, through the real endpoint."""

from __future__ import annotations

from typing import Any

from tests.conftest import BotUnderTest
from tests.harness.cardwalk import button
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import press

STEP_DOWN = {
    "case_reference": "DEMO-0101",
    "children_count": "2",
    "from_team": "Field social work team",
    "to_service": "",
    "reason": "The child in need plan's goals are met; the family want early help to continue.",
    "outstanding_needs": "School attendance support.",
    "route": "direct",
    "consent_status": "given",
    "consent_relationship": "Mother",
    "consent_initials": "A.B.",
    "consent_how": "In person at the home visit",
    "consent_on": "2026-11-20",
    "manager": "T.M.",
    "manager_decided_on": "2026-11-19",
    "discussed_with": "E.C.",
    "discussed_on": "2026-11-23",
}

STEP_UP = {
    **{k: v for k, v in STEP_DOWN.items() if not k.startswith("discussed")},
    "case_reference": "DEMO-0202",
    "from_team": "",
    "reason": "Worries have escalated despite three months of early help.",
}


async def start_request(bot: BotUnderTest, person: Person) -> dict[str, Any]:
    from tests.scenarios.booking_steps import the_card

    exchange = await bot.driver.say(person, Chat.personal(person), "new transfer")
    assert exchange.status == 201
    return the_card(exchange)


async def submit_request(bot: BotUnderTest, person: Person, form: dict[str, Any], **values: Any) -> dict[str, Any]:
    reviewed = await press(bot, person, button(form, "transfer.review"), **values)
    return await press(bot, person, button(reviewed, "transfer.submit"))


def first_choice(form: dict[str, Any], input_id: str) -> str:
    from tests.harness.cardwalk import inputs

    return str(inputs(form)[input_id]["choices"][0]["value"])
