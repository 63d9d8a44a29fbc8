"""Longer transfer journeys: from a booking, returned and resubmitted, paused for consent, the joint
visit, step across, York's return to the previous worker, Dorset's meeting and its named-worker nudge."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from storage.tables import AuditEventRow, TransferRow
from tests.conftest import (
    CHAIR,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    EARLY_HELP_WORKER,
    FRONT_DOOR_CHANNEL,
    FRONT_DOOR_DECIDER,
    MANAGERS_CHANNEL,
    SOCIAL_WORKER,
    BotUnderTest,
)
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat
from tests.scenarios.booking_steps import book, press
from tests.scenarios.consent_steps import GIVEN, WITHDRAWN, record_consent
from tests.scenarios.outcome_steps import record_outcome
from tests.scenarios.transfer_steps import (
    STEP_DOWN,
    STEP_UP,
    all_scopes,
    first_choice,
    review_request,
    set_up_channels,
    start_request,
    step_across,
    submit_request,
)

MANAGERS = MANAGERS_CHANNEL


async def _rows(bot: BotUnderTest) -> list[TransferRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(TransferRow).order_by(TransferRow.id)))


async def _channels(bot: BotUnderTest) -> None:
    await set_up_channels(bot)


async def _view(bot: BotUnderTest, who: Any, transfer_id: int) -> dict[str, Any]:
    return await press(bot, who, {"verb": "transfer.refresh", "data": {"record_id": transfer_id}})


async def _step_down(bot: BotUnderTest, **overrides: Any) -> TransferRow:
    form = await start_request(bot, SOCIAL_WORKER)
    if buttons(form, "transfer.start"):
        form = await press(bot, SOCIAL_WORKER, button(form, "transfer.start", "Step down to early help"))
    values = {
        **STEP_DOWN,
        "from_team": first_choice(form, "from_team"),
        "to_service": first_choice(form, "to_service"),
        **({"route": first_choice(form, "route")} if "route" in inputs(form) else {}),
        "consent_scopes": all_scopes(form),
        **overrides,
    }
    if "level_of_need" in inputs(form):
        values["level_of_need"] = first_choice(form, "level_of_need")
    sent = await submit_request(bot, SOCIAL_WORKER, form, **values)
    assert "Sent to " in shown_text(sent), shown_text(sent)
    await bot.deliver()
    return (await _rows(bot))[-1]


async def test_a_booking_starts_the_request_prefilled_and_carries_redcars_wording(bot: BotUnderTest) -> None:
    await _channels(bot)
    booked = await book(bot, SOCIAL_WORKER, 0, case_reference="DEMO-0777")
    form = await press(bot, SOCIAL_WORKER, button(booked, "transfer.start"))
    assert inputs(form)["case_reference"]["value"] == "DEMO-0777"
    # A field team's step down goes by the clinic (002, 1.1): the profile's route rules pick it, the form asks none.
    assert "route" not in inputs(form)
    values = {
        **STEP_DOWN,
        "case_reference": "DEMO-0777",
        "route": "clinic",
        "discussed_with": "",
        "discussed_on": "",
        "from_team": "Field social work team",
        "to_service": first_choice(form, "to_service"),
    }
    reviewed = await review_request(bot, SOCIAL_WORKER, form, **values)
    assert "agreed with Team Manager and following discussion with Early Help Coordinator" in shown_text(reviewed)
    assert "Virtual step down clinic, then the MACH manager's authorisation" in shown_text(reviewed)


async def test_returned_for_information_then_resubmitted(bot: BotUnderTest) -> None:
    await _channels(bot)
    row = await _step_down(bot)
    view = await _view(bot, COORDINATOR, row.id)
    ask = await press(bot, COORDINATOR, button(view, "transfer.form", "Ask for information"))
    await press(bot, COORDINATOR, button(ask, "transfer.decide"), note="Please add the last CiN minutes.")
    calls = await bot.deliver()
    told = [c for c in calls if c.conversation_id == Chat.personal(SOCIAL_WORKER).id]
    assert told and "Information asked for: " in json.dumps(told[0].cards)
    mine = await _view(bot, SOCIAL_WORKER, row.id)
    assert "Returned for information" in shown_text(mine) or "Returned" in shown_text(mine)
    details = await press(bot, SOCIAL_WORKER, button(mine, "transfer.details"))
    assert "Please add the last CiN minutes." in shown_text(details)
    resubmit = await press(bot, SOCIAL_WORKER, button(mine, "transfer.form", "Resubmit"))
    again = await press(bot, SOCIAL_WORKER, button(resubmit, "transfer.decide"), note="Minutes added to the record.")
    assert "Submitted" in shown_text(again)


async def test_consent_withdrawn_pauses_and_given_again_resumes_at_the_same_step(bot: BotUnderTest) -> None:
    await _channels(bot)
    row = await _step_down(bot)
    view = await _view(bot, COORDINATOR, row.id)
    gaps = await press(bot, COORDINATOR, button(view, "transfer.form", "Mark readiness gaps"))
    first_gap = next(key for key in inputs(gaps) if key.startswith("gap_"))
    await press(bot, COORDINATOR, button(gaps, "transfer.decide"), **{first_gap: "true"})
    before = (await _rows(bot))[0].state
    assert before == "gaps_open"
    # Withdrawn and given again are entries of the consent record, each with who, when and how.
    paused = await record_consent(bot, SOCIAL_WORKER, row.id, "Consent withdrawn", **WITHDRAWN)
    assert "Paused" in shown_text(paused)
    resumed = await record_consent(
        bot,
        SOCIAL_WORKER,
        row.id,
        "Consent given again",
        **{**GIVEN, "on": "2026-11-25"},
        scopes="share_information,early_help_offer",
    )
    after = (await _rows(bot))[0]
    assert after.state == before
    assert "Paused" not in shown_text(resumed)


async def test_the_joint_visit_is_recorded_from_the_card(bot: BotUnderTest) -> None:
    await _channels(bot)
    row = await _step_down(bot)
    # Redcar: the MACH manager (the front door role) authorises the step down before it is accepted (standard 2).
    mach = await _view(bot, FRONT_DOOR_DECIDER, row.id)
    await press(bot, FRONT_DOOR_DECIDER, button(mach, "transfer.act", "Authorise"))
    view = await _view(bot, COORDINATOR, row.id)
    accept = await press(bot, COORDINATOR, button(view, "transfer.form", "Accept and allocate"))
    await press(bot, COORDINATOR, button(accept, "transfer.decide"), team=first_choice(accept, "team"), worker="E.W.")
    mine = await _view(bot, SOCIAL_WORKER, row.id)
    form = await press(bot, SOCIAL_WORKER, button(mine, "transfer.form", "Joint visit done"))
    # The day it happened: today at the latest (Wednesday 25 November 2026 in the tests' clock).
    assert inputs(form)["on"]["max"] == "2026-11-25"
    future = await press(bot, SOCIAL_WORKER, button(form, "transfer.decide"), on="2026-11-26")
    assert "can't be recorded before it happens" in shown_text(future)
    done = await press(bot, SOCIAL_WORKER, button(form, "transfer.decide"), on="2026-11-25")
    assert "Joint visit done" in shown_text(done)
    async with bot.runtime.services.uow() as uow:
        actions = list(await uow.session.scalars(select(AuditEventRow.action)))
    assert "transfer.record_joint_visit" in actions


async def _listed(bot: BotUnderTest, who: Any, chat: Chat, command: str) -> str:
    """A list asked for in a channel comes to the person's personal chat, never into the channel."""
    asked = await bot.driver.say(who, chat, command)
    assert "personal chat" in json.dumps(asked.body or "") + json.dumps([r.activity for r in asked.sent])
    calls = await bot.deliver()
    assert not [c for c in calls if c.conversation_id == chat.id and c.cards], "a list is never posted in a channel"
    [sent] = [c for c in calls if c.conversation_id == Chat.personal(who).id]
    return shown_text(sent.cards[0])


async def test_open_transfers_lists_the_receiving_sides_requests_by_status(bot: BotUnderTest) -> None:
    await _channels(bot)
    await _step_down(bot)
    assert "DEMO-0101" in await _listed(bot, COORDINATOR, COORDINATORS_CHANNEL, "open transfers")
    assert "DEMO-0101" not in await _listed(bot, COORDINATOR, COORDINATORS_CHANNEL, "open transfers accepted")
    front_door = await _listed(bot, FRONT_DOOR_DECIDER, FRONT_DOOR_CHANNEL, "open transfers")
    # The front door decides step ups; it sees a Redcar step down only as the MACH manager who authorises it.
    assert "DEMO-0101" in front_door


async def test_a_rochdale_step_across_goes_to_the_channel_its_profile_names(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(profile="rochdale", managers_channel_id=MANAGERS.id)
    await _channels(bot)
    await step_across(bot, SOCIAL_WORKER)
    [row] = await _rows(bot)
    assert (row.direction, row.receiving_channel) == ("step_across", "coordinators")
    calls = await bot.deliver()
    assert [c.conversation_id for c in calls if c.op == "send" and c.conversation_id.startswith("19:")] == [
        COORDINATORS_CHANNEL.id
    ]


async def _york_step_down_then_up(bot: BotUnderTest, from_team: str, days_later: int) -> TransferRow:
    await _channels(bot)
    down = await _step_down(bot, case_reference="DEMO-0303", route="direct", from_team=from_team)
    # In York the weekly meeting decides a step down: the chair records it as agreed.
    await record_outcome(bot, CHAIR, down.id, "Agreed", lead_practitioner="E.W.", extra_time_frame="Six weeks")
    bot.clock.advance(days=days_later)
    form = await start_request(bot, EARLY_HELP_WORKER)
    values = {
        **STEP_UP,
        "case_reference": "DEMO-0303",
        "from_team": first_choice(form, "from_team"),
        "to_service": first_choice(form, "to_service"),
    }
    await submit_request(bot, EARLY_HELP_WORKER, form, **values)
    return (await _rows(bot))[-1]


CIN_CP = "Safeguarding and Interventions (CiN / CP)"


async def test_york_returns_a_quick_step_up_to_the_social_worker_who_stepped_it_down(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(profile="york", managers_channel_id=MANAGERS.id)
    up = await _york_step_down_then_up(bot, CIN_CP, days_later=40)
    calls = await bot.deliver()
    told = [c for c in calls if c.conversation_id == Chat.personal(SOCIAL_WORKER).id]
    assert any("stepping up again" in json.dumps(c.cards) for c in told)
    assert any(c.conversation_id == MANAGERS.id for c in calls)
    view = await _view(bot, FRONT_DOOR_DECIDER, up.id)
    allocate = await press(bot, FRONT_DOOR_DECIDER, button(view, "transfer.form", "Threshold met"))
    assert inputs(allocate)["worker"]["value"] == SOCIAL_WORKER.name
    # Named again, the previous social worker stands to the case: they may open it.
    mine = await _view(bot, SOCIAL_WORKER, up.id)
    assert "DEMO-0303" in shown_text(mine)


async def test_york_returns_only_step_downs_from_child_in_need_or_protection_within_three_months(
    start_bot: Any,
) -> None:
    bot: BotUnderTest = await start_bot(profile="york", managers_channel_id=MANAGERS.id)
    up = await _york_step_down_then_up(bot, "Targeted Early Help", days_later=10)
    assert up.previous_worker_object_id == ""
    late: BotUnderTest = await start_bot(profile="york", managers_channel_id=MANAGERS.id)
    late_up = await _york_step_down_then_up(late, CIN_CP, days_later=95)
    assert late_up.previous_worker_object_id == ""


async def test_in_dorset_the_meeting_decides_and_an_unnamed_allocation_nudges_the_managers(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(profile="dorset", managers_channel_id=MANAGERS.id)
    await _channels(bot)
    row = await _step_down(bot, discussed_with="", discussed_on="")
    coordinator = await _view(bot, COORDINATOR, row.id)
    titles = {b["title"] for b in buttons(coordinator)}
    assert "Accept and allocate" not in titles and "Schedule" in titles
    refused = await press(
        bot,
        COORDINATOR,
        {"verb": "transfer.act", "data": {"record_id": row.id, "version": row.version, "event": "accept"}},
    )
    assert "the meeting decides" in shown_text(refused)
    await record_outcome(bot, CHAIR, row.id, "Agreed", lead_practitioner="")
    calls = await bot.deliver()
    nudges = [c for c in calls if c.conversation_id == MANAGERS.id]
    assert nudges and "named practitioner" in json.dumps(nudges[0].cards)
