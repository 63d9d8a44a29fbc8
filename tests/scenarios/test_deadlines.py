"""Deadlines through the real endpoint: started by recorded facts, shown on the card and in `my deadlines`,
reminded in working hours, settled from the reminder's own button, overdue as a new message, escalated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from storage.case_tables import DeadlineRow
from storage.tables import OutboxRow, TransferRow
from tests.conftest import (
    CHAIR,
    COORDINATOR,
    MANAGERS_CHANNEL,
    OTHER_COORDINATOR,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat
from tests.scenarios.booking_steps import press
from tests.scenarios.outcome_steps import record_outcome
from tests.scenarios.transfer_steps import (
    STEP_DOWN,
    THRESHOLD_REASON,
    filled,
    set_up_channels,
    start_request,
    submit_request,
)

SW_CHAT = Chat.personal(SOCIAL_WORKER)
TM_CHAT = Chat.personal(TEAM_MANAGER)


async def _deadlines(bot: BotUnderTest) -> list[DeadlineRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(DeadlineRow).order_by(DeadlineRow.id)))


async def _pending_jobs(bot: BotUnderTest, deadline_id: int) -> list[str]:
    async with bot.runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(OutboxRow.dedupe_key).where(
                OutboxRow.status == "pending", OutboxRow.dedupe_key.like(f"deadline:{deadline_id}:%")
            )
        )
        return sorted(str(r) for r in rows)


async def _dorset_step_down_agreed(start_bot: Any, *, lead: str = "E.W.") -> tuple[BotUnderTest, int]:
    """A Dorset step down the weekly meeting agreed on Wednesday 25 November 2026, 10am (`lead` named)."""
    bot: BotUnderTest = await start_bot(profile="dorset", managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    if buttons(form, "transfer.start"):
        form = await press(bot, SOCIAL_WORKER, button(form, "transfer.start", "Step down to early help"))
    values = filled(form, STEP_DOWN, route="weekly_meeting", discussed_with="", discussed_on="")
    await submit_request(bot, SOCIAL_WORKER, form, **values)
    await bot.deliver()
    async with bot.runtime.services.uow() as uow:
        [row] = list(await uow.session.scalars(select(TransferRow)))
    await record_outcome(bot, CHAIR, row.id, "Agreed", lead_practitioner=lead)
    await bot.deliver()
    return bot, row.id


def _to(calls: list[Any], chat: Chat) -> list[dict[str, Any]]:
    return [card for c in calls if c.conversation_id == chat.id for card in c.cards]


async def test_the_meeting_agreeing_starts_the_handover_visit_clock_and_the_card_shows_it(start_bot: Any) -> None:
    bot, transfer_id = await _dorset_step_down_agreed(start_bot)
    [visit] = [d for d in await _deadlines(bot) if d.rule_key == "handover_visit"]
    # 5 working days from Wednesday 25 November 2026: Wednesday 2 December, 5pm.
    assert visit.due_at == datetime(2026, 12, 2, 17, tzinfo=UTC)
    assert (visit.state, visit.owner_object_id) == ("open", SOCIAL_WORKER.object_id)
    card = await press(bot, SOCIAL_WORKER, {"verb": "transfer.refresh", "data": {"record_id": transfer_id}})
    assert "Handover visit with the family: Due by Wednesday 2 December 2026, 5pm" in shown_text(card)
    listed = await bot.driver.say(SOCIAL_WORKER, SW_CHAT, "my deadlines")
    assert "Handover visit with the family" in shown_text(listed.cards[0])
    mine = await bot.driver.say(SOCIAL_WORKER, SW_CHAT, "my transfers")
    assert "Handover visit with the family: Due by" in shown_text(mine.cards[0])


async def test_reminders_go_in_working_hours_and_the_reminders_button_settles_the_clock(start_bot: Any) -> None:
    bot, _transfer_id = await _dorset_step_down_agreed(start_bot)
    [visit] = [d for d in await _deadlines(bot) if d.rule_key == "handover_visit"]
    # 2 working days before the due day, at the start of working hours: Monday 30 November, 9am.
    bot.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    calls = await bot.deliver()
    [reminder] = [c for c in _to(calls, SW_CHAT) if "Due soon" in shown_text(c)]
    assert "Handover visit with the family" in shown_text(reminder) and "DEMO-0101" in shown_text(reminder)
    assert STEP_DOWN["reason"] not in json.dumps(reminder)
    form = await press(bot, SOCIAL_WORKER, button(reminder, "transfer.form", "Joint visit done"))
    await press(bot, SOCIAL_WORKER, button(form, "transfer.decide"), on="2026-11-30")
    [settled] = [d for d in await _deadlines(bot) if d.rule_key == "handover_visit"]
    assert settled.state == "met"
    assert await _pending_jobs(bot, visit.id) == [], "settling took its reminders off the outbox"
    bot.clock.now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    later = await bot.deliver()
    assert not [c for c in _to(later, SW_CHAT) + _to(later, MANAGERS_CHANNEL) if "Handover visit" in shown_text(c)]


async def test_an_overdue_clock_is_a_new_message_then_escalates_to_the_manager_and_the_managers_channel(
    start_bot: Any,
) -> None:
    bot, _ = await _dorset_step_down_agreed(start_bot)
    bot.clock.now = datetime(2026, 12, 2, 17, 30, tzinfo=UTC)
    calls = await bot.deliver()
    overdue = [c for c in calls if any("Overdue: Handover visit" in shown_text(card) for card in c.cards)]
    assert overdue and overdue[0].op in ("send", "create")
    # The owner's manager (T.M. manages S.W. in STEPBOT_TEAMS) is told the next working morning at the latest.
    bot.clock.now = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    calls += await bot.deliver()
    assert any("this goes to the owner's manager" in shown_text(c) for c in _to(calls, TM_CHAT))
    bot.clock.now = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    calls += await bot.deliver()
    [escalation] = [c for c in _to(calls, MANAGERS_CHANNEL) if "Overdue: Handover visit" in shown_text(c)]
    mentions = escalation.get("msteams", {}).get("entities", [])
    assert {m["mentioned"]["id"] for m in mentions} >= {SOCIAL_WORKER.user_id, TEAM_MANAGER.user_id}


async def test_a_reminder_due_at_night_waits_for_the_working_morning_and_says_it_is_late(start_bot: Any) -> None:
    bot, _ = await _dorset_step_down_agreed(start_bot)
    # The bot was down over the weekend and Monday's working day: it comes back at 2am on Tuesday.
    bot.clock.now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    night = await bot.deliver()
    assert not [c for c in _to(night, SW_CHAT) if "Due soon" in shown_text(c)], "never at 2am"
    bot.clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    morning = await bot.deliver()
    reminders = [c for c in _to(morning, SW_CHAT) if "Handover visit" in shown_text(c)]
    assert reminders and any("sent late" in shown_text(c) for c in reminders)


async def test_a_snooze_moves_the_next_reminder_and_only_to_a_time_before_the_deadline(start_bot: Any) -> None:
    bot, _ = await _dorset_step_down_agreed(start_bot)
    [visit] = [d for d in await _deadlines(bot) if d.rule_key == "handover_visit"]
    shown = await press(bot, SOCIAL_WORKER, {"verb": "deadline.show", "data": {"record_id": visit.id, "version": 1}})
    [snooze] = buttons(shown, "deadline.snooze")
    choices = [c["value"] for c in inputs(shown)["until"]["choices"]]
    assert choices and all(datetime.fromisoformat(c) < visit.due_at for c in choices)
    late = (visit.due_at + timedelta(hours=1)).isoformat()
    refused = await press(bot, SOCIAL_WORKER, snooze, until=late)
    assert "before it is due" in shown_text(refused)
    snoozed = await press(bot, SOCIAL_WORKER, snooze, until=choices[0])
    assert "You'll be reminded again" in shown_text(snoozed)
    [after] = [d for d in await _deadlines(bot) if d.rule_key == "handover_visit"]
    assert after.version == 2 and after.snoozed_until is not None
    keys = await _pending_jobs(bot, visit.id)
    assert keys and all(f"deadline:{visit.id}:2:" in k for k in keys), "the old version's jobs came off"
    current = {**snooze["data"], "version": 2, "until": choices[0]}
    on_the_case = await press(bot, COORDINATOR, {"verb": "deadline.snooze", "data": current})
    assert "Only the person this deadline belongs to, or their manager" in shown_text(on_the_case)
    outsider = await press(bot, OTHER_COORDINATOR, {"verb": "deadline.snooze", "data": current})
    assert "not one you are on" in shown_text(outsider)


async def test_the_weekly_digest_goes_to_the_managers_channel_once_with_the_weeks_figures(start_bot: Any) -> None:
    bot, _ = await _dorset_step_down_agreed(start_bot, lead="")
    second: BotUnderTest = await start_bot(profile="dorset", managers_channel_id=MANAGERS_CHANNEL.id)
    # The next Monday 9am: both replicas queued the same digest at start-up; it is posted once.
    for replica in (bot, second):
        replica.clock.now = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    calls = await bot.deliver() + await second.deliver()
    digests = [c for c in _to(calls, MANAGERS_CHANNEL) if "Week beginning Monday 30 November 2026" in shown_text(c)]
    assert len(digests) == 1
    text = shown_text(digests[0])
    assert "Due this week (1)" in text and "Handover visit with the family" in text
    assert "Accepted with no named worker (1)" in text and "DEMO-0101" in text


async def test_dorset_records_the_handover_visit_not_possible_from_the_reminder_once_the_family_was_told(
    start_bot: Any,
) -> None:
    bot, _ = await _dorset_step_down_agreed(start_bot)
    bot.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    [reminder] = [c for c in _to(await bot.deliver(), SW_CHAT) if "Due soon" in shown_text(c)]
    form = await press(bot, SOCIAL_WORKER, button(reminder, "transfer.form", "Joint visit not possible"))
    untold = await press(bot, SOCIAL_WORKER, button(form, "transfer.decide"), reason="The family are away.")
    assert "Explain the reason to the family first" in shown_text(untold)
    await press(
        bot, SOCIAL_WORKER, button(form, "transfer.decide"), reason="The family are away.", explained_to_family="true"
    )
    [visit] = [d for d in await _deadlines(bot) if d.rule_key == "handover_visit"]
    assert visit.state == "not_possible"
    assert await _pending_jobs(bot, visit.id) == []


async def _accepted_by_me(start_bot: Any, profile: str, from_team: str) -> tuple[BotUnderTest, int]:
    bot: BotUnderTest = await start_bot(profile=profile, managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    if buttons(form, "transfer.start"):
        form = await press(bot, SOCIAL_WORKER, button(form, "transfer.start", "Step down to early help"))
    values = filled(form, STEP_DOWN, route="direct", from_team=from_team, discussed_with="", discussed_on="")
    await submit_request(bot, SOCIAL_WORKER, form, **values)
    await bot.deliver()
    async with bot.runtime.services.uow() as uow:
        [row] = list(await uow.session.scalars(select(TransferRow)))
    view = await press(bot, COORDINATOR, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    accept = await press(bot, COORDINATOR, button(view, "transfer.form", "Accept and allocate"))
    team = str(inputs(accept)["team"]["choices"][0]["value"])
    await press(bot, COORDINATOR, button(accept, "transfer.decide"), team=team, allocate_to_me="true")
    await bot.deliver()
    return bot, row.id


async def test_rochdales_early_help_assessment_clock_is_met_when_the_worker_records_it_done(start_bot: Any) -> None:
    bot, transfer_id = await _accepted_by_me(start_bot, "rochdale", "Family Support and Protection")
    [eha] = [d for d in await _deadlines(bot) if d.rule_key == "eha_after_step_down"]
    assert eha.owner_object_id == COORDINATOR.object_id, "the allocated worker owns it"
    listed = await bot.driver.say(COORDINATOR, Chat.personal(COORDINATOR), "my deadlines")
    assert "Early help assessment completed" in shown_text(listed.cards[0])
    view = await press(bot, COORDINATOR, {"verb": "transfer.refresh", "data": {"record_id": transfer_id}})
    form = await press(bot, COORDINATOR, button(view, "transfer.form", "Record what happened"))
    choices = {c["value"] for c in inputs(form)["fact"]["choices"]}
    assert "early_help_assessment_completed" in choices and "cf_assessment_completed" not in choices
    await press(
        bot, COORDINATOR, button(form, "transfer.decide"), fact="early_help_assessment_completed", on="2026-11-25"
    )
    [met] = [d for d in await _deadlines(bot) if d.rule_key == "eha_after_step_down"]
    assert met.state == "met"


async def test_cheshire_easts_cf_assessment_gets_more_time_only_with_a_reason_and_the_manager_who_agreed(
    start_bot: Any,
) -> None:
    from tests.conftest import CHAIR, EARLY_HELP_WORKER, FRONT_DOOR_DECIDER
    from tests.scenarios.transfer_steps import STEP_UP

    bot: BotUnderTest = await start_bot(profile="cheshire_east", managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    form = await start_request(bot, EARLY_HELP_WORKER)
    await submit_request(bot, EARLY_HELP_WORKER, form, **filled(form, STEP_UP, route="weekly_meeting"))
    await bot.deliver()
    async with bot.runtime.services.uow() as uow:
        [row] = list(await uow.session.scalars(select(TransferRow)))
    # 6.1 point 3: the meeting agrees the step up (its chair records it), then the ChECS representative accepts it.
    chair = await press(bot, CHAIR, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    await press(bot, CHAIR, button(chair, "transfer.act", "Authorise"))
    view = await press(bot, FRONT_DOOR_DECIDER, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    met = await press(bot, FRONT_DOOR_DECIDER, button(view, "transfer.form", "Threshold met"))
    team = str(inputs(met)["team"]["choices"][0]["value"])
    await press(
        bot,
        FRONT_DOOR_DECIDER,
        button(met, "transfer.decide"),
        team=team,
        allocate_to_me="true",
        reason=THRESHOLD_REASON,
    )
    view = await press(bot, FRONT_DOOR_DECIDER, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    record = await press(bot, FRONT_DOOR_DECIDER, button(view, "transfer.form", "Record what happened"))
    await press(bot, FRONT_DOOR_DECIDER, button(record, "transfer.decide"), fact="passed_to_area_team", on="2026-11-25")
    [cf] = [d for d in await _deadlines(bot) if d.rule_key == "cf_assessment"]
    # 15 days from Wednesday 25 November 2026: Thursday 10 December, 5pm.
    assert cf.due_at == datetime(2026, 12, 10, 17, tzinfo=UTC)
    shown = await press(bot, FRONT_DOOR_DECIDER, {"verb": "deadline.show", "data": {"record_id": cf.id, "version": 1}})
    extend_form = await press(bot, FRONT_DOOR_DECIDER, button(shown, "deadline.extend_form"))
    incomplete = await press(bot, FRONT_DOOR_DECIDER, button(extend_form, "deadline.extend"), due_on="2026-12-17")
    assert "Say why more time is needed" in shown_text(incomplete)
    extended = await press(
        bot,
        FRONT_DOOR_DECIDER,
        button(extend_form, "deadline.extend"),
        due_on="2026-12-17",
        reason="The family asked for a later visit.",
        agreed_by="T.M.",
    )
    assert "More time is recorded." in shown_text(extended)
    [after] = [d for d in await _deadlines(bot) if d.rule_key == "cf_assessment"]
    assert after.due_at == datetime(2026, 12, 17, 17, tzinfo=UTC)
    assert (after.extension_reason, after.extension_agreed_by) == ("The family asked for a later visit.", "T.M.")
    assert after.previous_due_at == datetime(2026, 12, 10, 17, tzinfo=UTC)
    assert await _pending_jobs(bot, cf.id) and all(f":{after.version}:" in k for k in await _pending_jobs(bot, cf.id))


async def test_a_deadline_is_given_to_a_colleague_on_the_receiving_team_and_they_own_it_from_then(
    start_bot: Any,
) -> None:
    from tests.conftest import SECOND_COORDINATOR

    bot, _ = await _accepted_by_me(start_bot, "rochdale", "Family Support and Protection")
    [eha] = [d for d in await _deadlines(bot) if d.rule_key == "eha_after_step_down"]
    shown = await press(bot, COORDINATOR, {"verb": "deadline.show", "data": {"record_id": eha.id, "version": 1}})
    names = {c["title"]: c["value"] for c in inputs(shown)["to"]["choices"]}
    assert SECOND_COORDINATOR.name in names and COORDINATOR.name not in names
    stranger = await press(bot, COORDINATOR, button(shown, "deadline.reassign"), to=OTHER_COORDINATOR.object_id)
    assert "Choose a colleague on the receiving team" in shown_text(stranger)
    given = await press(bot, COORDINATOR, button(shown, "deadline.reassign"), to=names[SECOND_COORDINATOR.name])
    assert "It is theirs now" in shown_text(given)
    [after] = [d for d in await _deadlines(bot) if d.rule_key == "eha_after_step_down"]
    assert after.owner_object_id == SECOND_COORDINATOR.object_id
    theirs = await bot.driver.say(SECOND_COORDINATOR, Chat.personal(SECOND_COORDINATOR), "my deadlines")
    assert "Early help assessment completed" in shown_text(theirs.cards[0])


async def test_york_keeps_a_stepped_up_family_open_to_early_help_for_ten_days_and_says_so(start_bot: Any) -> None:
    from tests.conftest import EARLY_HELP_WORKER, TEAM_MANAGER
    from tests.scenarios.transfer_steps import STEP_UP

    bot: BotUnderTest = await start_bot(profile="york", managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    form = await start_request(bot, EARLY_HELP_WORKER)
    values = filled(form, STEP_UP, from_team="Targeted Early Help")
    await submit_request(bot, EARLY_HELP_WORKER, form, **values)
    await bot.deliver()
    async with bot.runtime.services.uow() as uow:
        [row] = list(await uow.session.scalars(select(TransferRow)))
    # Targeted early help's step up is decided with the assessment service manager on duty (a team manager in the
    # managers' channel), not by MASH.
    view = await press(bot, TEAM_MANAGER, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    met = await press(bot, TEAM_MANAGER, button(view, "transfer.form", "Accept and allocate"))
    team = str(inputs(met)["team"]["choices"][0]["value"])
    await press(
        bot,
        TEAM_MANAGER,
        button(met, "transfer.decide"),
        team=team,
        allocate_to_me="true",
        reason=THRESHOLD_REASON,
    )
    [ten] = [d for d in await _deadlines(bot) if d.rule_key == "open_to_early_help_ten_days"]
    # At least 10 days after allocation on Wednesday 25 November 2026: from the start of Saturday 5 December.
    assert (ten.kind, ten.due_at) == ("earliest", datetime(2026, 12, 5, 0, 0, tzinfo=UTC))
    card = await press(bot, EARLY_HELP_WORKER, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    assert "Early help case may close: Not before Saturday 5 December 2026, midnight" in shown_text(card)
    # Closed early: the clock records that it was done before the earliest date.
    record = await press(bot, EARLY_HELP_WORKER, button(card, "transfer.form", "Record what happened"))
    await press(bot, EARLY_HELP_WORKER, button(record, "transfer.decide"), fact="early_help_closed", on="2026-11-25")
    [after] = [d for d in await _deadlines(bot) if d.rule_key == "open_to_early_help_ten_days"]
    assert (after.state, after.note) == ("met", "Done before the earliest date")


async def test_while_paused_for_consent_no_reminder_nags_and_they_go_once_consent_is_given_again(
    start_bot: Any,
) -> None:
    from tests.scenarios.consent_steps import GIVEN, WITHDRAWN, record_consent
    from tests.scenarios.outcome_steps import transfer_row

    bot, transfer_id = await _dorset_step_down_agreed(start_bot)
    await record_consent(bot, SOCIAL_WORKER, transfer_id, "Consent withdrawn", **WITHDRAWN)
    assert (await transfer_row(bot, transfer_id)).state == "paused"
    await bot.deliver()
    # Monday 30 November, 9am, the handover visit's reminder time: the family withdrew consent, so nobody is nagged.
    bot.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    held = await bot.deliver()
    assert not [c for c in _to(held, SW_CHAT) if "Handover visit" in shown_text(c)]
    # Still paused the next morning: still nothing, and the reminder waits for another morning.
    bot.clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert not [c for c in _to(await bot.deliver(), SW_CHAT) if "Handover visit" in shown_text(c)]
    # Consent given again: the request resumes, and the next working morning the reminder goes, saying it is late.
    again = {**GIVEN, "on": "2026-12-01"}
    await record_consent(bot, SOCIAL_WORKER, transfer_id, "Consent given again", **again, scopes="early_help_offer")
    assert (await transfer_row(bot, transfer_id)).state == "accepted"
    await bot.deliver()
    bot.clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    sent = [c for c in _to(await bot.deliver(), SW_CHAT) if "Handover visit" in shown_text(c)]
    assert sent and any("sent late" in shown_text(c) for c in sent)
