"""Meeting outcomes through the real endpoint with configured roles: recorded, corrected, named later, refused.

The chair (or the coordinators who run the meeting) records what the meeting decided; the decision moves
the request, the people on the case hear it in personal chat, the clocks count from the meeting's day, a
correction is a new version with its reason, and bad input gets the form back with nothing written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from storage.tables import ProcessedActionRow
from tests.conftest import (
    CHAIR,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    MANAGERS_CHANNEL,
    OTHER_TEAM_MANAGER,
    SOCIAL_WORKER,
    SOCIAL_WORKERS,
    TEAM_MANAGER,
)
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat
from tests.scenarios.booking_steps import press
from tests.scenarios.outcome_steps import (
    CRITICAL_WORRY,
    MISSING,
    WELLBEING_GOAL,
    audited,
    authorise,
    count_rows,
    deadline_row,
    deadline_rows,
    defaults,
    on_meeting,
    outcome_form,
    outcome_rows,
    record_outcome,
    send,
    submit_step_down,
    to_chat,
    transfer_row,
    view,
)
from tests.scenarios.transfer_steps import STEP_DOWN

SW_CHAT = Chat.personal(SOCIAL_WORKER)
TM_CHAT = Chat.personal(TEAM_MANAGER)
MEETING_DAY = "2026-11-25"
REDCAR_FIELD_TEAM = "Field social work team"  # the clock's first day: Wednesday 25 November 2026


# -- recording ------------------------------------------------------------------------------------------------
async def test_the_chair_records_an_agreed_outcome_and_the_people_on_the_case_hear_it(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    form = await outcome_form(bot, CHAIR, transfer_id, "Agreed")
    assert {"meeting_on", "team", "lead_practitioner", "final_meeting_on", "action_1_what"} <= set(inputs(form))
    assert "Locality Step Up/Step Down Meeting" in shown_text(form)
    reply = await send(
        bot,
        CHAIR,
        form,
        meeting_on=MEETING_DAY,
        lead_practitioner="",
        action_1_what="Book the handover visit",
        action_1_owner="S.W.",
        action_1_due="2026-11-30",
    )
    text = shown_text(reply)
    assert "Outcome recorded: agreed." in text
    assert "Agreed · Locality Step Up/Step Down Meeting, Wednesday 25 November 2026" in text
    assert "To be named" in text
    row = await transfer_row(bot, transfer_id)
    assert row.state == "accepted"
    [stored] = await outcome_rows(bot)
    assert (stored.version, stored.decision, stored.meeting_on.isoformat()) == (1, "agreed", MEETING_DAY)
    assert stored.record["actions"] == [{"what": "Book the handover visit", "owner": "S.W.", "due": "2026-11-30"}]
    assert stored.recorded_by_object_id == CHAIR.object_id
    # The handover visit counts from the meeting's day: 5 working days from Wednesday 25 November.
    visit = await deadline_row(bot, "handover_visit")
    assert visit.due_at == datetime(2026, 12, 2, 17, tzinfo=UTC)
    calls = await bot.deliver()
    for chat in (SW_CHAT, TM_CHAT):  # the social worker and their line manager (T.M. manages S.W.)
        [told] = [c for c in to_chat(calls, chat) if "Meeting outcome: DEMO-0101" in shown_text(c)]
        assert "Agreed at the Locality Step Up/Step Down Meeting" in shown_text(told)
        assert "lead practitioner: a practitioner still to be named" in shown_text(told)
        assert STEP_DOWN["reason"] not in json.dumps(told)
    assert [c for c in to_chat(calls, MANAGERS_CHANNEL) if "named practitioner" in shown_text(c)]
    assert len(await audited(bot, "outcome.recorded")) == 1


async def test_a_practitioner_to_be_named_is_chased_then_named_from_the_card(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    await record_outcome(bot, CHAIR, transfer_id, "Agreed", meeting_on=MEETING_DAY, lead_practitioner="")
    clock = await deadline_row(bot, "named_practitioner")
    assert clock.state == "open"
    # Not named by the end of the working day: the coordinators hear of it, and first thing next working day
    # the managers' channel does too, as a new message.
    bot.clock.now = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
    calls = await bot.deliver()
    assert [
        c for c in to_chat(calls, COORDINATORS_CHANNEL) if "Overdue: Named practitioner for the child" in shown_text(c)
    ]
    assert not [c for c in to_chat(calls, MANAGERS_CHANNEL) if "Named practitioner" in shown_text(c)]
    bot.clock.now = datetime(2026, 11, 26, 10, tzinfo=UTC)
    calls = await bot.deliver()
    [nudge] = [c for c in to_chat(calls, MANAGERS_CHANNEL) if "Named practitioner for the child" in shown_text(c)]
    assert "this goes to the managers' channel" in shown_text(nudge)
    card = await view(bot, COORDINATOR, transfer_id)
    form = await press(bot, COORDINATOR, button(card, "transfer.form", "Name the worker"))
    named = await press(bot, COORDINATOR, button(form, "transfer.decide"), worker="E.W.")
    assert "Allocated to" in shown_text(named) and "E.W." in shown_text(named)
    assert (await deadline_row(bot, "named_practitioner")).state == "met"
    row = await transfer_row(bot, transfer_id)
    assert row.state == "accepted" and row.decision["allocation"]["worker_name"] == "E.W."
    calls = await bot.deliver()
    assert [c for c in to_chat(calls, SW_CHAT) if "Worker named: DEMO-0101" in shown_text(c)]
    # Named, the button is gone: nobody names a named practitioner again this way.
    again = await view(bot, COORDINATOR, transfer_id)
    assert "Name the worker" not in {b["title"] for b in buttons(again)}


async def test_not_agreed_deferred_and_more_information_each_move_the_request(start_bot: Any) -> None:
    bot, first = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    second = await submit_step_down(
        bot, case_reference="DEMO-0102", route="weekly_meeting", discussed_with="", discussed_on=""
    )
    third = await submit_step_down(
        bot, case_reference="DEMO-0103", route="weekly_meeting", discussed_with="", discussed_on=""
    )
    reason = bot.runtime.services.profile.transfers.decline_reasons[0]
    declined = await record_outcome(bot, CHAIR, first, "Not agreed", meeting_on=MEETING_DAY, reason=reason)
    assert "Declined" in shown_text(declined)
    deferred = await record_outcome(bot, CHAIR, second, "Deferred", meeting_on=MEETING_DAY, deferred_to="2026-12-02")
    assert "deferred to Wednesday 2 December 2026" in shown_text(deferred)
    returned = await record_outcome(
        bot, CHAIR, third, "More information needed", meeting_on=MEETING_DAY, missing=MISSING
    )
    states = [(await transfer_row(bot, t)).state for t in (first, second, third)]
    assert states == ["declined", "scheduled", "returned"]
    assert "Returned for information" in shown_text(returned)
    calls = await bot.deliver()
    told = {shown_text(c) for c in to_chat(calls, SW_CHAT) if "Meeting outcome" in shown_text(c)}
    assert any(f"Reason: {reason}" in t for t in told)
    assert any("Deferred to Wednesday 2 December 2026" in t for t in told)
    assert any("see what is missing, then resubmit it" in t for t in told)
    # The requester adds what was missing and sends it back.
    mine = await view(bot, SOCIAL_WORKER, third)
    form = await press(bot, SOCIAL_WORKER, button(mine, "transfer.form", "Resubmit"))
    await press(bot, SOCIAL_WORKER, button(form, "transfer.decide"), note="Attendance figures added.")
    assert (await transfer_row(bot, third)).state == "submitted"


async def test_cheshire_east_flags_a_final_child_in_need_meeting_outside_its_window(start_bot: Any) -> None:
    bot, late = await on_meeting(start_bot, "cheshire_east")
    on_time = await submit_step_down(bot, case_reference="DEMO-0102", route="weekly_meeting")
    form = await outcome_form(bot, CHAIR, late, "Agreed")
    assert "within 5 working days of the meeting" in inputs(form)["final_meeting_on"]["label"]
    reply = await send(
        bot,
        CHAIR,
        form,
        meeting_on=MEETING_DAY,
        final_meeting_on="2026-12-04",
    )
    text = shown_text(reply)
    assert "outside Cheshire East's window" in text and "by Wednesday 2 December 2026" in text
    assert "final meeting outside the window" in text
    fine = await record_outcome(bot, CHAIR, on_time, "Agreed", meeting_on=MEETING_DAY, final_meeting_on="2026-12-02")
    assert "outside" not in shown_text(fine) and "Outcome recorded: agreed." in shown_text(fine)
    # The chair tells the social worker within 1 working day of the meeting: the bot does at once.
    told = [d for d in await deadline_rows(bot) if d.rule_key == "outcome_to_social_worker"]
    assert told and all(d.state == "met" for d in told)


async def test_redcars_clinic_hands_a_case_to_an_external_agency_and_the_request_closes(start_bot: Any) -> None:
    # A field team's step down, discussed at the clinic (002, 1.1); authorised by the MACH manager (standard 2).
    bot, transfer_id = await on_meeting(start_bot, "redcar", route="clinic", from_team=REDCAR_FIELD_TEAM)
    await authorise(bot, transfer_id)
    # The coordinators run the clinic: they record what it chose, here from the clinic agenda's button.
    choice = await press(bot, COORDINATOR, {"verb": "outcome.for_case", "data": {"case_reference": "DEMO-0101"}})
    titles = [b["title"] for b in buttons(choice, "outcome.form")]
    assert titles == ["Agreed", "Not agreed", "Deferred", "More information needed", "Handed to an external agency"]
    form = await press(bot, COORDINATOR, button(choice, "outcome.form", "Handed to an external agency"))
    reply = await send(bot, COORDINATOR, form, meeting_on=MEETING_DAY, agency="Family Hub")
    assert "Referred to an external agency" in shown_text(reply) and "Family Hub" in shown_text(reply)
    assert (await transfer_row(bot, transfer_id)).state == "referred_externally"
    assert all(d.state != "open" for d in await deadline_rows(bot)), "the external pathway ends every clock"
    calls = await bot.deliver()
    [told] = [c for c in to_chat(calls, SW_CHAT) if "Meeting outcome" in shown_text(c)]
    assert "complete that service's own referral form" in shown_text(told)
    # Other authorities' meetings hand nothing to an external agency.
    dorset, dorset_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    row = await transfer_row(dorset, dorset_id)
    refused = await press(
        dorset,
        CHAIR,
        {
            "verb": "outcome.form",
            "data": {"record_id": dorset_id, "version": row.version, "decision": "external_agency"},
        },
    )
    assert "does not hand a request to an external agency" in shown_text(refused)


async def test_redcars_agreed_outcome_needs_the_critical_worry_and_wellbeing_goal(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "redcar", route="clinic", from_team=REDCAR_FIELD_TEAM)
    await authorise(bot, transfer_id)
    form = await outcome_form(bot, COORDINATOR, transfer_id, "Agreed")
    values = {**defaults(form), "meeting_on": MEETING_DAY, "lead_is_me": "true"}
    values.pop("extra_critical_worry", None)
    refused = await press(bot, COORDINATOR, button(form, "outcome.record"), **values)
    assert "Critical worry statement agreed at the last Child in Need meeting: this is needed" in shown_text(refused)
    assert await outcome_rows(bot) == [] and (await transfer_row(bot, transfer_id)).state == "submitted"
    values |= {"extra_critical_worry": CRITICAL_WORRY, "extra_wellbeing_goal": WELLBEING_GOAL}
    agreed = await press(bot, COORDINATOR, button(form, "outcome.record"), **values)
    assert "Outcome recorded: agreed." in shown_text(agreed)
    [stored] = await outcome_rows(bot)
    assert stored.record["extras"]["critical_worry"] == CRITICAL_WORRY
    assert stored.record["lead_practitioner"] == COORDINATOR.name
    # The statement is the family's: in the outcome's own view, not on the card everyone sees.
    assert CRITICAL_WORRY not in json.dumps(agreed)
    history = await press(bot, COORDINATOR, {"verb": "outcome.history", "data": {"record_id": transfer_id}})
    assert CRITICAL_WORRY in shown_text(history)
    assert len(await audited(bot, "outcome.history_viewed")) == 1


# -- correcting -------------------------------------------------------------------------------------------------
async def test_a_correction_is_a_new_version_with_its_reason_and_keeps_the_decision(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    await record_outcome(bot, CHAIR, transfer_id, "Agreed", meeting_on=MEETING_DAY, lead_practitioner="E.W.")
    card = await view(bot, CHAIR, transfer_id)
    form = await press(bot, CHAIR, button(card, "outcome.form", "Correct the outcome"))
    assert inputs(form)["meeting_on"]["value"] == MEETING_DAY and "team" not in inputs(form)
    no_reason = await send(bot, CHAIR, form, meeting_on="2026-11-24")
    assert "Say why you are correcting the outcome." in shown_text(no_reason)
    assert len(await outcome_rows(bot)) == 1
    corrected = await send(
        bot,
        CHAIR,
        form,
        meeting_on="2026-11-24",
        correction_reason="The meeting was on the Tuesday.",
    )
    assert "Correction saved: version 2." in shown_text(corrected)
    assert "corrected (version 2)" in shown_text(corrected)
    first, second = await outcome_rows(bot)
    assert (first.meeting_on.isoformat(), first.correction_reason) == (MEETING_DAY, "")
    assert (second.meeting_on.isoformat(), second.correction_reason) == (
        "2026-11-24",
        "The meeting was on the Tuesday.",
    )
    assert (await transfer_row(bot, transfer_id)).state == "accepted"
    # A different decision is not a correction: it is refused and nothing is written.
    row = await transfer_row(bot, transfer_id)
    other = {**button(form, "outcome.record")["data"], "version": row.version, "decision": "not_agreed"}
    refused = await press(
        bot,
        CHAIR,
        {"verb": "outcome.record", "data": other},
        meeting_on=MEETING_DAY,
        reason=bot.runtime.services.profile.transfers.decline_reasons[0],
        correction_reason="Changing my mind.",
    )
    assert "A correction keeps the decision" in shown_text(refused)
    assert len(await outcome_rows(bot)) == 2
    history = await press(bot, SOCIAL_WORKER, {"verb": "outcome.history", "data": {"record_id": transfer_id}})
    text = shown_text(history)
    assert "Corrected: this is the latest version." in text and "Earlier versions" in text
    assert "Version 2: corrected by M.C." in text and "Version 1: recorded by M.C." in text
    calls = await bot.deliver()
    assert [c for c in to_chat(calls, SW_CHAT) if "Outcome corrected: DEMO-0101" in shown_text(c)]


# -- refusals ---------------------------------------------------------------------------------------------------
async def test_a_bad_outcome_gets_its_form_back_and_writes_nothing(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    before = (await transfer_row(bot, transfer_id)).version
    form = await outcome_form(bot, CHAIR, transfer_id, "Agreed")
    send = button(form, "outcome.record")
    cases = [
        ({"meeting_on": "2026-11-26"}, "can't be in the future"),
        ({"meeting_on": "2026-13-01"}, "Give the meeting's date with the date picker."),
        ({"action_1_what": "Visit", "action_1_owner": ""}, "Give each action what it is, whose it is"),
        (
            {"action_1_what": "Visit", "action_1_owner": "S.W.", "action_1_due": "2026-11-01"},
            "is due before the meeting",
        ),
        ({"team": "A team nobody has"}, "Choose the receiving team from the list."),
        ({"final_meeting_on": "2026-11-20"}, "can't be before this meeting"),
    ]
    for values, why in cases:
        refused = await press(bot, CHAIR, send, **{**defaults(form), "meeting_on": MEETING_DAY, **values})
        assert why in shown_text(refused), (values, shown_text(refused))
        assert buttons(refused, "outcome.record"), "the form comes back to be put right"
    deferred = await outcome_form(bot, CHAIR, transfer_id, "Deferred")
    no_date = await press(bot, CHAIR, button(deferred, "outcome.record"), meeting_on=MEETING_DAY, deferred_to="")
    assert "Give the date it is deferred to." in shown_text(no_date)
    assert await outcome_rows(bot) == []
    assert (await transfer_row(bot, transfer_id)).version == before
    assert await audited(bot, "outcome.recorded") == []


async def test_only_the_chair_or_the_coordinators_record_and_nobody_on_their_own_request(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    row = await transfer_row(bot, transfer_id)
    ids = {"record_id": transfer_id, "version": row.version}
    # The requester sees no "Record outcome", and its form is refused to them.
    mine = await view(bot, SOCIAL_WORKER, transfer_id)
    assert not buttons(mine, "outcome.start")
    refused = await press(bot, SOCIAL_WORKER, {"verb": "outcome.form", "data": {**ids, "decision": "agreed"}})
    assert "Only the" in shown_text(refused) and "Nothing was saved." in shown_text(refused)
    # Someone with nothing to do with the case learns nothing of it.
    outsider = SOCIAL_WORKERS[0]
    for verb, data in (("outcome.start", ids), ("outcome.history", {"record_id": transfer_id})):
        answer = await press(bot, outsider, {"verb": verb, "data": data})
        assert "not one you are on" in shown_text(answer)
    refusals = await audited(bot, "transfer.refused")
    assert {r.actor_object_id for r in refusals} == {SOCIAL_WORKER.object_id, outsider.object_id}
    # By case reference: a chair is told when there is nothing to record, whatever the reason.
    for reference in ("DEMO-9999", "DEMO-0101"):
        said = await bot.driver.say(
            OTHER_TEAM_MANAGER, Chat.personal(OTHER_TEAM_MANAGER), f"record outcome {reference}"
        )
        assert "don't have" in said.card_text() or "role" in said.card_text().lower()
    nothing = await bot.driver.say(CHAIR, Chat.personal(CHAIR), "record outcome DEMO-9999")
    assert "I found no open request for DEMO-9999" in nothing.card_text()
    found = await bot.driver.say(CHAIR, Chat.personal(CHAIR), "record outcome DEMO-0101")
    assert buttons(found.cards[0], "outcome.form")
    assert await outcome_rows(bot) == []


async def test_a_double_click_records_the_outcome_once(start_bot: Any) -> None:
    bot, transfer_id = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    form = await outcome_form(bot, CHAIR, transfer_id, "Agreed")
    values = {**defaults(form), "meeting_on": MEETING_DAY, "lead_practitioner": "E.W."}
    actions_before = await count_rows(bot, ProcessedActionRow)
    first = await press(bot, CHAIR, button(form, "outcome.record"), **values)
    again = await press(bot, CHAIR, button(form, "outcome.record"), **values)
    assert shown_text(first) == shown_text(again)
    assert len(await outcome_rows(bot)) == 1
    assert await count_rows(bot, ProcessedActionRow) == actions_before + 1
    # A second chair's form drawn before the first was recorded is out of date, and writes nothing.
    late = await press(bot, CHAIR, button(form, "outcome.record"), **{**values, "note": "Another go."})
    assert "already acted on this card" in shown_text(late)
    assert len(await outcome_rows(bot)) == 1
