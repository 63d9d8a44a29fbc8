"""Recording the family's consent as a worker does: the card's "Record consent", the status, its short form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.case_tables import ConsentRow
from tests.conftest import BotUnderTest
from tests.harness.cardwalk import button
from tests.harness.driver import Person
from tests.scenarios.booking_steps import press

# What a worker types about who gave consent: the relationship and initials, never a name.
GIVEN = {"relationship": "Mother", "initials": "A.B.", "method": "in_person", "on": "2026-11-24"}
WITHDRAWN = {"relationship": "Mother", "initials": "A.B.", "method": "by_phone", "on": "2026-11-25"}
NOT_SOUGHT = {
    "on": "2026-11-25",
    "risk_reason": "Telling the father would put the children at risk of further harm.",
    "agreed_by": "T.M.",
}


async def view(bot: BotUnderTest, who: Person, transfer_id: int) -> dict[str, Any]:
    return await press(bot, who, {"verb": "transfer.refresh", "data": {"record_id": transfer_id}})


async def consent_form(bot: BotUnderTest, who: Person, transfer_id: int, status: str) -> dict[str, Any]:
    """From the request's card: "Record consent", then the status's button ("Consent withdrawn", ...)."""
    card = await view(bot, who, transfer_id)
    choice = await press(bot, who, button(card, "consent.start"))
    return await press(bot, who, button(choice, "consent.form", status))


async def record_consent(
    bot: BotUnderTest, who: Person, transfer_id: int, status: str, **values: Any
) -> dict[str, Any]:
    """The status's form sent with `values`: the card that comes back."""
    form = await consent_form(bot, who, transfer_id, status)
    return await press(bot, who, button(form, "consent.record"), **values)


async def consent_rows(bot: BotUnderTest) -> list[ConsentRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(ConsentRow).order_by(ConsentRow.id)))
