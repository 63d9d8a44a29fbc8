"""Recording a meeting's outcome as a chair or coordinator does: the card's button, the decision, the form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from storage.case_tables import DeadlineRow, OutcomeRow
from storage.tables import AuditEventRow, TransferRow
from tests.conftest import FRONT_DOOR_DECIDER, MANAGERS_CHANNEL, SOCIAL_WORKER, BotUnderTest
from tests.harness.cardwalk import button, buttons, inputs
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import press
from tests.scenarios.transfer_steps import STEP_DOWN, filled, set_up_channels, start_request, submit_request

# What a meeting records about a family: it belongs in the outcome's own views, never in a notice or a log.
CRITICAL_WORRY = "The children are not getting to school on time since the move."
WELLBEING_GOAL = "The children arrive at school on time every day."
MISSING = "The latest school attendance figures and the health visitor's view."
OUTCOME_DETAILS = (CRITICAL_WORRY, WELLBEING_GOAL, MISSING)


async def view(bot: BotUnderTest, who: Person, transfer_id: int) -> dict[str, Any]:
    return await press(bot, who, {"verb": "transfer.refresh", "data": {"record_id": transfer_id}})


def defaults(form: dict[str, Any]) -> dict[str, Any]:
    """What Teams sends for a form left as drawn: each input's value, the first choice of a required list."""
    values: dict[str, Any] = {}
    for key, spec in inputs(form).items():
        if "value" in spec:
            values[key] = spec["value"]
        elif spec["type"] == "Input.ChoiceSet" and spec.get("isRequired"):
            values[key] = spec["choices"][0]["value"]
    return values


async def outcome_form(bot: BotUnderTest, who: Person, transfer_id: int, decision: str) -> dict[str, Any]:
    """From the request's card: "Record outcome", then the decision's button ("Agreed", "Not agreed", ...)."""
    card = await view(bot, who, transfer_id)
    choice = await press(bot, who, button(card, "outcome.start"))
    return await press(bot, who, button(choice, "outcome.form", decision))


async def send(bot: BotUnderTest, who: Person, form: dict[str, Any], **values: Any) -> dict[str, Any]:
    """Press the form's "Record the outcome" (or "Save the correction") with its defaults and `values`."""
    return await press(bot, who, button(form, "outcome.record"), **{**defaults(form), **values})


async def record_outcome(
    bot: BotUnderTest, who: Person, transfer_id: int, decision: str, **values: Any
) -> dict[str, Any]:
    """The decision's form sent with its defaults and `values`: the card that comes back."""
    form = await outcome_form(bot, who, transfer_id, decision)
    return await press(bot, who, button(form, "outcome.record"), **{**defaults(form), **values})


async def count_rows(bot: BotUnderTest, table: Any) -> int:
    async with bot.runtime.services.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)


async def transfer_row(bot: BotUnderTest, transfer_id: int) -> TransferRow:
    async with bot.runtime.services.uow() as uow:
        row = await uow.session.get(TransferRow, transfer_id, populate_existing=True)
        assert row is not None
        return row


async def outcome_rows(bot: BotUnderTest) -> list[OutcomeRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(OutcomeRow).order_by(OutcomeRow.version)))


async def deadline_row(bot: BotUnderTest, key: str) -> DeadlineRow:
    async with bot.runtime.services.uow() as uow:
        [row] = list(await uow.session.scalars(select(DeadlineRow).where(DeadlineRow.rule_key == key)))
        return row


async def audited(bot: BotUnderTest, action: str) -> list[AuditEventRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(AuditEventRow).where(AuditEventRow.action == action)))


def to_chat(calls: list[Any], chat: Chat) -> list[dict[str, Any]]:
    return [card for c in calls if c.conversation_id == chat.id for card in c.cards]


async def on_meeting(
    start_bot: Any, profile: str, *, case_reference: str = "DEMO-0101", route: str = "weekly_meeting", **extra: Any
) -> tuple[BotUnderTest, int]:
    """A step down sent by the social worker to the coordinators, on the profile's meeting."""
    bot: BotUnderTest = await start_bot(profile=profile, managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    transfer_id = await submit_step_down(bot, case_reference=case_reference, route=route, **extra)
    return bot, transfer_id


async def authorise(bot: BotUnderTest, transfer_id: int) -> None:
    """Redcar: the MACH manager (the front door role) authorises a step down before it is accepted (002 standard 2)."""
    card = await view(bot, FRONT_DOOR_DECIDER, transfer_id)
    await press(bot, FRONT_DOOR_DECIDER, button(card, "transfer.act", "Authorise"))
    await bot.deliver()


async def submit_step_down(bot: BotUnderTest, *, case_reference: str, route: str, **extra: Any) -> int:
    form = await start_request(bot, SOCIAL_WORKER)
    if buttons(form, "transfer.start"):
        form = await press(bot, SOCIAL_WORKER, button(form, "transfer.start", "Step down to early help"))
    values = filled(form, STEP_DOWN, case_reference=case_reference, route=route, **extra)
    await submit_request(bot, SOCIAL_WORKER, form, **values)
    await bot.deliver()
    async with bot.runtime.services.uow() as uow:
        row = await uow.session.scalar(select(TransferRow).where(TransferRow.case_reference == case_reference))
        assert row is not None
        return row.id


async def deadline_rows(bot: BotUnderTest) -> list[DeadlineRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(DeadlineRow)))
